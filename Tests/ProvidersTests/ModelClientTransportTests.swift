import Foundation
import HTTP
import MockProvider
import Testing
import TestSupport
@testable import Providers

/// Model clients over the HTTP client against the mock provider: cancellation reaching the
/// transfer, kept connections, fan-out.
@Suite(.serialized) struct ModelClientTransportTests {
    /// Cancelling the task mid-stream aborts the transfer: the mock sees its reply end long
    /// before the stream could have ended by itself (10,000 tokens at 20 a second take over
    /// 8 minutes), and the call throws `CancellationError`. How fast the abort is (the design
    /// says under 100 ms) is a figure for bench/, not for a test on a busy machine.
    @Test func cancellationMidStreamClosesTheTransferPromptly() async throws {
        try await withMock(MockProviderOptions(tokensPerSecond: 20, syntheticTextTokens: 10_000)) { server, port in
            for _ in 0..<3 {
                let client = makeModelClient(endpoint(.anthropic, port: port))
                let firstToken = AsyncStream<Void>.makeStream()
                let task = Task {
                    try await client.complete(request(stream: true)) { event in
                        if case .textDelta = event { firstToken.continuation.yield() }
                    }
                }
                for await _ in firstToken.stream { break }
                #expect(server.stats().activeResponses == 1)
                task.cancel()
                // The mock's writer stops when it finds the connection closed; the 30 s cap
                // only keeps a broken build from waiting out the whole stream.
                let closed = try await waitUntil(timeout: .seconds(30), pace: .milliseconds(1)) { server.stats().activeResponses == 0 }
                #expect(closed, "the mock is still writing the stream after the task was cancelled")
                guard closed else { return }  // else the task would wait out the whole stream
                let result = await task.result
                #expect(throws: CancellationError.self) { try result.get() }
            }
        }
    }

    /// Cancelling a whole (unstreamed) request while the provider is still thinking aborts
    /// the transfer: the mock would wait 10 minutes before its first byte, so its reply ending
    /// (activeResponses 0: its pause found the connection closed) within the 30 s cap can only
    /// be the abort, and the call throws `CancellationError`. How fast the abort is belongs in
    /// bench/, not in a test on a busy machine.
    @Test func cancellingAWholeRequestAbortsIt() async throws {
        try await withMock(MockProviderOptions(latencyMs: 600_000)) { server, port in
            let client = makeModelClient(endpoint(.openai, port: port))
            let task = Task { try await client.complete(request(stream: false), progress: nil) }
            // The mock is writing the reply: it has read the request and sits in its latency.
            #expect(try await waitUntil(pace: .milliseconds(2)) { server.stats().activeResponses == 1 }, "the request never reached the mock")
            task.cancel()
            // The 30 s cap only keeps a broken build from waiting out the 10 minutes.
            let closed = try await waitUntil(timeout: .seconds(30), pace: .milliseconds(2)) { server.stats().activeResponses == 0 }
            #expect(closed, "the mock is still waiting to answer after the task was cancelled")
            guard closed else { return }  // else the task would wait out the latency
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(server.stats().requests == 1, "a cancelled call is not retried")
        }
    }

    /// Six overlapping calls need six connections. They end one by one, and libcurl's default
    /// cache (four connections per transfer still running) closed one as the last ended; the
    /// next six calls must find all six open instead of connecting again.
    @Test func connectionsOfABurstStayOpenForTheNext() async throws {
        // Each call is held until all six are in flight, so they surely overlap; released
        // together, the call for model mN answers N × 50 ms later, so they end apart.
        let script = try MockScript(yaml: "rules:\n" + (0..<6).map { "  - match: { model: m\($0) }\n    hold: true\n    latencyMs: \(50 * $0)\n" }.joined())
        try await withMock(MockProviderOptions(script: script)) { server, port in
            let client = makeModelClient(endpoint(.openai, port: port), http: HTTPClient(name: "test-http"))
            for burst in 1...3 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<6 {
                        group.addTask { _ = try await client.complete(request(model: "m\(index)", stream: true), progress: nil) }
                    }
                    #expect(try await waitUntil { server.heldRequests() == 6 }, "burst \(burst): six calls at once")
                    #expect(server.releaseHeld() == 6)
                    try await group.waitForAll()
                }
                #expect(server.stats().requests == 6 * burst)
                #expect(server.stats().acceptedConnections == 6, "after burst \(burst)")
            }
        }
    }

    @Test func fiftyConcurrentStreams() async throws {
        // Every call is held until all fifty are in flight at once, then they stream together.
        let options = MockProviderOptions(tokensPerSecond: 200, script: try MockScript(yaml: "rules:\n  - hold: true\n"),
                                          syntheticTextTokens: 40)
        try await withMock(options) { server, port in
            let replies = try await withThrowingTaskGroup(of: ModelReply.self) { group in
                for index in 0..<50 {
                    let kind: ProviderKind = index.isMultiple(of: 2) ? .anthropic : .openai
                    group.addTask { try await makeModelClient(endpoint(kind, port: port)).complete(request(stream: true), progress: nil) }
                }
                #expect(try await waitUntil { server.heldRequests() == 50 }, "fifty streams at once")
                #expect(server.releaseHeld() == 50)
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.count == 50)
            #expect(replies.allSatisfy { $0.usage.outputTokens == 40 && $0.text == MockReplyPlannerText.expected(words: 40) })
            #expect(server.stats().requests == 50)
        }
    }
}
