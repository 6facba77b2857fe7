import Foundation
import Testing
@testable import TraceStore
import TestSupport

/// What `trace sessions` and `trace show` say a session and its workers came to.
@Suite struct SessionListingTests {
    let dir = TemporaryDirectory(prefix: "bosun-store-tests")

    @Test func aSessionListSaysWhatItsOrchestrationCameTo() async throws {
        let store = try TraceStore(path: dir.file("trace.sqlite"))
        let session = try await store.openSession(id: "s_o", workspaceRoot: "/w", maxConcurrentWorkers: 2).session
        for index in 1...5 {
            var worker = Fixture.worker("w_\(index)", session: "s_o", state: "succeeded", parent: "o_1", duration: 1)
            worker.endedAt = Fixture.start.addingTimeInterval(1)
            try await store.insertWorker(worker)
        }
        try await store.saveOrchestration(OrchestrationRecord(id: "o_1", sessionId: session.id, goal: "g", state: "failed",
                                                              ledgerJSON: "{}", createdAt: Fixture.start))
        let summaries = try await store.sessionSummaries()
        #expect(summaries.first?.orchestrationsByState == ["failed": 1])
        let line = TraceTreeRenderer.sessionList(summaries)
        #expect(line.contains("orchestrate failed  5 workers (5 succeeded)"), "\(line)")
        let json = try JSONSerialization.jsonObject(with: Data(TraceJSONRenderer.sessionList(summaries).utf8)) as? [String: Any]
        let listed = try #require((json?["sessions"] as? [[String: Any]])?.first)
        #expect(listed["orchestrations"] as? [String: Int] == ["failed": 1])
        await store.close()
    }

    @Test func severalOrchestrationsAreCountedByOutcome() {
        let summary = SessionSummary(session: SessionRecord(id: "s", createdAt: Fixture.start, lastOpenedAt: Fixture.start,
                                                            workspaceRoot: "/w", maxConcurrentWorkers: 1),
                                     workerCount: 0, countsByState: [:], inputTokens: 0, outputTokens: 0, costUSD: 0,
                                     orchestrationsByState: ["succeeded": 1, "partial": 2])
        #expect(TraceTreeRenderer.sessionList([summary]).contains("3 orchestrations (2 partial, 1 succeeded)  0 workers"))
        var one = summary
        one.workerCount = 1
        one.countsByState = ["succeeded": 1]
        #expect(TraceTreeRenderer.sessionList([one]).contains("  1 worker (1 succeeded)  "), "\(TraceTreeRenderer.sessionList([one]))")
    }

    /// Run 1 from 0 s to 2 s; steered after it ended, run 2 from 10 s to 13 s. The record
    /// keeps only run 2's start and end.
    static let twoRuns: SessionTrace = {
        let session = SessionRecord(id: "s_r", createdAt: Fixture.start, lastOpenedAt: Fixture.start, workspaceRoot: "/w",
                                    maxConcurrentWorkers: 1)
        var worker = Fixture.worker("w_again", session: "s_r", state: "succeeded", offset: 10, duration: 3)
        worker.createdAt = Fixture.start
        let events = [
            Fixture.event("s_r", "w_again", 1, kind: "started", at: 0, data: #"{"run":1}"#),
            Fixture.event("s_r", "w_again", 2, kind: "succeeded", at: 2),
            Fixture.event("s_r", "w_again", 3, kind: "steered", at: 9),
            Fixture.event("s_r", "w_again", 4, kind: "started", at: 10, data: #"{"run":2,"resumed":true}"#),
            Fixture.event("s_r", "w_again", 5, kind: "succeeded", at: 13),
        ]
        return SessionTrace(session: session, workers: [worker], events: events, readAt: Fixture.start.addingTimeInterval(20))
    }()

    @Test func aWorkerThatRanTwiceShowsTheTimeOfBothRuns() throws {
        let worker = Self.twoRuns.workers[0]
        #expect(Self.twoRuns.runTime(of: worker) == RunTime(worker: worker, events: Self.twoRuns.events, end: worker.endedAt!))
        #expect(Self.twoRuns.runTime(of: worker).seconds == 5 && Self.twoRuns.runTime(of: worker).runs == 2)
        #expect(TraceTreeRenderer.sessionTree(Self.twoRuns).contains("5.0s in 2 runs"))
        #expect(TraceTreeRenderer.workerDetail(worker, events: Self.twoRuns.events).contains("elapsed  5.0s in 2 runs"))
        #expect(HTMLTimelineRenderer.render(Self.twoRuns).contains("5.0s in 2 runs"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(TraceJSONRenderer.sessionTree(Self.twoRuns).utf8))
            as? [String: Any])
        let listed = try #require((json["workers"] as? [[String: Any]])?.first)
        #expect(listed["elapsedSeconds"] as? Double == 5 && listed["runs"] as? Int == 2)
    }

    @Test func aRunningSecondRunCountsUpToNow() {
        var trace = Self.twoRuns
        trace.workers[0].state = "running"
        trace.workers[0].endedAt = nil
        trace.events.removeLast()
        // Run 1 took 2 s; run 2 has run from 10 s to the read at 20 s.
        #expect(trace.runTime(of: trace.workers[0]) == RunTime(worker: trace.workers[0], events: trace.events,
                                                              end: Fixture.start.addingTimeInterval(20)))
        #expect(trace.runTime(of: trace.workers[0]).seconds == 12)
    }

    /// One run from 0 s to 10 s, of which it waited for an answer from 2 s to 8 s.
    static let waited: SessionTrace = {
        let session = SessionRecord(id: "s_w", createdAt: Fixture.start, lastOpenedAt: Fixture.start, workspaceRoot: "/w",
                                    maxConcurrentWorkers: 1)
        let worker = Fixture.worker("w_ask", session: "s_w", state: "succeeded", duration: 10)
        let events = [
            Fixture.event("s_w", "w_ask", 1, kind: "started", at: 0, data: #"{"run":1}"#),
            Fixture.event("s_w", "w_ask", 2, kind: "tool_call", at: 1, data: #"{"id":"c1","name":"ask","input":{}}"#),
            Fixture.event("s_w", "w_ask", 3, kind: "asked", at: 2, data: #"{"ask":{"askId":"a_1"},"to":"client"}"#),
            Fixture.event("s_w", "w_ask", 4, kind: "answered", at: 8, data: #"{"askId":"a_1","answeredBy":"client","waitedMs":6000}"#),
            Fixture.event("s_w", "w_ask", 5, kind: "tool_result", at: 8.5, data: #"{"id":"c1","name":"ask","isError":false,"text":"x"}"#),
            Fixture.event("s_w", "w_ask", 6, kind: "succeeded", at: 10),
        ]
        return SessionTrace(session: session, workers: [worker], events: events, readAt: Fixture.start.addingTimeInterval(20))
    }()

    @Test func waitingForAnAnswerIsCountedApartFromRunning() throws {
        let worker = Self.waited.workers[0]
        let time = Self.waited.runTime(of: worker)
        #expect(time.seconds == 4 && time.waitingSeconds == 6, "\(time)")
        #expect(TraceTreeRenderer.sessionTree(Self.waited).contains("4.0s, waited 6.0s"))
        let waits = WorkerCall.calls(in: Self.waited.events, end: worker.endedAt!).filter { $0.kind == .wait }
        #expect(waits.count == 1 && waits[0].duration == 6 && waits[0].answeredBy == "client" && waits[0].askId == "a_1")
        #expect(HTMLTimelineRenderer.render(Self.waited).contains("seg-wait"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(TraceJSONRenderer.sessionTree(Self.waited).utf8))
            as? [String: Any])
        let listed = try #require((json["workers"] as? [[String: Any]])?.first)
        #expect(listed["elapsedSeconds"] as? Double == 4 && listed["waitedSeconds"] as? Double == 6)
    }
}
