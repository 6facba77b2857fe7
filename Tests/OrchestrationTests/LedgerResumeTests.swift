import BosunJSON
import BosunProtocol
import Foundation
@testable import Orchestration
import Testing
import TraceStore

/// Orchestration ledgers earlier bosun versions stored still resume: each fixture under
/// `Fixtures/` is a ledger as a version of bosun wrote it into the trace store.
@Suite struct LedgerResumeTests {
    /// Written by bosun before the ledger had its own types (the wire types encoded whole, no
    /// version): a guide of two subtasks, interrupted while the outline's retry ran, after its
    /// first worker failed and the coordinator decided to retry.
    static let interrupted = "ledger-interrupted.json"
    /// The same bosun's ledger of a goal the planner answered itself, with the one key taken
    /// out that bosun did not write before it counted prompt-cache writes (f7ab4e7): its
    /// usage has no `cacheWriteTokens`, as ledgers stored before then have none.
    static let answeredBeforeCacheWrites = "ledger-answered-before-cache-writes.json"

    @Test func anInterruptedLedgerOfTheUnversionedFormatResumes() async throws {
        let harness = try SessionHarness()
        let ledgerJSON = try LedgerFixture.text(Self.interrupted)
        let stored = try JSONValue.parse(ledgerJSON)
        let id = try #require(stored["id"]?.stringValue)
        let firstOutline = try #require(stored["subtasks"]?["outline"]?["attempts"]?.arrayValue?.first?.stringValue)
        let sessionId = try await LedgerFixture.store(ledgerJSON, id: id, goal: "Write a short guide to bosun", state: "interrupted",
                                                      in: harness.store, workspaceRoot: harness.directory.path)
        let log = NotificationLog()
        let session = try await harness.open(LedgerFixture.model(outlineBlocks: false), resume: sessionId, log: log)
        guard case .session(let status) = try await session.status(StatusParams()) else { Issue.record("no session status"); return }
        #expect(status.orchestrations?.map(\.state) == [.interrupted])
        #expect(status.orchestrations?.first?.decisions == 1)
        // A cached answer of the session's status (filled here) goes stale with every change the run makes.
        let before = try JSONValue.parse(try await session.statusJSON(StatusParams()).data)
        #expect(before["orchestrations"]?.arrayValue?.first?["state"] == "interrupted")

        let result = try await session.orchestrate(OrchestrateParams(goal: "", resume: id))
        #expect(result.state == .succeeded, "\(result.reason ?? "")")
        #expect(result.goal == "Write a short guide to bosun")
        // The plan as the planner wrote it, brief, dependency and checks included.
        let plan = try #require(result.plan)
        #expect(plan.subtasks.map(\.id) == ["outline", "body"])
        #expect(plan.subtasks[0].brief.doNot == ["invent facts"])
        #expect(plan.subtasks[0].checks == [.files(FilesCheck(exist: ["outline.md"]))])
        #expect(plan.subtasks[1].after == ["outline"] && plan.subtasks[1].brief.inputs == ["the outline"])
        // No planner again; the outline runs on a new worker after the one the ledger names.
        #expect(!result.workers.contains { $0.role == "planner" })
        let outcomes = Dictionary(uniqueKeysWithValues: result.verification.map { ($0.subtask, $0) })
        #expect(outcomes["outline"]?.attempts.count == 2 && outcomes["outline"]?.attempts.first == firstOutline)
        #expect(outcomes.values.allSatisfy { $0.status == .passed && $0.verification == .unverified })
        // verify: false, the decision and the progress token come from the ledger.
        #expect(result.verified.optedOut)
        #expect(result.decisions.first == OrchestrationDecision(at: "2026-12-07T19:58:02.717Z", kind: .retry, subtask: "outline",
                                                                reason: "The failure looks transient."))
        #expect(result.synthesis?.text == "The guide.")
        let after = try JSONValue.parse(try await session.statusJSON(StatusParams()).data)
        #expect(after["orchestrations"]?.arrayValue?.first?["state"] == "succeeded" &&
                after["orchestrations"]?.arrayValue?.first?["decisions"]?.intValue == Int64(result.decisions.count))
        #expect(log.all.contains { $0.method == BosunNotification.progress && $0.params["token"] == "guide-1" })
        // What the store keeps now is the ledger's own versioned form.
        let saved = try #require(try await harness.store.orchestrations(sessionId: sessionId).first?.ledgerJSON)
        #expect(try JSONValue.parse(saved)["version"] == .int(Int64(StoredLedger.currentVersion)))
        await session.close()
        await harness.cleanUp()
    }

    @Test func aLedgerStoredBeforeCacheWritesWereCountedReads() async throws {
        let harness = try SessionHarness()
        let ledgerJSON = try LedgerFixture.text(Self.answeredBeforeCacheWrites)
        #expect(!ledgerJSON.contains("cacheWriteTokens"))
        let stored = try JSONValue.parse(ledgerJSON)
        let id = try #require(stored["id"]?.stringValue)
        let sessionId = try await LedgerFixture.store(ledgerJSON, id: id, goal: "What is 2+2?", state: "succeeded",
                                                      in: harness.store, workspaceRoot: harness.directory.path)
        let session = try await harness.open(LedgerFixture.model(outlineBlocks: false), resume: sessionId)
        guard case .session(let status) = try await session.status(StatusParams()) else { Issue.record("no session status"); return }
        let summary = try #require(status.orchestrations?.first)
        #expect(summary.state == .succeeded && summary.answeredBy == stored["synthesis"]?["id"]?.stringValue)
        let refused = await #expect(throws: SessionError.self) {
            _ = try await session.orchestrate(OrchestrateParams(goal: "", resume: id))
        }
        #expect(refused?.message.contains("it succeeded") == true)
        await session.close()
        await harness.cleanUp()
    }

    @Test(arguments: [
        (#"{"version": 99}"#, "version 99, written by a newer bosun"),
        (#"{"decisions": [{"at": "2026-12-07T19:00:00Z", "kind": "reconsider", "subtask": "outline", "reason": "r"}]}"#,
         #"decisions.kind "reconsider" is not one this bosun knows"#),
        (#"{"plan": {"subtasks": [{"id": "a", "role": "writer", "brief": {"task": "t"}, "checks": [{"kind": "telepathy"}]}]}}"#,
         #"check {"kind":"telepathy"} does not read"#),
    ])
    func aLedgerThisBosunCannotReadFailsResumeByName(change: String, says: String) async throws {
        let harness = try SessionHarness()
        guard case .object(var fields) = try JSONValue.parse(try LedgerFixture.text(Self.interrupted)),
              case .object(let changed) = try JSONValue.parse(change) else { Issue.record("fixture is no object"); return }
        fields.merge(changed) { _, new in new }
        let id = try #require(fields["id"]?.stringValue)
        let sessionId = try await LedgerFixture.store(JSONValue.object(fields).jsonString(), id: id, goal: "Write a short guide to bosun",
                                                      state: "interrupted", in: harness.store, workspaceRoot: harness.directory.path)
        let session = try await harness.open(LedgerFixture.model(outlineBlocks: false), resume: sessionId)
        let refused = await #expect(throws: SessionError.self) {
            _ = try await session.orchestrate(OrchestrateParams(goal: "", resume: id))
        }
        #expect(refused?.code == SessionError.invalidStateCode)
        #expect(refused?.message.contains("Orchestration \(id) cannot be resumed") == true, "\(refused?.message ?? "")")
        #expect(refused?.message.contains(says) == true, "\(refused?.message ?? "")")
        await session.close()
        await harness.cleanUp()
    }

    /// Every field of a ledger goes to the store and comes back as it was.
    @Test func aLedgerRoundTripsThroughItsStoredForm() throws {
        let stored = try StoredLedger.read(try LedgerFixture.text(Self.interrupted))
        #expect(stored.version == StoredLedger.currentVersion)
        let again = try StoredLedger.read(try #require(JSONText.encoded(StoredLedger(stored.ledger()))))
        #expect(again == stored)
        let answered = try StoredLedger.read(try LedgerFixture.text(Self.answeredBeforeCacheWrites))
        #expect(answered.synthesis?.usage.cacheWriteTokens == 0)
        #expect(try StoredLedger.read(try #require(JSONText.encoded(StoredLedger(answered.ledger())))) == answered)
    }
}
