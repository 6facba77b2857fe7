import Foundation
import Logging
import Synchronization
import Testing

@testable import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// A client that writes requests without reading the answers: the connection stops reading
/// once its unwritten output passes the limit, and every request is still answered, once,
/// when the client reads. (`make stress` runs the same with
/// a million requests against the real binary and measures its memory.)
@Suite struct BackpressureTests {
    @Test func aClientThatDoesNotReadIsNotReadEither() async throws {
        signal(SIGPIPE, SIG_IGN)
        var input: [Int32] = [0, 0]
        var output: [Int32] = [0, 0]
        try #require(pipe(&input) == 0 && pipe(&output) == 0)
        let limit = 64 << 10
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let connection = JSONRPCConnection(
            input: input[0], output: output[1], registry: makeRegistry(), framing: .newlineDelimited,
            inputPauseLimit: limit, logger: logger)
        let serverEnds = (input[0], output[1])
        connection.start { _ in
            Task {
                _ = await connection.drain(timeout: .seconds(30))
                connection.close()
                close(serverEnds.0)
                close(serverEnds.1)
            }
        }

        // The client writes requests until told to stop, one whole line per write (atomic on
        // a pipe), counting the ones it wrote.
        let sent = Mutex(0)
        let stop = Mutex(false)
        let toServer = input[1]
        let writerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var id = 0
            while !stop.withLock({ $0 }) {
                id += 1
                let line = Array((#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"# + "\n").utf8)
                guard line.withUnsafeBytes({ write(toServer, $0.baseAddress, $0.count) }) == line.count else { break }
                sent.withLock { $0 = id }
            }
            close(toServer)
            writerDone.signal()
        }

        // The reader pauses once the unwritten answers pass the limit.
        let deadline = ContinuousClock.now + .seconds(60)
        while !connection.isHoldingInput {
            try #require(ContinuousClock.now < deadline, "the reader never stopped reading: nothing held the input")
            try await Task.sleep(for: .milliseconds(5)) // paces the checks; the wait is for the input to be held
        }
        #expect(connection.unwrittenBytes > limit)
        stop.withLock { $0 = true }

        // Now the client reads: every request it wrote is answered exactly once.
        var answered = Set<Int>()
        var duplicates = 0
        readMessages(from: output[0]) { message in
            if let id = message["id"]?.intValue, !answered.insert(Int(id)).inserted { duplicates += 1 }
        }
        close(output[0])
        writerDone.wait()
        let count = sent.withLock { $0 }
        #expect(count > 0)
        #expect(answered == Set(1...max(count, 1)))
        #expect(duplicates == 0)
    }
}
