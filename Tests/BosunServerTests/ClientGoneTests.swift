import BosunServer
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .timeLimit(.minutes(1))) struct ClientGone {
    /// The client stops reading while asking for log messages: the write failure is logged,
    /// the log line is forwarded to the (dead) client, and nothing deadlocks.
    @Test func aClientThatStoppedReadingDoesNotHangTheServer() async throws {
        signal(SIGPIPE, SIG_IGN)
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        precondition(pipe(&input) == 0 && pipe(&output) == 0)
        close(output[0])
        let forwarder = ClientLogForwarder()
        let recorder = LogRecorder()
        let logger = Logger(label: "test") { label in
            MultiplexLogHandler([ServerLogHandler(label: label, level: .critical, forwarder: forwarder), recorder.handler])
        }
        let server = BosunServer(
            options: ServerOptions(version: "test", gracePeriod: .milliseconds(100), drainTimeout: .seconds(1)),
            openSession: EmptySession.opener, logger: logger, logForwarder: forwarder)
        let serverEnds = (input[0], output[1])
        let exitCode = Task.detached { await server.run(input: serverEnds.0, output: serverEnds.1) }
        let lines = #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"initializationOptions":{"logLevel":"debug"}}}"#
            + "\n" + #"{"jsonrpc":"2.0","id":2,"method":"status"}"# + "\n"
        let bytes = Array(lines.utf8)
        #expect(write(input[1], bytes, bytes.count) == bytes.count)
        // The input stays open until a write to the client has failed, which is the case at test.
        let failure = "later messages to the client are dropped"
        for _ in 0..<2_000 where !recorder.contains(failure) {
            try await Task.sleep(for: .milliseconds(5)) // paces the checks of the log; the wait is for the line
        }
        #expect(recorder.contains(failure), "no write to the client failed")
        close(input[1])
        #expect(await firstOf(exitCode, orNilAfter: .seconds(10)) == 0, "the server must end when its input ends")
        close(output[1])
    }
}

/// Keeps the server's log lines, so that a test can wait for the line that says a thing happened.
final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var handler: Handler { Handler(recorder: self) }

    func contains(_ text: String) -> Bool {
        lines.withLock { $0.contains { $0.contains(text) } }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.lines.withLock { $0.append(event.message.description) }
        }
    }
}

extension ClientGone {
    /// The client keeps its end of stdout open but never reads: the server still ends
    /// when its input does, after waiting a bounded time for the client.
    @Test func aClientThatNeverReadsDoesNotKeepTheServerAlive() async throws {
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        precondition(pipe(&input) == 0 && pipe(&output) == 0)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let server = BosunServer(
            options: ServerOptions(version: "test", gracePeriod: .milliseconds(100), drainTimeout: .seconds(1)),
            openSession: EmptySession.opener, logger: logger)
        let serverEnds = (input[0], output[1])
        let exitCode = Task.detached { await server.run(input: serverEnds.0, output: serverEnds.1) }
        var lines = #"{"jsonrpc":"2.0","id":0,"method":"initialize"}"# + "\n"
        for id in 1...2_000 { lines += #"{"jsonrpc":"2.0","id":\#(id),"method":"status"}"# + "\n" }
        let bytes = Array(lines.utf8)
        #expect(write(input[1], bytes, bytes.count) == bytes.count)  // answers far exceed the pipe's buffer
        close(input[1])
        #expect(await firstOf(exitCode, orNilAfter: .seconds(20)) == 0)
        close(output[0])
        close(output[1])
    }
}

/// The task's value, or nil if it takes longer than `timeout`: a server that never stops
/// fails the test instead of hanging it (the task is left behind).
func firstOf<T: Sendable>(_ task: Task<T, Never>, orNilAfter timeout: Duration) async -> T? {
    let (stream, continuation) = AsyncStream.makeStream(of: T?.self)
    Task { continuation.yield(await task.value) }
    Task {
        try? await Task.sleep(for: timeout) // the deadline, not a wait: the task's value comes first
        continuation.yield(nil)
    }
    return await stream.first { _ in true } ?? nil
}
