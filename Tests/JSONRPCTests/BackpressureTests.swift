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

        // 20,000 requests are about 0.9 MB in and 0.7 MB out: far more than the pipes and the limit hold.
        let count = 20_000
        let requests = (1...count).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"ping"}"# + "\n" }.joined()
        let sent = Mutex(0)
        let toServer = input[1]
        Thread.detachNewThread {
            Array(requests.utf8).withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(toServer, raw.baseAddress! + offset, min(4_096, raw.count - offset))
                    if written <= 0 { break }
                    offset += written
                    sent.withLock { $0 = offset }
                }
            }
            close(toServer)
        }

        // The reader pauses while the unwritten answers pass the limit. (How much it read
        // first depends on how far it ran ahead of the handlers, so that is not asserted.)
        let deadline = ContinuousClock.now + .seconds(60)
        while !connection.isHoldingInput {
            try #require(ContinuousClock.now < deadline, "the reader never stopped reading: nothing held the input")
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(connection.unwrittenBytes > limit)
        #expect(sent.withLock { $0 } > 0)

        // Now the client reads: every request is answered exactly once.
        var answered = Set<Int>()
        var duplicates = 0
        readMessages(from: output[0]) { message in
            if let id = message["id"]?.intValue, !answered.insert(Int(id)).inserted { duplicates += 1 }
        }
        close(output[0])
        #expect(answered.count == count)
        #expect(duplicates == 0)
    }
}
