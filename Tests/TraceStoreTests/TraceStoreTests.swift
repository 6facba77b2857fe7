import Foundation
import Synchronization
import Testing
@testable import TraceStore
import TestSupport

@Suite struct TraceStoreTests {
    let dir = TemporaryDirectory(prefix: "bosun-store-tests")

    func makeStore() throws -> TraceStore { try TraceStore(path: dir.file("trace.sqlite")) }

    @Test func sessionsAreCreatedAndResumed() async throws {
        let store = try makeStore()
        let fresh = try await store.openSession(id: nil, workspaceRoot: "/a", maxConcurrentWorkers: 5)
        #expect(fresh.session.id.hasPrefix("s_") && fresh.session.id.count == 18)
        #expect(!fresh.resumed)
        let named = try await store.openSession(id: "s_given", workspaceRoot: "/b", maxConcurrentWorkers: 2)
        #expect(named.session.id == "s_given" && !named.resumed)
        let again = try await store.openSession(id: "s_given", workspaceRoot: "/c", maxConcurrentWorkers: 7)
        #expect(again.resumed)
        #expect(again.session.createdAt == named.session.createdAt)
        #expect(again.session.maxConcurrentWorkers == 7 && again.session.workspaceRoot == "/c")
        #expect(try await store.sessions().map(\.id) == ["s_given", fresh.session.id])
        await store.close()
    }

    @Test func workersRoundTripAndReportMistakes() async throws {
        let store = try makeStore()
        var worker = Fixture.worker("w_1", session: "s_1")
        worker.resultJSON = #"{"text":"a"}"#
        try await store.insertWorker(worker)
        #expect(try await store.worker(id: "w_1") == worker)
        await #expect(throws: TraceStoreError.duplicateWorker(id: "w_1")) { try await store.insertWorker(worker) }
        worker.steps = 9
        worker.state = "running"
        try await store.updateWorker(worker)
        #expect(try await store.worker(id: "w_1")?.steps == 9)
        await #expect(throws: TraceStoreError.missingWorker(id: "w_2")) {
            try await store.updateWorker(Fixture.worker("w_2", session: "s_1"))
        }
        #expect(try await store.worker(id: "w_2") == nil)
        try await store.insertWorker(Fixture.worker("w_0", session: "s_1", offset: 5))
        #expect(try await store.workers(sessionId: "s_1").map(\.id) == ["w_1", "w_0"])
        await store.close()
    }

    @Test func appendedEventsAreReadBackInOrder() async throws {
        let store = try makeStore()
        for seq in 1...5_000 { store.submit(.event(Fixture.event("s_1", seq % 2 == 0 ? "w_a" : "w_b", (seq + 1) / 2))) }
        #expect(try await store.lastSeq(workerId: "w_a") == 2_500)
        #expect(try await store.lastSeq(workerId: "w_none") == 0)
        let page = try await store.events(sessionId: "s_1", workerId: "w_a", afterSeq: 10, limit: 5)
        #expect(page.map(\.seq) == [11, 12, 13, 14, 15])
        let all = try await store.events(sessionId: "s_1", workerId: nil, afterSeq: nil, limit: 0)
        #expect(all.count == 5_000)
        #expect(all.prefix(4).map(\.workerId) == ["w_b", "w_a", "w_b", "w_a"])
        #expect(try await store.events(sessionId: "s_other", workerId: nil, afterSeq: nil, limit: 0).isEmpty)
        await store.close()
    }

    @Test func eventsAreWrittenWithoutAnyoneAsking() async throws {
        let store = try makeStore()
        store.submit(.event(Fixture.event("s_1", "w_1", 1)))
        // A second connection sees the batch once the writer's short delay has passed.
        let reader = try TraceStore(path: dir.file("trace.sqlite"))
        var seen = 0
        try await waitUntil(pace: .milliseconds(10)) {
            seen = try await reader.lastSeq(workerId: "w_1")
            return seen > 0
        }
        #expect(seen == 1)
        await reader.close()
        await store.close()
    }

    @Test func writesQueuedDuringAWriteCallRideOnItsClockWithoutWakingTheThread() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_1", session: "s_1"))
        let reader = try TraceStore(path: dir.file("trace.sqlite"))
        // The thread held inside a write call, as a spawn's `queued` event follows its insert:
        // a write queued meanwhile does not wake it, and still reaches another connection by
        // itself, with no call after it.
        let entered = Atomic<Bool>(false)
        let gate = DispatchSemaphore(value: 0)
        async let held: Void = store.writer.performWrite { _ in
            entered.store(true, ordering: .sequentiallyConsistent)
            gate.wait()
        }
        let didEnter = try await waitUntil(pace: .milliseconds(1)) { entered.load(ordering: .sequentiallyConsistent) }
        let signals = store.writer.wakeSignalCount
        store.submit(.event(Fixture.event("s_1", "w_1", 1)))
        let signalsAfterTheWrite = store.writer.wakeSignalCount
        gate.signal()
        try await held
        #expect(didEnter)
        #expect(signalsAfterTheWrite == signals)
        #expect(try await waitUntil(pace: .milliseconds(5)) { try await reader.lastSeq(workerId: "w_1") == 1 })
        // That clock ran out with the batch; the next write wakes the thread to start one.
        store.submit(.event(Fixture.event("s_1", "w_1", 2)))
        #expect(store.writer.wakeSignalCount == signals + 1)
        #expect(try await waitUntil(pace: .milliseconds(5)) { try await reader.lastSeq(workerId: "w_1") == 2 })
        await reader.close()
        await store.close()
    }

    @Test func terminalCommitCarriesEarlierEventsWithIt() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_1", session: "s_1"))
        for seq in 1...3 { store.submit(.event(Fixture.event("s_1", "w_1", seq))) }
        try await store.commitTerminal(Fixture.worker("w_1", session: "s_1", state: "succeeded", duration: 2),
                                       event: Fixture.event("s_1", "w_1", 4, kind: "succeeded"))
        let other = try TraceStore(path: dir.file("trace.sqlite"))
        #expect(try await other.worker(id: "w_1")?.state == "succeeded")
        #expect(try await other.events(sessionId: "s_1", workerId: "w_1", afterSeq: nil, limit: 0).map(\.seq) == [1, 2, 3, 4])
        // A terminal state of a worker the store has not seen stores the whole row.
        let unseen = Fixture.worker("w_unseen", session: "s_1", state: "interrupted", duration: 1)
        try await store.commitTerminal(unseen, event: Fixture.event("s_1", "w_unseen", 1, kind: "interrupted"))
        #expect(try await other.worker(id: "w_unseen") == unseen)
        await other.close()
        await store.close()
    }

    @Test func deferredWritesLandInOrderAndABadOneLosesNothingElse() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_1", session: "s_1"))
        var row = Fixture.worker("w_1", session: "s_1")
        row.steps = 7
        row.state = "running"
        let message = MessageRecord(workerId: "w_1", index: 0, role: "assistant", contentJSON: "[1]", origin: "model")
        store.submit(.event(Fixture.event("s_1", "w_1", 1)))
        store.submit(.workerProgress(row))
        // The progress of a worker that was never inserted can never be written: it alone is dropped.
        store.submit(.workerProgress(Fixture.worker("w_2", session: "s_1")))
        store.submit(.messages([message]))
        store.submit(.event(Fixture.event("s_1", "w_1", 2)))
        // A read queued after the writes sees them, with no flush in between.
        #expect(try await store.messages(workerId: "w_1").map(\.contentJSON) == ["[1]"])
        let other = try TraceStore(path: dir.file("trace.sqlite"))
        #expect(try await other.worker(id: "w_1")?.steps == 7)
        #expect(try await other.worker(id: "w_2") == nil)
        #expect(try await other.events(sessionId: "s_1", workerId: "w_1", afterSeq: nil, limit: 0).map(\.seq) == [1, 2])
        await other.close()
        await store.close()
    }

    @Test func theLastRowOfAWorkerWinsAndAwaitedWritesKeepTheirPlace() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_1", session: "s_1"))
        var row = Fixture.worker("w_1", session: "s_1")
        for steps in 1...5 {
            row.steps = steps
            store.submit(.workerProgress(row))
        }
        #expect(try await store.worker(id: "w_1")?.steps == 5)
        // Queued, awaited, queued: the store applies them in that order.
        row.steps = 6
        store.submit(.workerProgress(row))
        row.steps = 7
        try await store.updateWorker(row)
        #expect(try await store.worker(id: "w_1")?.steps == 7)
        row.steps = 8
        store.submit(.workerProgress(row))
        try await store.commitTerminal(Fixture.worker("w_1", session: "s_1", state: "succeeded", duration: 2),
                                       event: Fixture.event("s_1", "w_1", 1, kind: "succeeded"))
        #expect(try await store.worker(id: "w_1")?.state == "succeeded")
        await store.close()
    }

    @Test func aTerminalCommitReleasesTheWorkersClaims() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_1", session: "s_1"))
        guard case .granted = try await store.claim(path: "src/a.swift", holder: "w_1", sessionId: "s_1", lease: 600) else {
            Issue.record("claim refused"); return
        }
        try await store.commitTerminal(Fixture.worker("w_1", session: "s_1", state: "succeeded", duration: 1),
                                       event: Fixture.event("s_1", "w_1", 1, kind: "succeeded"))
        guard case .granted = try await store.claim(path: "src/a.swift", holder: "w_2", sessionId: "s_1", lease: 60) else {
            Issue.record("an ended worker's claim is still held"); return
        }
        await store.close()
    }

    @Test func aCallAndTheWritesQueuedBeforeItFailOnlyTheirOwnWay() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_1", session: "s_1"))
        // Queued writes share the terminal commit's transaction; a bad one among them is
        // dropped alone and the commit still lands.
        store.submit(.event(Fixture.event("s_1", "w_1", 1)))
        store.submit(.workerProgress(Fixture.worker("w_missing", session: "s_1")))
        try await store.commitTerminal(Fixture.worker("w_1", session: "s_1", state: "succeeded", duration: 2),
                                       event: Fixture.event("s_1", "w_1", 2, kind: "succeeded"))
        // A call that fails takes none of the writes queued before it down with it.
        store.submit(.event(Fixture.event("s_1", "w_1", 3)))
        await #expect(throws: TraceStoreError.duplicateWorker(id: "w_1")) {
            try await store.insertWorker(Fixture.worker("w_1", session: "s_1"))
        }
        let other = try TraceStore(path: dir.file("trace.sqlite"))
        #expect(try await other.worker(id: "w_1")?.state == "succeeded")
        #expect(try await other.worker(id: "w_missing") == nil)
        #expect(try await other.events(sessionId: "s_1", workerId: "w_1", afterSeq: nil, limit: 0).map(\.seq) == [1, 2, 3])
        await other.close()
        await store.close()
    }

    /// Holds the writer thread until `calls` more calls are queued behind it, so that they
    /// reach the thread together; returns how many transactions the connection had committed.
    private func holdWriter(_ store: TraceStore, until calls: Int, while queue: @escaping @Sendable () async -> Void) async throws -> (before: Int, after: Int) {
        let entered = Atomic<Bool>(false)
        let gate = DispatchSemaphore(value: 0)
        async let before = store.writer.perform { db in
            entered.store(true, ordering: .sequentiallyConsistent)
            gate.wait()
            return db.commits
        }
        do {
            guard try await waitUntil(pace: .milliseconds(1), { entered.load(ordering: .sequentiallyConsistent) }) else {
                throw CancellationError()
            }
        } catch {
            gate.signal()
            throw error
        }
        // Started only now, so that every call queues behind the gate.
        async let queued: Void = queue()
        do {
            guard try await waitUntil(pace: .milliseconds(1), { store.writer.queuedJobCount >= calls }) else {
                throw CancellationError()
            }
        } catch {
            gate.signal()
            throw error
        }
        gate.signal()
        let committed = try await before
        await queued
        return (committed, try await store.writer.perform { $0.commits })
    }

    @Test func callsQueuedTogetherShareOneTransaction() async throws {
        let store = try makeStore()
        let (before, after) = try await holdWriter(store, until: 40) {
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        store.submit(.event(Fixture.event("s_1", "w_\(index)", 1)))
                        try? await store.insertWorker(Fixture.worker("w_\(index)", session: "s_1"))
                    }
                }
            }
        }
        #expect(after - before == 1)
        #expect(try await store.workers(sessionId: "s_1").count == 40)
        #expect(try await store.events(sessionId: "s_1", workerId: nil, afterSeq: nil, limit: 0).count == 40)
        await store.close()
    }

    @Test func aFailingCallQueuedWithOthersFailsAlone() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_0", session: "s_1"))
        let failures = Failures()
        _ = try await holdWriter(store, until: 20) {
            await withTaskGroup(of: Void.self) { group in
                // w_0 exists already: that insert alone fails.
                for index in 0..<20 {
                    group.addTask {
                        do { try await store.insertWorker(Fixture.worker("w_\(index)", session: "s_1")) } catch { failures.add(error) }
                    }
                }
            }
        }
        #expect(failures.all == [.duplicateWorker(id: "w_0")])
        #expect(try await store.workers(sessionId: "s_1").count == 20)
        await store.close()
    }

    @Test func progressUpdatesLeaveAWorkersIdentityAlone() async throws {
        let store = try makeStore()
        let inserted = Fixture.worker("w_1", session: "s_1")
        try await store.insertWorker(inserted)
        var row = inserted
        row.task = "another task"
        row.priority = 9
        row.steps = 4
        row.resultJSON = #"{"text":"done"}"#
        try await store.updateWorker(row)
        let stored = try #require(try await store.worker(id: "w_1"))
        #expect(stored.task == inserted.task && stored.priority == inserted.priority)
        #expect(stored.steps == 4 && stored.resultJSON == row.resultJSON)
        await store.close()
    }

    @Test func markInterruptedTouchesOnlyUnfinishedWorkers() async throws {
        let store = try makeStore()
        try await store.insertWorker(Fixture.worker("w_run", session: "s_1", state: "running"))
        try await store.insertWorker(Fixture.worker("w_queue", session: "s_1", state: "queued"))
        try await store.insertWorker(Fixture.worker("w_done", session: "s_1", state: "succeeded", duration: 1))
        try await store.insertWorker(Fixture.worker("w_elsewhere", session: "s_2", state: "running"))
        #expect(try await store.markInterrupted(sessionId: "s_1") == ["w_queue", "w_run"])
        let run = try #require(try await store.worker(id: "w_run"))
        #expect(run.state == "interrupted" && run.endedAt != nil)
        #expect(try await store.worker(id: "w_done")?.state == "succeeded")
        #expect(try await store.worker(id: "w_elsewhere")?.state == "running")
        await store.close()
    }

    @Test func aWorkerWithAPendingAskIsWaitingAfterACrashNotInterrupted() async throws {
        let store = try makeStore()
        for id in ["w_asked", "w_answered", "w_plain"] {
            try await store.insertWorker(Fixture.worker(id, session: "s_1", state: "running"))
        }
        let at = Date()
        for (ask, worker) in [("a_1", "w_asked"), ("a_2", "w_answered")] {
            try await store.insertAsk(AskRecord(id: ask, sessionId: "s_1", workerId: worker, askJSON: "{}", route: "client",
                                                toolCallId: "call_1", createdAt: at),
                                      event: EventRecord(sessionId: "s_1", workerId: worker, seq: 1, kind: "asked", at: at, dataJSON: "{}"))
        }
        try await store.answerAsk(id: "a_2", at: at, answerJSON: "{}", answeredBy: "client", waitedMs: 1200)
        try await store.answerAsk(id: "a_2", at: at, answerJSON: "{}", answeredBy: "timeout", waitedMs: 9)
        #expect(try await store.markInterrupted(sessionId: "s_1") == ["w_answered", "w_plain"])
        #expect(try await store.worker(id: "w_asked")?.state == "waiting")
        let asks = try await store.asks(sessionId: "s_1")
        #expect(asks.map(\.id) == ["a_1", "a_2"] && asks[0].isPending && asks[0].toolCallId == "call_1")
        #expect(asks[1].answeredBy == "client" && asks[1].waitedMs == 1200, "the first answer stays")
        #expect(try await store.events(sessionId: "s_1", workerId: "w_asked", afterSeq: nil, limit: 0).map(\.kind) == ["asked"])
        await store.close()
    }

    @Test func anAllowAlwaysAnswerKeepsItsSessionRuleWithTheAnswer() async throws {
        let store = try makeStore()
        let at = Date()
        for (ask, session) in [("a_1", "s_1"), ("a_2", "s_1"), ("a_3", "s_2")] {
            try await store.insertAsk(AskRecord(id: ask, sessionId: session, workerId: "w_\(ask)", askJSON: "{}", route: "client",
                                                toolCallId: nil, createdAt: at),
                                      event: EventRecord(sessionId: session, workerId: "w_\(ask)", seq: 1, kind: "asked", at: at, dataJSON: "{}"))
        }
        try await store.answerAsk(id: "a_1", at: at, answerJSON: "{}", answeredBy: "client", waitedMs: 5,
                                  sessionRule: (sessionId: "s_1", callDigest: "d_echo"))
        // The same call allowed again by another answer is one rule.
        try await store.answerAsk(id: "a_2", at: at, answerJSON: "{}", answeredBy: "client", waitedMs: 5,
                                  sessionRule: (sessionId: "s_1", callDigest: "d_echo"))
        try await store.answerAsk(id: "a_3", at: at, answerJSON: "{}", answeredBy: "client", waitedMs: 5)
        #expect(try await store.sessionRules(sessionId: "s_1") == ["d_echo"])
        #expect(try await store.sessionRules(sessionId: "s_2").isEmpty)
        await store.close()
        let reopened = try TraceStore(path: dir.file("trace.sqlite"))
        #expect(try await reopened.sessionRules(sessionId: "s_1") == ["d_echo"], "kept in the file")
        await reopened.close()
    }

    @Test func messagesKeepTheConversation() async throws {
        let store = try makeStore()
        try await store.appendMessages([
            MessageRecord(workerId: "w_1", index: 1, role: "assistant", contentJSON: "[2]", origin: "model"),
            MessageRecord(workerId: "w_1", index: 0, role: "user", contentJSON: "[1]", origin: "brief"),
        ])
        try await store.appendMessages([MessageRecord(workerId: "w_1", index: 2, role: "user", contentJSON: "[3]", origin: "orchestrator")])
        #expect(try await store.messages(workerId: "w_1").map(\.contentJSON) == ["[1]", "[2]", "[3]"])
        #expect(try await store.messages(workerId: "w_2").isEmpty)
        await store.close()
    }

    @Test func claimsAreExclusiveRenewableAndExpire() async throws {
        let store = try makeStore()
        let other = try TraceStore(path: dir.file("trace.sqlite"))
        guard case .granted = try await store.claim(path: "src/a.swift", holder: "w_1", sessionId: "s_1", lease: 60) else {
            Issue.record("first claim refused"); return
        }
        guard case .heldBy(let holder) = try await other.claim(path: "src/a.swift", holder: "w_2", sessionId: "s_2", lease: 60) else {
            Issue.record("second process took a held claim"); return
        }
        #expect(holder.holder == "w_1" && holder.sessionId == "s_1")
        guard case .granted(let renewed) = try await store.claim(path: "src/a.swift", holder: "w_1", sessionId: "s_1", lease: 120) else {
            Issue.record("renewal refused"); return
        }
        #expect(renewed.leaseExpiresAt > holder.leaseExpiresAt)
        _ = try await store.claim(path: "src/b.swift", holder: "w_3", sessionId: "s_1", lease: 0)
        guard case .granted = try await other.claim(path: "src/b.swift", holder: "w_2", sessionId: "s_2", lease: 60) else {
            Issue.record("expired claim not taken over"); return
        }
        try await store.releaseClaims(holder: "w_1")
        guard case .granted = try await other.claim(path: "src/a.swift", holder: "w_2", sessionId: "s_2", lease: 60) else {
            Issue.record("released claim still held"); return
        }
        await other.close()
        await store.close()
    }

    @Test func pruneRemovesOldSessionsAndTheirRows() async throws {
        let store = try makeStore()
        _ = try await store.openSession(id: "s_old", workspaceRoot: "/", maxConcurrentWorkers: 1)
        try await store.insertWorker(Fixture.worker("w_old", session: "s_old"))
        store.submit(.event(Fixture.event("s_old", "w_old", 1)))
        try await store.appendMessages([MessageRecord(workerId: "w_old", index: 0, role: "user", contentJSON: "[]", origin: "brief")])
        _ = try await store.claim(path: "x", holder: "w_old", sessionId: "s_old", lease: 60)
        try await store.age(by: 60)
        let cutoff = Date().addingTimeInterval(-30)
        _ = try await store.openSession(id: "s_new", workspaceRoot: "/", maxConcurrentWorkers: 1)
        try await store.insertWorker(Fixture.worker("w_new", session: "s_new"))
        #expect(try await store.prune(olderThan: cutoff) == PruneReport(removed: 1, skippedHeld: []))
        #expect(try await store.sessions().map(\.id) == ["s_new"])
        #expect(try await store.worker(id: "w_old") == nil)
        #expect(try await store.lastSeq(workerId: "w_old") == 0)
        #expect(try await store.messages(workerId: "w_old").isEmpty)
        guard case .granted = try await store.claim(path: "x", holder: "w_new", sessionId: "s_new", lease: 60) else {
            Issue.record("pruned claim still held"); return
        }
        #expect(try await store.worker(id: "w_new") != nil)
        await store.close()
    }

    /// A session a live process holds is never pruned, however old; a lease whose holder is
    /// gone (here, or expired elsewhere) holds nothing.
    @Test func pruneSkipsSessionsALiveProcessHolds() async throws {
        let store = try makeStore()
        for session in ["s_held", "s_free", "s_gone", "s_far", "s_far_expired"] {
            _ = try await store.openSession(id: session, workspaceRoot: "/", maxConcurrentWorkers: 1)
            try await store.insertWorker(Fixture.worker("w_" + session, session: session))
        }
        try await store.holdSession(id: "s_held")
        let me = LeaseHolder.current
        let reusedPid = LeaseHolder(machine: me.machine, pid: me.pid, startTime: me.startTime + 1)
        let elsewhere = LeaseHolder(machine: "another-machine", pid: me.pid, startTime: me.startTime)
        let now = Date().timeIntervalSince1970
        for (session, holder, expires) in [("s_gone", reusedPid, now + 60), ("s_far", elsewhere, now + 60),
                                           ("s_far_expired", elsewhere, now - 1)] {
            try await store.writer.performWrite { db throws(TraceStoreError) in
                let insert = try db.prepared("INSERT INTO session_leases (session_id, holder, expires_at) VALUES (?, ?, ?)")
                insert.bind(1, session)
                insert.bind(2, holder.text)
                insert.bind(3, expires)
                try insert.run()
            }
        }
        let future = Date().addingTimeInterval(60)
        #expect(try await store.prune(olderThan: future) == PruneReport(removed: 3, skippedHeld: ["s_far", "s_held"]))
        #expect(try await store.worker(id: "w_s_held") != nil)
        try await store.releaseSession(id: "s_held")
        #expect(try await store.prune(olderThan: future) == PruneReport(removed: 1, skippedHeld: ["s_far"]))
        #expect(try await store.sessions().map(\.id) == ["s_far"])
        await store.close()
    }

    /// Writes a full disk refused go back to the front of the queue, so nothing queued after
    /// them may commit first: a worker's end committed behind its last `running` row would
    /// be written over by that row when the disk has room again. Here the refused writes end
    /// their group (a read follows them) and the space returns, by that read, before the end.
    @Test func writesAFullDiskRefusedAreNotWrittenAfterAnEndQueuedBehindThem() async throws {
        let store = try makeStore()
        var worker = Fixture.worker("w_1", session: "s_1", state: "queued")
        try await store.insertWorker(worker)
        // Held until everything below is queued, so that all of it is one batch.
        let gate = await store.holdWriterOnAFullDisk()
        worker.state = "running"
        store.submit(.event(Fixture.bigEvent("s_1", "w_1", 1)))
        store.submit(.workerProgress(worker))
        let roomAgain = Task { try await store.makeRoomAgain() }
        while store.writer.queuedJobCount < 1 { await Task.yield() }
        worker.state = "succeeded"
        worker.endedAt = Fixture.start.addingTimeInterval(60)
        let ended = worker
        let end = Task { () async throws -> Int in
            // As Session.commitEnd does: an end the store cannot take yet is tried again.
            var refused = 0
            while true {
                do {
                    try await store.commitTerminal(ended, event: Fixture.event("s_1", "w_1", 2, kind: "succeeded", data: "{}"))
                    return refused
                } catch TraceStoreError.full {
                    refused += 1
                }
            }
        }
        while store.writer.queuedJobCount < 2 { await Task.yield() }
        gate.signal()
        try await roomAgain.value
        #expect(try await end.value == 1, "the end is refused with the writes queued before it")
        try await store.flush()
        #expect(try await store.worker(id: "w_1")?.state == "succeeded")
        #expect(try await store.events(sessionId: "s_1", workerId: "w_1", afterSeq: nil, limit: 0).map(\.seq) == [1, 2])
        await store.close()
    }

    /// Of writes a full disk refused part way, those before the refused one are committed and
    /// are not written again (an event twice) when the rest is.
    @Test func writesCommittedBeforeOneAFullDiskRefusedAreNotWrittenAgain() async throws {
        let store = try makeStore()
        let gate = await store.holdWriterOnAFullDisk()
        store.submit(.event(Fixture.event("s_1", "w_1", 1)))
        store.submit(.event(Fixture.bigEvent("s_1", "w_1", 2)))
        gate.signal()
        // Queued behind the writes, so run once the full file refused them.
        try await store.makeRoomAgain()
        try await store.flush()
        let seqs = try await store.events(sessionId: "s_1", workerId: "w_1", afterSeq: nil, limit: 0).map(\.seq)
        #expect(seqs == [1, 2])
        await store.close()
    }

    @Test func closedStoreSaysSo() async throws {
        let store = try makeStore()
        store.submit(.event(Fixture.event("s_1", "w_1", 1)))
        await store.close()
        await store.close()
        await #expect(throws: TraceStoreError.closed(path: dir.file("trace.sqlite"))) { try await store.flush() }
        let reopened = try makeStore()
        #expect(try await reopened.lastSeq(workerId: "w_1") == 1)
        await reopened.close()
    }
}

/// Errors collected from concurrent calls.
private final class Failures: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var errors: [TraceStoreError] = []

    func add(_ error: Error) { lock.withLock { errors.append(error as! TraceStoreError) } }
    var all: [TraceStoreError] { lock.withLock { errors } }
}

extension Fixture {
    /// An event whose text needs new pages of the file, which a full disk cannot give.
    static func bigEvent(_ session: String, _ worker: String, _ seq: Int) -> EventRecord {
        event(session, worker, seq, data: #"{"text":"\#(String(repeating: "x", count: 65_536))"}"#)
    }
}

extension TraceStore {
    /// Caps the file at the pages it has (a full disk: what needs another page is refused
    /// with `.full`) and holds the writer thread until the returned gate is signalled.
    func holdWriterOnAFullDisk() async -> DispatchSemaphore {
        let gate = DispatchSemaphore(value: 0)
        await withCheckedContinuation { (taken: CheckedContinuation<Void, Never>) in
            Task {
                try await writer.perform { db throws(TraceStoreError) in
                    try db.execute("PRAGMA max_page_count = 1")
                    taken.resume()
                    gate.wait()
                }
            }
        }
        return gate
    }

    /// Lifts `holdWriterOnAFullDisk`'s cap, in a read (a job that does not write).
    func makeRoomAgain() async throws {
        try await writer.perform { db throws(TraceStoreError) in try db.execute("PRAGMA max_page_count = 1073741823") }
    }
}
