import BosunJSON
import BosunProtocol
import Foundation
import Testing
import TraceStore
import Workers
@testable import Orchestration

/// A worker's phase and its row in the store: the outcome's JSON is written once and is the
/// store's and the terminal event's text; a row read back is the same phase.
@Suite struct WorkerPhaseTests {
    static let outcomes: [WorkerEnd.Outcome] = [
        .succeeded(WorkerResult(text: "done")),
        .succeeded(WorkerResult(text: "with \"all\"", structured: ["answer": 42, "list": [1, nil]],
                                sources: ["a.swift", "https://x/y"], followUps: ["more"])),
        .succeeded(WorkerResult(text: "", structured: nil, sources: [])),
        .failed(WorkerFailure(code: .maxSteps, message: "Used all 3 steps.\nRaise limits.maxSteps.")),
        .cancelled(WorkerFailure(code: .cancelled, message: "Cancelled by the client.")),
        .timedOut(WorkerFailure(code: .timeout, message: "Ran past 1 s.")),
        .interrupted(.interrupted),
    ]

    static func entry() -> WorkerEntry {
        let spec = WorkerSpec(brief: WorkerBrief(task: "Count the files"), tools: nil,
                              limits: WorkerLimits(timeoutSeconds: 60, maxSteps: 5, maxTokens: 1000, maxCostUSD: 1),
                              after: [], workDoneToken: nil)
        var entry = WorkerEntry(id: "w_1", sessionId: "s_1", parentId: "w_0", role: "worker", model: "fast",
                                task: "Count the files", priority: 2, spec: spec)
        entry.totals = WorkerEntry.Totals(steps: 3, inputTokens: 10, outputTokens: 5, cacheReadTokens: 2, cacheWriteTokens: 1,
                                          costUSD: 0.125)
        return entry
    }

    @Test(arguments: outcomes)
    func theOutcomesTextIsItsCodableForm(_ outcome: WorkerEnd.Outcome) throws {
        let end = WorkerEnd(outcome, at: Date())
        let expected = try outcome.result.map { try JSONValue(encoding: $0) } ?? JSONValue(encoding: outcome.failure)
        #expect(try JSONValue.parse(end.json) == expected, "\(end.json)")
    }

    @Test(arguments: outcomes)
    func theTerminalEventsTextIsWhatItsTypedDataWrites(_ outcome: WorkerEnd.Outcome) {
        var entry = Self.entry()
        let end = WorkerEnd(outcome, at: Date())
        let event = entry.endEvent(end)
        #expect(event.record.dataJSON == JSONText.string(event.data.json))
        #expect(event.record.kind == outcome.state.rawValue)
        #expect(event.record.seq == 1 && entry.lastSeq == 1)
        // The front ends get the outcome's text as written, as the store does (ACP's `rawOutput`).
        guard case .ended(let ending) = event.data else { Issue.record("\(event.data)"); return }
        #expect(ending.writtenOutcome.json == end.json)
    }

    @Test(arguments: outcomes)
    func anEndedWorkersRowReadsBackAsTheSamePhase(_ outcome: WorkerEnd.Outcome) throws {
        var entry = Self.entry()
        let end = WorkerEnd(outcome, at: Date(timeIntervalSince1970: 1_700_000_000))
        entry.phase = .ended(end)
        let record = entry.record
        #expect(record.state == outcome.state.rawValue)
        #expect(record.resultJSON == (outcome.result == nil ? nil : end.json))
        #expect(record.errorJSON == (outcome.failure == nil ? nil : end.json))
        #expect(record.endedAt == end.at)
        let read = try WorkerEntry(stored: record, lastSeq: 7)
        #expect(read.record == record)
        #expect(read.result == outcome.result && read.failure == outcome.failure)
        #expect(read.phase.end?.json == end.json)
        #expect(read.lastSeq == 7)
    }

    /// What answers splice is always what writing the typed outcome gives, whatever form the
    /// row holds (an older bosun's key order, a newer one's fields, spaces).
    @Test func aStoredOutcomeInAnotherFormIsWrittenAgain() throws {
        var record = Self.entry().record
        record.state = "succeeded"
        record.resultJSON = #"{"text": "x", "sources": ["a"], "future": 1}"#
        #expect(try WorkerEntry(stored: record, lastSeq: 0).phase.end?.json == #"{"sources":["a"],"text":"x"}"#)
        record.state = "failed"
        record.resultJSON = nil
        record.errorJSON = #"{"message":"m","code":"max_steps"}"#
        #expect(try WorkerEntry(stored: record, lastSeq: 0).phase.end?.json == #"{"code":"max_steps","message":"m"}"#)
    }

    @Test func anEndingWorkerShowsAndStoresTheStateItEndsFrom() {
        var entry = Self.entry()
        entry.phase = .ending(WorkerEnd(.succeeded(WorkerResult(text: "x")), at: Date()), from: .running)
        #expect(entry.state == .running)
        #expect(!entry.isActive && !entry.hasEnded && entry.result == nil)
        #expect(entry.record.state == "running" && entry.record.resultJSON == nil && entry.record.endedAt == nil)
        #expect(entry.view(queuePosition: nil, includeResult: true).endedAt == nil)
    }

    @Test func aRowTheStoreMarkedInterruptedGetsItsReason() throws {
        var record = Self.entry().record
        record.state = "interrupted"
        record.endedAt = Date()
        let read = try WorkerEntry(stored: record, lastSeq: 0)
        #expect(read.failure == .interrupted)
        #expect(read.record.errorJSON.flatMap { try? JSONValue.parse($0).decode(as: WorkerFailure.self) } == .interrupted)
    }

    @Test func anUnreadableOutcomeKeepsItsStateAndItsText() throws {
        var record = Self.entry().record
        record.state = "succeeded"
        record.resultJSON = "not json"
        #expect(try WorkerEntry(stored: record, lastSeq: 0).result == WorkerResult(text: "not json"))
        record.state = "timed_out"
        record.resultJSON = nil
        record.errorJSON = "{\"code\":\"no_such_code\"}"
        let timedOut = try WorkerEntry(stored: record, lastSeq: 0)
        #expect(timedOut.state == .timedOut)
        #expect(timedOut.failure?.code == .timeout)
        #expect(timedOut.failure?.message.contains("no_such_code") == true)
    }

    @Test(arguments: ["queued", "running", "waiting"])
    func aLiveRowReadsBackLive(_ state: String) throws {
        var record = Self.entry().record
        record.state = state
        let read = try WorkerEntry(stored: record, lastSeq: 0)
        #expect(read.activity?.state.rawValue == state)
        #expect(read.record == record)
    }

    @Test func aRowWithAnUnreadableSpecIsRefused() {
        var record = Self.entry().record
        record.briefJSON = "{"
        #expect(throws: (any Error).self) { try WorkerEntry(stored: record, lastSeq: 0) }
    }
}
