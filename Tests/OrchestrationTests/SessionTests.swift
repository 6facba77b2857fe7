import BosunJSON
import BosunProtocol
import Foundation
import Providers
import Synchronization
import Testing
import TestSupport
import TraceStore
@testable import Orchestration

@Suite(.serialized) struct SessionTests {
    @Test func theCapHoldsAndEveryWorkerSucceeds() async throws {
        let harness = try SessionHarness()
        let client = FakeModelClient.synthetic(toolSteps: 2, latency: .milliseconds(20))
        let session = try await harness.open(client, cap: 3)
        var ids: [String] = []
        for index in 0..<12 {
            let worker = try await session.spawn(SpawnParams(task: "Count to \(index)"))
            ids.append(worker.id)
        }
        let result = try await session.awaitAll()
        #expect(result.pending.isEmpty)
        #expect(result.finished.allSatisfy { $0.state == .succeeded && $0.steps == 3 && $0.result?.text == "done" })
        #expect(client.peakInFlight <= 3)
        #expect(client.peakInFlight >= 2)
        guard case .session(let status) = try await session.status(StatusParams()) else { Issue.record("no summary"); return }
        #expect(status.session.counts["succeeded"] == 12)
        #expect(status.usage.inputTokens == 12 * 3 * 100)
        await session.close()
        await harness.cleanUp()
    }

    /// A spawn makes its role's tools once: checking them at the spawn and running the worker
    /// share the same tools.
    @Test func aSpawnMakesItsRolesToolsOnce() async throws {
        let harness = try SessionHarness()
        let made = Mutex(0)
        let session = try await harness.open(FakeModelClient.synthetic(toolSteps: 1), tools: { _, _ in
            made.withLock { $0 += 1 }
            return [EchoTool()]
        })
        let worker = try await session.spawn(SpawnParams(task: "Echo once", wait: true))
        #expect(worker.state == .succeeded)
        #expect(made.withLock { $0 } == 1)
        await session.close()
        await harness.cleanUp()
    }

    /// The session sends its front end only the worker events the front end passes on (asks
    /// and answers always); the trace keeps them all.
    @Test func onlyTheWorkerEventsTheFrontEndPassesOnAreSent() async throws {
        var stored: [String] = []
        for delivery in [EventDelivery.all, .terminal, .none] {
            let harness = try SessionHarness()
            let log = NotificationLog()
            let session = try await harness.open(FakeModelClient.synthetic(toolSteps: 1), log: log, workerEvents: delivery)
            let worker = try await session.spawn(SpawnParams(task: "Echo once", wait: true))
            #expect(worker.state == .succeeded)
            stored = try await harness.store.events(sessionId: session.id, workerId: worker.id, afterSeq: 0, limit: 100).map(\.kind)
            switch delivery {
            case .all: #expect(log.events(of: worker.id) == stored)
            case .terminal: #expect(log.events(of: worker.id) == ["succeeded"])
            case .none: #expect(log.events(of: worker.id).isEmpty)
            }
            await session.close()
            await harness.cleanUp()
        }
        #expect(stored.contains("model_call") && stored.last == "succeeded", "\(stored)")
        #expect(EventDelivery.none.needs(.asked) && EventDelivery.none.needs(.answered) && EventDelivery.terminal.needs(.asked))
    }

    @Test func higherPriorityStartsFirstThenFIFO() async throws {
        let harness = try SessionHarness()
        let log = NotificationLog()
        // The first worker holds the one slot until the others are queued behind it.
        let release = AsyncStream<Void>.makeStream()
        let client = FakeModelClient { request in
            if "\(request.messages.first?.content ?? [])".contains("Hold the slot") {
                for await _ in release.stream { break }
            }
            return ModelReply(content: [.toolUse(id: "s", name: "submit_result", input: ["text": "ok"])],
                              stopReason: .toolUse, usage: Usage())
        }
        let session = try await harness.open(client, cap: 1, log: log)
        let first = try await session.spawn(SpawnParams(task: "Hold the slot"))
        let low = try await session.spawn(SpawnParams(task: "Low", priority: 0))
        let lowToo = try await session.spawn(SpawnParams(task: "Low too", priority: 0))
        let high = try await session.spawn(SpawnParams(task: "High", priority: 5))
        #expect(first.state == .running)
        #expect(try await session.worker(high.id).queuePosition == 1)
        #expect(try await session.worker(lowToo.id).queuePosition == 3)
        release.continuation.finish()
        _ = try await session.awaitAll()
        let starts = log.all.filter { $0.params["kind"]?.stringValue == "started" }.compactMap { $0.params["workerId"]?.stringValue }
        #expect(starts == [first.id, high.id, low.id, lowToo.id])
        await session.close()
        await harness.cleanUp()
    }

    @Test func afterChainsPassResultsAndFailuresDownstream() async throws {
        let harness = try SessionHarness()
        let client = FakeModelClient { request in
            try await Task.sleep(for: .milliseconds(50)) // the model's latency
            let brief = request.messages.first.flatMap { message -> String? in
                if case .text(let text) = message.content.first { return text }
                return nil
            } ?? ""
            if brief.contains("TASK\nFail") {
                return ModelReply(content: [.text("no")], stopReason: .endTurn, usage: Usage())
            }
            let answer = brief.contains("RESULTS OF EARLIER WORKERS") && brief.contains("alpha-result") ? "saw alpha" : "alpha-result"
            return ModelReply(content: [.toolUse(id: "s", name: "submit_result", input: ["text": .string(answer)])],
                              stopReason: .toolUse, usage: Usage())
        }
        let session = try await harness.open(client, cap: 2)
        let alpha = try await session.spawn(SpawnParams(task: "Alpha"))
        let beta = try await session.spawn(SpawnParams(task: "Beta", after: [alpha.id]))
        #expect(beta.state == .queued)
        let failing = try await session.spawn(SpawnParams(task: "Fail", limits: LimitOverrides(maxSteps: 1)))
        let orphan = try await session.spawn(SpawnParams(task: "Orphan", after: [failing.id, alpha.id]))
        _ = try await session.awaitAll()
        #expect(try await session.worker(beta.id).result?.text == "saw alpha")
        let failed = try await session.worker(orphan.id)
        #expect(failed.state == .failed)
        #expect(failed.error?.code == .dependencyFailed)
        #expect(failed.error?.message.contains(failing.id) == true)
        #expect(failed.steps == 0)
        let late = try await session.spawn(SpawnParams(task: "Late", after: [failing.id]))
        #expect(late.state == .failed)
        #expect(late.error?.code == .dependencyFailed)
        await session.close()
        await harness.cleanUp()
    }

    @Test func anInvalidSubmissionIsSentBackAndCountsAsAStep() async throws {
        let harness = try SessionHarness()
        let client = FakeModelClient { request in
            let tries = request.messages.filter { $0.role == .assistant }.count
            let input: JSONValue = tries == 0 ? ["count": "three"] : ["count": 3]
            return ModelReply(content: [.toolUse(id: "s\(tries)", name: "submit_result", input: input)],
                              stopReason: .toolUse, usage: Usage())
        }
        let session = try await harness.open(client)
        let schema: JSONValue = ["type": "object", "properties": ["count": ["type": "integer"]], "required": ["count"]]
        let worker = try await session.spawn(SpawnParams(task: "Count", output: .init(schema: schema), wait: true))
        #expect(worker.state == .succeeded)
        #expect(worker.steps == 2)
        #expect(worker.result?.structured == ["count": 3])
        let second = client.recordedRequests[1].messages.last
        guard case .toolResult(_, let content, let isError) = second?.content.first else { Issue.record("no feedback"); return }
        #expect(isError)
        #expect(content.contains("count"))
        await session.close()
        await harness.cleanUp()
    }

    @Test func eachLimitEndsTheWorkerWithItsCode() async throws {
        let harness = try SessionHarness()
        let session = try await harness.open(.synthetic(toolSteps: 100, latency: .milliseconds(1)), cap: 5)
        let steps = try await session.spawn(SpawnParams(task: "Steps", limits: LimitOverrides(maxSteps: 3)))
        let tokens = try await session.spawn(SpawnParams(task: "Tokens", limits: LimitOverrides(maxTokens: 250)))
        let cost = try await session.spawn(SpawnParams(task: "Cost", limits: LimitOverrides(maxCostUSD: 0.0005)))
        _ = try await session.awaitAll()
        let byStep = try await session.worker(steps.id)
        #expect(byStep.error?.code == .maxSteps)
        #expect(byStep.steps == 3)
        #expect(try await session.worker(tokens.id).error?.code == .maxTokens)
        #expect(try await session.worker(tokens.id).steps == 3)
        // Each call costs 100 × $1/M + 20 × $5/M = $0.0002, so the third call crosses $0.0005.
        #expect(try await session.worker(cost.id).error?.code == .maxCost)
        #expect(try await session.worker(cost.id).steps == 3)
        await session.close()
        await harness.cleanUp()
    }

    @Test func aTimeoutEndsAStalledWorkerPromptlyAndFreesItsSlot() async throws {
        let harness = try SessionHarness()
        let stalled = FakeModelClient { request in
            if request.messages.first.map({ "\($0)".contains("Quick") }) == true {
                return ModelReply(content: [.toolUse(id: "s", name: "submit_result", input: ["text": "ok"])],
                                  stopReason: .toolUse, usage: Usage())
            }
            try await Task.sleep(for: .seconds(60)) // a model call that never ends: the timeout ends the worker
            throw CancellationError()
        }
        let log = NotificationLog()
        let session = try await harness.open(stalled, cap: 1, log: log)
        let clock = ContinuousClock()
        let start = clock.now
        let stuck = try await session.spawn(SpawnParams(task: "Stall", limits: LimitOverrides(timeoutSeconds: 0.3)))
        let next = try await session.spawn(SpawnParams(task: "Quick"))
        let done = try await session.awaitAll([stuck.id])
        #expect(clock.now - start < .seconds(2.3))
        #expect(done.finished.first?.state == .timedOut)
        #expect(done.finished.first?.error?.code == .timeout)
        #expect(log.events(of: stuck.id).last == "timed_out")
        #expect(try await session.awaitAll([next.id]).finished.first?.state == .succeeded)
        await session.close()
        await harness.cleanUp()
    }

    @Test func eachWorkerTimesOutAtItsOwnDeadline() async throws {
        let harness = try SessionHarness()
        let stalled = FakeModelClient { _ in
            try await Task.sleep(for: .seconds(60)) // a model call that never ends: the timeout ends the worker
            throw CancellationError()
        }
        let session = try await harness.open(stalled, cap: 4)
        let clock = ContinuousClock()
        let start = clock.now
        // The session's one timer is armed for the long deadline first, then moved sooner.
        let late = try await session.spawn(SpawnParams(task: "Late", limits: LimitOverrides(timeoutSeconds: 1.2)))
        let early = try await session.spawn(SpawnParams(task: "Early", limits: LimitOverrides(timeoutSeconds: 0.3)))
        let never = try await session.spawn(SpawnParams(task: "Never", limits: LimitOverrides(timeoutSeconds: 1e300)))
        let first = try await session.awaitWorkers(AwaitParams(workers: [late.id, early.id], mode: .any, timeoutSeconds: 30))
        #expect(first.finished.map(\.id) == [early.id])
        #expect(clock.now - start < .seconds(1.1))
        let both = try await session.awaitAll([late.id, early.id])
        #expect(both.finished.allSatisfy { $0.state == .timedOut && $0.error?.code == .timeout })
        #expect(clock.now - start >= .seconds(1.2))
        // Timeouts too large to represent are as good as none: the worker still runs, and an
        // await with such a timeout returns when the worker ends.
        guard case .worker(let view) = try await session.status(StatusParams(workerId: never.id)) else {
            Issue.record("no worker view"); return
        }
        #expect(view.state == .running)
        let waiting = Task { try await session.awaitWorkers(AwaitParams(workers: [never.id], mode: .all, timeoutSeconds: 1e300)) }
        #expect(try await waitUntil { await !session.waiters.isEmpty }, "the await never started waiting")
        _ = try await session.cancel(CancelParams(workerId: never.id))
        #expect(try await waiting.value.finished.map(\.state) == [.cancelled])
        await session.close()
        await harness.cleanUp()
    }

    @Test func cancellingQueuedAndRunningWorkers() async throws {
        let harness = try SessionHarness()
        let session = try await harness.open(.synthetic(toolSteps: 1000, latency: .milliseconds(20)), cap: 1)
        let running = try await session.spawn(SpawnParams(task: "Run"))
        let queued = try await session.spawn(SpawnParams(task: "Wait"))
        let cancelled = try await session.cancel(CancelParams(workerId: queued.id, reason: "changed my mind"))
        #expect(cancelled.cancelled == [queued.id])
        #expect(try await session.worker(queued.id).state == .cancelled)
        #expect(try await session.worker(queued.id).error?.message.contains("changed my mind") == true)
        _ = try await session.cancel(CancelParams(workerId: running.id))
        #expect(try await session.worker(running.id).state == .cancelled)
        await #expect(throws: SessionError.self) { try await session.cancel(CancelParams(workerId: running.id)) }
        let more = try await session.spawn(SpawnParams(task: "More"))
        let all = try await session.cancel(CancelParams(all: true))
        #expect(all.cancelled == [more.id])
        await session.close()
        await harness.cleanUp()
    }

    @Test func steeringARunningWorkerAndAFinishedOne() async throws {
        let harness = try SessionHarness()
        let client = FakeModelClient.synthetic(toolSteps: 3, latency: .milliseconds(100))
        let session = try await harness.open(client)
        let worker = try await session.spawn(SpawnParams(task: "Work"))
        #expect(try await waitUntil { client.calls > 0 }, "the worker never called its model")
        let steer = try await session.steer(SteerParams(workerId: worker.id, message: "Be brief."))
        #expect(steer.delivery == .nextStep)
        let finished = try await session.awaitAll([worker.id]).finished[0]
        #expect(finished.state == .succeeded)
        let steered = client.recordedRequests.contains { request in
            request.messages.contains { "\($0)".contains("[Message from the orchestrator]\\nBe brief.") }
        }
        #expect(steered)

        let resumed = try await session.steer(SteerParams(workerId: worker.id, message: "Now add a title."))
        #expect(resumed.delivery == .resumed)
        let again = try await session.awaitAll([worker.id]).finished[0]
        #expect(again.state == .succeeded)
        #expect(again.steps > finished.steps)
        let last = client.recordedRequests.last!
        #expect(last.messages.count > 6)
        #expect("\(last.messages)".contains("Now add a title."))

        _ = try await session.spawn(SpawnParams(task: "Doomed"))
        let doomed = try await session.status(StatusParams())
        guard case .session(let status) = doomed, let id = status.workers.last?.id else { return }
        _ = try await session.cancel(CancelParams(workerId: id))
        await #expect(throws: SessionError.self) { try await session.steer(SteerParams(workerId: id, message: "go")) }
        await session.close()
        await harness.cleanUp()
    }

    /// An await for all of two workers stays while one of them, ended, is resumed by a steer
    /// and the other ends: it wakes only when both have ended again.
    @Test func awaitingAllOutlastsAResumeOfAWorkerThatHadEnded() async throws {
        let harness = try SessionHarness()
        let log = NotificationLog()
        let client = FakeModelClient.synthetic(toolSteps: 2, latency: .milliseconds(150))
        let session = try await harness.open(client, cap: 1, log: log)
        let first = try await session.spawn(SpawnParams(task: "First"))
        let second = try await session.spawn(SpawnParams(task: "Second"))
        let waiting = Task { try await session.awaitAll([first.id, second.id]) }
        try await waitUntil { log.events(of: first.id).contains("succeeded") }
        #expect(try await session.steer(SteerParams(workerId: first.id, message: "Once more.")).delivery == .resumed)
        let result = try await waiting.value
        #expect(result.pending.isEmpty)
        #expect(result.finished.map(\.state) == [.succeeded, .succeeded])
        #expect(log.events(of: first.id).filter { $0 == "succeeded" }.count == 2)
        await session.close()
        await harness.cleanUp()
    }

    /// A steer acknowledged with "next-step" while the worker's last call is in flight is not
    /// dropped: the worker's result is committed, then it resumes with the message.
    @Test func aSteerDuringTheLastStepResumesTheWorkerAfterItsResult() async throws {
        let harness = try SessionHarness()
        let log = NotificationLog()
        let client = FakeModelClient.synthetic(toolSteps: 0, latency: .milliseconds(300))
        let session = try await harness.open(client, log: log)
        let worker = try await session.spawn(SpawnParams(task: "Answer at once"))
        #expect(try await waitUntil { client.calls > 0 }, "the worker never called its model")
        let steer = try await session.steer(SteerParams(workerId: worker.id, message: "Also say why."))
        #expect(steer.delivery == .nextStep)
        try await waitUntil { log.events(of: worker.id).filter({ $0 == "succeeded" }).count >= 2 }
        let finished = try await session.awaitAll([worker.id]).finished.first
        #expect(finished?.state == .succeeded)
        #expect(finished?.steps == 2)
        #expect(client.recordedRequests.last.map { "\($0.messages)".contains("Also say why.") } == true)
        let kinds = log.events(of: worker.id)
        #expect(kinds.filter { $0 == "succeeded" }.count == 2)
        #expect(kinds.contains("steered"))
        await session.close()
        await harness.cleanUp()
    }

    @Test func aResumedSessionShowsInterruptedWorkersThatSteerResumes() async throws {
        let harness = try SessionHarness()
        // "Long" takes two steps, then its third model call never returns: like a process
        // killed mid-call, the first session writes nothing more once that call is in flight.
        let synthetic = FakeModelClient.synthetic(toolSteps: 1000)
        let stuck = FakeModelClient { request in
            if "\(request.messages)".contains("Long"), request.messages.filter({ $0.role == .assistant }).count >= 2 {
                try await Task.sleep(for: .seconds(600)) // never returns, like a call a kill interrupted
            }
            return try await synthetic.complete(request, progress: nil)
        }
        let first = try await harness.open(stuck, cap: 1)
        let done = try await first.spawn(SpawnParams(task: "Quick", limits: LimitOverrides(maxSteps: 1)))
        _ = try await first.awaitAll([done.id])
        let running = try await first.spawn(SpawnParams(task: "Long"))
        let queued = try await first.spawn(SpawnParams(task: "Waiting"))
        #expect(try await waitUntil { stuck.calls >= 4 }, "the third step never began")
        // Every report of the steps before it was submitted before that call began: let them land.
        try await harness.store.flush()
        // A second process opening the same session is what a restart after kill -9 looks like.
        let secondStore = try TraceStore(path: harness.store.path)
        let quick = FakeModelClient.synthetic(toolSteps: 0)
        let second = try await harness.open(quick, resume: first.id, store: secondStore)
        #expect(second.resumed)
        #expect(try await second.worker(done.id).state == .failed)
        #expect(try await second.worker(running.id).state == .interrupted)
        #expect(try await second.worker(queued.id).state == .interrupted)
        let steer = try await second.steer(SteerParams(workerId: running.id, message: "Wrap up now."))
        #expect(steer.delivery == .resumed)
        let finished = try await second.awaitAll([running.id]).finished[0]
        #expect(finished.state == .succeeded)
        #expect(quick.recordedRequests.first.map { "\($0.messages)".contains("Wrap up now.") } == true)
        #expect((quick.recordedRequests.first?.messages.count ?? 0) > 2)
        await second.close()
        await first.close()
        await secondStore.close()
        await harness.cleanUp()
    }

    @Test func badRequestsGetTheirErrorCodes() async throws {
        let harness = try SessionHarness()
        let session = try await harness.open(.synthetic(toolSteps: 0), configure: { $0.session.maxCostUSD = 0.0001 })
        let cases: [(SpawnParams, Int, String)] = [
            (SpawnParams(task: "  "), -32602, "task"),
            (SpawnParams(task: "x", role: "pirate"), -32012, "role"),
            (SpawnParams(task: "x", model: "gpt-99"), -32012, "model"),
            (SpawnParams(task: "x", tools: ["run_command"]), -32602, "tools"),
            (SpawnParams(task: "x", limits: LimitOverrides(maxSteps: 0)), -32602, "limits.maxSteps"),
            (SpawnParams(task: "x", limits: LimitOverrides(timeoutSeconds: -1)), -32602, "limits.timeoutSeconds"),
            (SpawnParams(task: "x", after: ["w_nope"]), -32010, "after"),
            (SpawnParams(task: "x", output: .init(schema: ["type": "array"])), -32602, "output.schema"),
        ]
        for (params, code, field) in cases {
            do {
                _ = try await session.spawn(params)
                Issue.record("spawn of \(params) was accepted")
            } catch let error as SessionError {
                #expect(error.code == code, "\(field): \(error)")
                #expect(error.data?["field"] == .string(field), "\(error)")
            }
        }
        await #expect(throws: SessionError.self) { try await session.awaitWorkers(AwaitParams(workers: ["w_x"])) }
        await #expect(throws: SessionError.self) { try await session.status(StatusParams(workerId: "w_x")) }
        do {
            _ = try await harness.open(.synthetic(toolSteps: 0), resume: "s_never_stored")
            Issue.record("an unknown session id was accepted")
        } catch let error as SessionError {
            #expect(error.code == -32602)
            #expect(error.data?["field"] == "initializationOptions.session")
        }
        _ = try await session.spawn(SpawnParams(task: "Spend", wait: true))
        do {
            _ = try await session.spawn(SpawnParams(task: "Over budget"))
            Issue.record("spawn over the session budget was accepted")
        } catch let error as SessionError {
            #expect(error.code == -32013)
        }
        await session.close()
        await harness.cleanUp()
    }
}

@Suite struct SessionNotificationTests {
    @Test func progressFollowsTheWorkDoneTokenAndEventsCountFromOne() async throws {
        let harness = try SessionHarness()
        let log = NotificationLog()
        let session = try await harness.open(.synthetic(toolSteps: 1), log: log)
        let worker = try await session.spawn(SpawnParams(task: "Report", wait: true, workDoneToken: "tok-1"))
        let progress = log.all.filter { $0.method == "$/progress" }
        #expect(progress.allSatisfy { $0.params["token"] == "tok-1" })
        let kinds = progress.compactMap { $0.params["value"]?["kind"]?.stringValue }
        #expect(kinds.first == "begin")
        #expect(kinds.last == "end")
        #expect(kinds.contains("report"))
        #expect(progress.last?.params["value"]?["message"] == "succeeded")
        let events = log.all.filter { $0.method == "worker/event" && $0.params["workerId"]?.stringValue == worker.id }
        #expect(events.compactMap { $0.params["seq"]?.intValue } == Array(1...Int64(events.count)))
        #expect(events.compactMap { $0.params["kind"]?.stringValue } ==
                ["queued", "started", "model_call", "model_reply", "tool_call", "tool_result", "model_call", "model_reply",
                 "succeeded"])
        let stored = try await session.trace(TraceParams(workerId: worker.id))
        #expect(stored.events.map(\.kind) == events.compactMap { $0.params["kind"]?.stringValue })
        // Each model_reply carries its own call's tokens, not the run's running total.
        let replies = stored.events.filter { $0.kind == "model_reply" }
        let inputs = replies.compactMap { entry -> Int? in
            guard case .worker(let event) = entry, case .modelReply(_, let input, _, _, _, _) = event.data else { return nil }
            return input
        }
        #expect(inputs.count == 2 && inputs.allSatisfy { $0 > 0 } && inputs.reduce(0, +) == worker.usage.inputTokens)
        await session.close()
        await harness.cleanUp()
    }

    /// What a client that stops reading may miss: what it can fetch again (stored events) or
    /// what the next message supersedes (progress reports); never how a worker ended, nor
    /// the begin and end of its progress.
    @Test func onlyNotificationsTheClientCanRecoverAreDroppable() async throws {
        let harness = try SessionHarness()
        let log = NotificationLog()
        let session = try await harness.open(.synthetic(toolSteps: 1), log: log)
        _ = try await session.spawn(SpawnParams(task: "Report", wait: true, workDoneToken: "tok-1"))
        let flags = log.all.map { entry in
            let kind = entry.method == "$/progress" ? entry.params["value"]?["kind"]?.stringValue : entry.params["kind"]?.stringValue
            return "\(entry.method) \(kind ?? "?"): \(entry.droppable)"
        }
        #expect(flags == [
            "worker/event queued: true", "$/progress begin: false", "worker/event started: true",
            "worker/event model_call: true", "$/progress report: true", "worker/event model_reply: true",
            "worker/event tool_call: true", "$/progress report: true", "worker/event tool_result: true",
            "worker/event model_call: true", "$/progress report: true", "worker/event model_reply: true",
            "worker/event succeeded: false", "$/progress end: false",
        ])
        await session.close()
        await harness.cleanUp()
    }
}
