import BosunJSON
import Foundation
import Logging
import Synchronization
import Testing

@testable import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// A client at the other end of real pipes to an in-process `JSONRPCConnection`. Its own
/// reader thread collects what the server writes, so waiting never blocks the tasks that
/// produce the answers.
final class PipePeer: Sendable {
    let connection: JSONRPCConnection
    private let toServer: Int32
    private let inbox = Inbox()

    init(registry: MethodRegistry, gate: (any RequestGate)? = nil, maxMessageBytes: Int = 1 << 20) {
        signal(SIGPIPE, SIG_IGN)
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        precondition(pipe(&input) == 0 && pipe(&output) == 0)
        toServer = input[1]
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let connection = JSONRPCConnection(
            input: input[0], output: output[1], registry: registry, maxMessageBytes: maxMessageBytes, gate: gate,
            logger: logger)
        self.connection = connection
        let serverEnds = (input[0], output[1])
        connection.start { _ in
            connection.close()
            close(serverEnds.0)
            close(serverEnds.1)
        }
        let inbox = self.inbox
        let fromServer = output[0]
        Thread.detachNewThread {
            readFrames(from: fromServer) { inbox.put($0) }
            close(fromServer)
            inbox.close()
        }
    }

    deinit { close(toServer) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(toServer, raw.baseAddress! + offset, raw.count - offset)
                precondition(written > 0)
                offset += written
            }
        }
    }

    /// The next message from the server; fails the test after `timeout`.
    func receive(timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        parsed(Array(try await receiveText(timeout: timeout, sourceLocation: sourceLocation).utf8))
    }

    /// The next message from the server as the exact text it wrote.
    func receiveText(timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        guard let message = await inbox.next(timeout: timeout) else {
            Issue.record("no message from the server within \(timeout)", sourceLocation: sourceLocation)
            throw PeerError.timeout
        }
        return String(decoding: message, as: UTF8.self)
    }

    /// Whether the server sends nothing for a while.
    func staysQuiet(for duration: Duration = .milliseconds(300)) async -> Bool {
        await inbox.next(timeout: duration) == nil
    }

    enum PeerError: Error { case timeout }
}

/// Messages handed from a reader thread to an awaiting test, with a timeout.
final class Inbox: Sendable {
    private struct State {
        var messages: [[UInt8]] = []
        var waiter: (number: Int, continuation: CheckedContinuation<[UInt8]?, Never>)?
        var nextWaiter = 0
        var closed = false
    }

    private let state = Mutex(State())

    func put(_ message: [UInt8]) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.messages.append(message)
                return nil as CheckedContinuation<[UInt8]?, Never>?
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: message)
    }

    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume(returning: nil)
    }

    func next(timeout: Duration) async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            let number: Int? = state.withLock { state in
                if !state.messages.isEmpty {
                    continuation.resume(returning: state.messages.removeFirst())
                    return nil
                }
                if state.closed {
                    continuation.resume(returning: nil)
                    return nil
                }
                state.nextWaiter += 1
                state.waiter = (state.nextWaiter, continuation)
                return state.nextWaiter
            }
            guard let number else { return }
            Task {
                try? await Task.sleep(for: timeout) // the deadline, not a wait: the message comes first
                let expired = state.withLock { state in
                    guard state.waiter?.number == number else { return nil as CheckedContinuation<[UInt8]?, Never>? }
                    defer { state.waiter = nil }
                    return state.waiter?.continuation
                }
                expired?.resume(returning: nil)
            }
        }
    }
}

func lspFrame(_ json: String) -> String { "Content-Length: \(json.utf8.count)\r\n\r\n\(json)" }

/// Reads `fd` to its end, handing over each message the server framed (a string saying so
/// for one that is not JSON).
func readMessages(from fd: Int32, _ deliver: (JSONValue) -> Void) {
    readFrames(from: fd) { deliver(parsed($0)) }
}

/// Reads `fd` to its end, handing over the bytes of each message the server framed.
func readFrames(from fd: Int32, _ deliver: ([UInt8]) -> Void) {
    var decoder = FrameDecoder(maxMessageBytes: 1 << 26)
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = read(fd, &chunk, chunk.count)
        if count <= 0 { break }
        for case .message(let bytes) in decoder.feed(chunk[0..<count]) { deliver(bytes) }
    }
}

private func parsed(_ text: some Sequence<UInt8>) -> JSONValue {
    (try? JSONValue.parse(Data(text))) ?? "unparseable message from the server"
}
