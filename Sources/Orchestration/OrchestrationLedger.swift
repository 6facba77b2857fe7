import BosunJSON
import BosunProtocol
import Foundation
import TraceStore

/// Everything an orchestration knows about itself: the goal and its params, the plan, each
/// subtask's status and attempts, the decisions. It is the progress record the coordinator
/// reads (as Magentic-One keeps its ledgers) and what the store keeps, whole, at every
/// change (as a `StoredLedger`): after a restart, `orchestrate {resume}` continues from it.
struct OrchestrationLedger: Sendable {
    struct Subtask: Sendable {
        var status: SubtaskStatus = .pending
        /// Every worker it ran on, oldest first; the last is the one whose result counts.
        var attempts: [String] = []
        var verification: Verification = .unverified
        /// Why it was abandoned, or why its last attempt failed.
        var reason: String?
    }

    /// Why an orchestration stops before its end: a cancel, its deadline, the session closing.
    struct Stop: Sendable {
        var state: OrchestrationState
        var reason: String
    }

    var id: String
    var params: OrchestrateParams
    var state: OrchestrationState
    var plan: OrchestrationPlan?
    var subtasks: [String: Subtask] = [:]
    var decisions: [OrchestrationDecision] = []
    /// Decisions that ran a subtask again (retry, substitute, escalate), against `maxReplans`.
    var replans = 0
    var synthesis: SynthesizeResult?
    /// What became of the writing subtasks' changes, once decided.
    var changes: OrchestrationChanges?
    var reason: String?
    var stop: Stop?
    var createdAt: Date
    var endedAt: Date?
    /// The seq of its last event in the trace.
    var lastSeq = 0

    var goal: String { params.goal }
    var maxWorkers: Int { params.limits?.maxWorkers ?? Self.defaultMaxWorkers }
    var maxReplans: Int { params.limits?.maxReplans ?? Self.defaultMaxReplans }

    static let defaultMaxWorkers = 8
    static let defaultMaxReplans = 3

    /// The subtasks in plan order, with their ledger entries.
    var planned: [(spec: PlanSubtask, ledger: Subtask)] {
        (plan?.subtasks ?? []).map { ($0, subtasks[$0.id] ?? Subtask()) }
    }

    func count(_ status: SubtaskStatus) -> Int {
        subtasks.values.filter { $0.status == status }.count
    }

    var summary: OrchestrationSummary {
        var counts: [String: Int] = [:]
        for entry in subtasks.values { counts[entry.status.rawValue, default: 0] += 1 }
        return OrchestrationSummary(id: id, goal: goal, state: state, subtasks: counts, decisions: decisions.count,
                                    createdAt: WireTime.string(createdAt), endedAt: endedAt.map(WireTime.string),
                                    answeredBy: synthesis?.id)
    }

    func outcomes() -> [SubtaskOutcome] {
        planned.map { spec, entry in
            SubtaskOutcome(subtask: spec.id, status: entry.status, workerId: entry.attempts.last, attempts: entry.attempts,
                           verification: entry.verification, reason: entry.reason)
        }
    }

    func record(sessionId: String) -> OrchestrationRecord {
        OrchestrationRecord(id: id, sessionId: sessionId, goal: goal, state: state.rawValue,
                            ledgerJSON: JSONText.encoded(StoredLedger(self)) ?? "{}", createdAt: createdAt, endedAt: endedAt)
    }
}
