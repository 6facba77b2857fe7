import BosunJSON
import BosunProtocol
import Config
import Orchestration
import Providers
import Testing

/// Prompt-cache writes are counted apart from input like cache reads: per model call (the
/// `model_reply` event), per worker, per session, in the store, and costed at the
/// configured cache-write price.
@Suite struct CacheUsageTests {
    /// Each call: 50 input tokens at full price, 400 read from the cache, 300 written to it.
    static func cachingModel(toolSteps: Int) -> FakeModelClient {
        FakeModelClient { request in
            let made = request.messages.filter { $0.role == .assistant }.count
            let usage = Usage(inputTokens: 50, outputTokens: 10, cacheReadTokens: 400, cacheWriteTokens: 300)
            let name = made < toolSteps ? "echo" : "submit_result"
            let input: JSONValue = made < toolSteps ? ["say": "step"] : ["text": "done"]
            return ModelReply(content: [.toolUse(id: "call_\(made)", name: name, input: input)], stopReason: .toolUse, usage: usage)
        }
    }

    /// USD per million tokens, with a cache-write price of its own (not the 1.25 × input default).
    static let price = ModelPrice(input: 1, output: 5, cacheRead: 0.1, cacheWrite: 3)

    @Test func cacheWritesAreCountedPerCallWorkerAndSessionAndCostedAtTheConfiguredPrice() async throws {
        let harness = try SessionHarness()
        let session = try await harness.open(Self.cachingModel(toolSteps: 2)) { config in
            for alias in config.models.keys { config.models[alias]?.price = Self.price }
        }
        let first = try await session.spawn(SpawnParams(task: "Report", wait: true))
        let second = try await session.spawn(SpawnParams(task: "Report again", wait: true))

        // Three calls each: the two echo steps and submit_result.
        let perCall = Usage(inputTokens: 50, outputTokens: 10, cacheReadTokens: 400, cacheWriteTokens: 300)
        let expectedCost = 3 * Self.price.cost(of: perCall)
        for worker in [first, second] {
            #expect(worker.usage.cacheWriteTokens == 900 && worker.usage.cacheReadTokens == 1200 && worker.usage.inputTokens == 150)
            #expect(abs(worker.usage.costUSD - expectedCost) < 1e-12)
        }
        // 300 written tokens at $3/M are $0.0009 of each call's $0.00104 (50 + 50 + 40 + 900 millionths).
        #expect(abs(Self.price.cost(of: perCall) - 0.00104) < 1e-12)

        guard case .session(let status) = try await session.status(StatusParams()) else {
            Issue.record("no session status")
            return
        }
        #expect(status.usage.cacheWriteTokens == 1800 && status.usage.cacheReadTokens == 2400)
        #expect(abs(status.usage.costUSD - 2 * expectedCost) < 1e-12)

        let replies = try await session.trace(TraceParams(workerId: first.id)).events.compactMap { entry -> Int? in
            guard case .worker(let event) = entry, case .modelReply(_, _, _, _, let written, _) = event.data else { return nil }
            return written
        }
        #expect(replies == [300, 300, 300])
        await session.close()

        // What the store kept comes back when the session is resumed.
        let resumed = try await harness.open(Self.cachingModel(toolSteps: 0), resume: session.id)
        #expect(try await resumed.worker(first.id).usage.cacheWriteTokens == 900)
        await resumed.close()
        await harness.cleanUp()
    }

    /// A worker's calls carry its id as the prompt cache key, unless its model says `promptCache: false`.
    @Test func aModelCanTurnTheCacheMarksOff() async throws {
        let harness = try SessionHarness()
        let marked = Self.cachingModel(toolSteps: 1), unmarked = Self.cachingModel(toolSteps: 1)
        let session = try await harness.open(marked)
        let worker = try await session.spawn(SpawnParams(task: "Report", wait: true))
        #expect(marked.recordedRequests.count == 2 && marked.recordedRequests.allSatisfy { $0.cacheKey == worker.id })
        await session.close()
        let off = try await harness.open(unmarked) { config in
            for alias in config.models.keys { config.models[alias]?.promptCache = false }
        }
        _ = try await off.spawn(SpawnParams(task: "Report", wait: true))
        #expect(unmarked.recordedRequests.count == 2 && unmarked.recordedRequests.allSatisfy { $0.cacheKey == nil })
        await off.close()
        await harness.cleanUp()
    }

    /// A ledger or stored result written before cache writes were counted still reads.
    @Test func usageWithoutCacheWritesStillDecodes() throws {
        let old: JSONValue = ["inputTokens": 10, "outputTokens": 2, "cacheReadTokens": 5, "costUSD": 0.5]
        #expect(try old.decode(as: WorkerUsage.self) == WorkerUsage(inputTokens: 10, outputTokens: 2, cacheReadTokens: 5, costUSD: 0.5))
        let event = try WorkerEventData(kind: .modelReply, json: ["step": 1, "inputTokens": 10, "outputTokens": 2,
                                                                  "cacheReadTokens": 5, "costUSD": 0.5])
        #expect(event == .modelReply(step: 1, inputTokens: 10, outputTokens: 2, cacheReadTokens: 5, cacheWriteTokens: 0, costUSD: 0.5))
    }
}
