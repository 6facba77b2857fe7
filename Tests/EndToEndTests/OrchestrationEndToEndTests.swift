import BosunJSON
import Foundation
import Testing
import TestSupport

/// The orchestration over the real binary and the real mock provider on loopback.
@Suite(.serialized) struct OrchestrationEndToEndTests {
    @Test func twelveWorkersAtCapFiveNeverOverlapMoreThanFive() async throws {
        // The first five model calls wait until the test releases them: the first five workers
        // are all running, and the other seven all queued, until then.
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "150", "--tool-steps", "2"],
                                           script: "rules:\n  - hold: true\n    times: 5\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        let info = try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 5])
        #expect(info["session"]?["maxConcurrentWorkers"] == 5)
        for index in 0..<12 {
            let worker = try await serve.spawn(["task": .string("List the files, take \(index)")])
            if index < 5 {
                #expect(worker.state == "running", "\(worker)")
            } else {
                #expect(worker.state == "queued", "\(worker)")
                #expect(worker["queuePosition"]?.intValue == Int64(index - 4), "behind every earlier queued worker: \(worker)")
            }
        }
        #expect(try await waitUntil(pace: .milliseconds(10)) { try world.mock.held() == 5 }, "the first five workers' first calls")
        #expect(try world.mock.releaseHeld() == 5)
        let done = try await serve.awaitAll()
        let finished = done["finished"]?.arrayValue ?? []
        #expect(finished.count == 12)
        #expect(finished.allSatisfy { $0.state == "succeeded" && $0["steps"] == 3 })
        // Five at once while the calls were held; never more, before or after.
        #expect(peakConcurrency(try await serve.trace()) == 5)
        #expect(try await serve.shutdownAndExit() == 0)
    }

    @Test func prioritiesAndAfterChainsIncludingAFailedDependency() async throws {
        // The blocker's first model call waits until the test releases it, so everything below
        // is spawned, and queued, while it holds the only slot.
        let script = "rules:\n  - match: { lastMessage: \"Hold the only slot\" }\n    hold: true\n    times: 1\n"
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "50", "--tool-steps", "1"], script: script)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 1])
        let blocker = try await serve.spawn(["task": "Hold the only slot"])
        let low = try await serve.spawn(["task": "Low", "priority": 0])
        let high = try await serve.spawn(["task": "High", "priority": 10])
        let doomed = try await serve.spawn(["task": "Run out of steps", "limits": ["maxSteps": 1]])
        let next = try await serve.spawn(["task": "Use the first result", "after": .array([.string(blocker.id)])])
        let orphan = try await serve.spawn(["task": "Never runs", "after": .array([.string(doomed.id)])])
        #expect(try await serve.worker(blocker.id).state == "running")
        #expect(try await serve.worker(high.id)["queuePosition"] == 1)
        #expect(try await serve.worker(low.id)["queuePosition"] == 2)
        #expect(try await waitUntil(pace: .milliseconds(10)) { try world.mock.held() == 1 }, "the blocker's first call")
        #expect(try world.mock.releaseHeld() == 1)
        _ = try await serve.awaitAll()
        let starts = try await serve.trace().filter { $0["kind"] == "started" }.compactMap { $0["workerId"]?.stringValue }
        #expect(starts.prefix(3) == [blocker.id, high.id, low.id])
        #expect(try await serve.worker(next.id).state == "succeeded")
        let failedDependency = try await serve.worker(orphan.id)
        #expect(failedDependency.state == "failed")
        #expect(failedDependency["error"]?["code"] == "dependency_failed")
        #expect(try await serve.worker(doomed.id)["error"]?["code"] == "max_steps")
        #expect(!starts.contains(orphan.id))
        #expect(try await serve.shutdownAndExit() == 0)
    }

    @Test func steeringARunningWorkerAndAFinishedOne() async throws {
        // The worker's first model call waits until the steer is answered: it is surely running.
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "150", "--tool-steps", "3"],
                                           script: "rules:\n  - hold: true\n    times: 1\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Survey the workspace"])
        let steer = try await serve.call("steer", ["workerId": .string(worker.id), "message": "Focus on src/."])
        #expect(steer["delivery"] == "next-step")
        #expect(try await waitUntil(pace: .milliseconds(10)) { try world.mock.held() == 1 }, "the worker's first call")
        #expect(try world.mock.releaseHeld() == 1)
        let first = try await serve.awaitAll([worker.id])["finished"]?.arrayValue?.first
        #expect(first?.state == "succeeded")
        let resumed = try await serve.call("steer", ["workerId": .string(worker.id), "message": "Add one more detail."])
        #expect(resumed["delivery"] == "resumed")
        let second = try await serve.awaitAll([worker.id])["finished"]?.arrayValue?.first
        #expect(second?.state == "succeeded")
        #expect((second?["steps"]?.intValue ?? 0) > (first?["steps"]?.intValue ?? 0))
        let kinds = try await serve.trace().filter { $0["workerId"]?.stringValue == worker.id }.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.filter { $0 == "steered" }.count == 2)
        #expect(kinds.filter { $0 == "started" }.count == 2)
        #expect(try await serve.shutdownAndExit() == 0)
    }

    @Test func cancellingWhileQueuedAndWhileRunning() async throws {
        // Every model call waits for a release that never comes: the first worker runs until
        // it is cancelled, and the second stays queued behind it.
        let world = try OrchestrationWorld(mockArguments: ["--tool-steps", "5"], script: "rules:\n  - hold: true\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 1])
        let running = try await serve.spawn(["task": "Run"])
        let queued = try await serve.spawn(["task": "Wait"])
        let cancelQueued = try await serve.call("cancel", ["workerId": .string(queued.id), "reason": "not needed"])
        #expect(cancelQueued["cancelled"] == .array([.string(queued.id)]))
        #expect(try await serve.worker(queued.id).state == "cancelled")
        _ = try await serve.call("cancel", ["workerId": .string(running.id)])
        #expect(try await serve.worker(running.id).state == "cancelled")
        await #expect(throws: ResponseError.self) { try await serve.call("cancel", ["workerId": .string(running.id)]) }
        await #expect(throws: ResponseError.self) { try await serve.call("steer", ["workerId": .string(running.id), "message": "go"]) }
        let cancelledEvents = serve.workerEvents(kind: "cancelled").compactMap { $0["workerId"]?.stringValue }
        #expect(Set(cancelledEvents) == [queued.id, running.id])
        #expect(try await serve.shutdownAndExit() == 0)
    }

    @Test func eachLimitEndsItsWorker() async throws {
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "20", "--tool-steps", "50"],
                                           script: "rules:\n  - match: { model: mock-stall }\n    fault: stall\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let stalled = try await serve.spawn(["task": "Stall", "model": "stalled", "limits": ["timeoutSeconds": 1]])
        let steps = try await serve.spawn(["task": "Steps", "limits": ["maxSteps": 2]])
        let tokens = try await serve.spawn(["task": "Tokens", "limits": ["maxTokens": 1]])
        let cost = try await serve.spawn(["task": "Cost", "limits": ["maxCostUSD": 0.000001]])
        let timedOut = try await serve.awaitAll([stalled.id])["finished"]?.arrayValue?.first
        #expect(timedOut?.state == "timed_out")
        #expect(try serve.secondsBetweenEvents("started", "timed_out", of: stalled.id) < 3, "a 1 s timeout must end the worker within 2 s of it")
        #expect(serve.workerEvents(kind: "timed_out").count == 1)
        _ = try await serve.awaitAll()
        #expect(try await serve.worker(steps.id)["error"]?["code"] == "max_steps")
        #expect(try await serve.worker(steps.id)["steps"] == 2)
        #expect(try await serve.worker(tokens.id)["error"]?["code"] == "max_tokens")
        #expect(try await serve.worker(cost.id)["error"]?["code"] == "max_cost")
        #expect(try await serve.shutdownAndExit() == 0)
    }

    @Test func providerRetriesAreNotStepsAndAFinalProviderErrorFailsTheWorker() async throws {
        let script = "rules:\n  - match: { model: mock-mute }\n    fault: \"401:type=authentication_error,message=bad key\"\n"
        let world = try OrchestrationWorld(mockArguments: ["--tool-steps", "1", "--fault", "500:count=2"], script: script,
                                           providerOptions: "retry: { baseDelaySeconds: 0.05, maxDelaySeconds: 0.1 }")
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let retried = try await serve.spawn(["task": "Survive two server errors", "wait": true])
        #expect(retried.state == "succeeded")
        #expect(retried["steps"] == 2)
        let retries = serve.workerEvents(kind: "retry").filter { $0["workerId"]?.stringValue == retried.id }
        #expect(retries.count == 2)
        #expect(retries.first?["data"]?["attempt"] != nil)
        let refused = try await serve.spawn(["task": "Meet a bad key", "model": "mute", "wait": true])
        #expect(refused.state == "failed")
        #expect(refused["error"]?["code"] == "provider_error")
        #expect(refused["error"]?["message"]?.stringValue?.contains("bad key") == true)
        #expect(try await serve.stop() == 0)
    }

    @Test func killNineThenResumeShowsEveryWorker() async throws {
        // "Keep running"'s first model call waits for a release that never comes, so it is
        // surely running at the kill.
        let script = "rules:\n  - match: { lastMessage: \"Keep running\" }\n    hold: true\n    times: 1\n"
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "200", "--tool-steps", "1"], script: script)
        defer { world.tearDown() }
        let first = try world.serve()
        let info = try await first.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 1])
        let sessionId = info["session"]?["id"]?.stringValue ?? ""
        let quick = try await first.spawn(["task": "Quick", "wait": true])
        #expect(quick.state == "succeeded")
        let running = try await first.spawn(["task": "Keep running", "limits": ["maxSteps": 50]])
        let queued = try await first.spawn(["task": "Queued"])
        #expect(try await first.firstWorkerEvent(kind: "model_call", of: running.id) != nil, "the worker never called its model")
        _ = try await first.call("trace", ["limit": 1])  // a read of the store: answered once its row and brief are committed
        try await first.killHard()

        let second = try world.serve()
        let reopened = try await second.initialize(root: world.workspace, options: ["session": .string(sessionId)])
        #expect(reopened["session"]?["resumed"] == true)
        #expect(reopened["session"]?["id"] == .string(sessionId))
        let status = try await second.call("status")
        let states = Dictionary(uniqueKeysWithValues: (status["workers"]?.arrayValue ?? []).map { ($0.id, $0.state) })
        #expect(states == [quick.id: "succeeded", running.id: "interrupted", queued.id: "interrupted"])
        #expect(try await second.worker(quick.id)["result"]?["text"] != nil)
        let steer = try await second.call("steer", ["workerId": .string(running.id), "message": "Finish now."])
        #expect(steer["delivery"] == "resumed")
        let resumed = try await second.awaitAll([running.id])["finished"]?.arrayValue?.first
        #expect(resumed?.state == "succeeded")
        #expect(try await second.shutdownAndExit() == 0)
    }

    @Test func aThousandSpawnsWithRandomCancelsLoseNothing() async throws {
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "1", "--tool-steps", "0"])
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 5, "events": "terminal"])
        var generator = SystemRandomNumberGenerator()
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    try await serve.spawn(["task": .string("Item \(index)"), "priority": .int(Int64(index % 3))]).id
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        var cancelled: Set<String> = []
        for id in ids.shuffled(using: &generator).prefix(300) {
            do {
                let answer = try await serve.call("cancel", ["workerId": .string(id)])
                cancelled.formUnion((answer["cancelled"]?.arrayValue ?? []).compactMap(\.stringValue))
            } catch let failure as ResponseError {
                #expect(failure.code == -32011, "\(failure)")
            }
        }
        let done = try await serve.awaitAll(timeout: 120)
        #expect(done["pending"] == .array([]))
        let finished = done["finished"]?.arrayValue ?? []
        #expect(Set(finished.map(\.id)) == Set(ids))
        for worker in finished {
            #expect(worker.state == (cancelled.contains(worker.id) ? "cancelled" : "succeeded"), "\(worker)")
        }
        let trace = try await serve.trace()
        #expect(peakConcurrency(trace) <= 5)
        let terminalEvents = trace.filter { ["succeeded", "cancelled"].contains($0["kind"]?.stringValue ?? "") }
        #expect(terminalEvents.count == 1000)
        #expect(serve.workerEvents().count == 1000)
        #expect(try await serve.shutdownAndExit() == 0)
    }
}
