import BosunJSON
import BosunProtocol
import Foundation
import Workers

/// What the run counts and tells: its subtasks' moves and the decisions about them, what its
/// workers spent against its budget, its progress for the call's token, and its result.
extension OrchestrationRun {
    /// Moves a subtask and says so (a `subtask` event, progress).
    func move(_ session: isolated Session, _ subtaskId: String, to status: SubtaskStatus, workerId: String? = nil, reason: String? = nil) {
        update(session) { ledger in
            ledger.subtasks[subtaskId]?.status = status
            if let reason { ledger.subtasks[subtaskId]?.reason = reason }
        }
        let move = SubtaskMove(subtask: subtaskId, status: status, workerId: workerId ?? ledger.subtasks[subtaskId]?.attempts.last,
                               reason: reason)
        emit(session, .subtask, (try? JSONValue(encoding: move)) ?? .null)
        reportProgress(session)
    }

    func pass(_ session: isolated Session, _ subtaskId: String, verification: Verification) {
        update(session) { ledger in
            ledger.subtasks[subtaskId]?.verification = verification
            ledger.subtasks[subtaskId]?.reason = nil
        }
        move(session, subtaskId, to: .passed)
    }

    /// Gives a subtask up. bosun's own reasons (the replan limit, the budget, an abandoned
    /// predecessor, a worker that cannot start) are recorded as `abandon` decisions too, so
    /// `decisions` says why of every abandoned subtask.
    func abandon(_ session: isolated Session, _ subtaskId: String, reason: String, decided: Bool = false) {
        if !decided { recordDecision(session, subtaskId, .abandon, reason: reason) }
        move(session, subtaskId, to: .abandoned, reason: reason)
    }

    func recordDecision(_ session: isolated Session, _ subtaskId: String, _ kind: DecisionKind, reason: String) {
        let decision = OrchestrationDecision(at: WireTime.string(Date()), kind: kind, subtask: subtaskId, reason: reason)
        update(session) { $0.decisions.append(decision) }
        emit(session, .decision, (try? JSONValue(encoding: decision)) ?? .null)
    }

    // MARK: - Budget

    /// What the run's workers have spent, against `limits.maxCostUSD`: a reason to start
    /// nothing more once it is spent.
    func budgetSpent(_ session: isolated Session) -> String? {
        guard let limit = ledger.params.limits?.maxCostUSD else { return nil }
        let spent = cost(session)
        guard spent >= limit else { return nil }
        return "the orchestration's budget is spent ($\(String(format: "%.4f", spent)) of limits.maxCostUSD $\(limit))"
    }

    private func cost(_ session: isolated Session) -> Double {
        session.order.reduce(0) { sum, workerId in
            guard let entry = session.entries[workerId], entry.parentId == id else { return sum }
            return sum + entry.totals.costUSD
        }
    }

    /// A worker of the run may spend at most what is left of its budget.
    func limits(_ session: isolated Session, role: String) -> LimitOverrides? {
        guard let limit = ledger.params.limits?.maxCostUSD else { return nil }
        let left = max(limit - cost(session), 0.000_001)
        let roleLimit = session.config.roles[role]?.maxCostUSD ?? .infinity
        return left < roleLimit ? LimitOverrides(maxCostUSD: left) : nil
    }

    // MARK: - Progress and the result

    func reportProgress(_ session: isolated Session) {
        guard let token = ledger.params.workDoneToken else { return }
        let total = ledger.subtasks.count
        let passed = ledger.count(.passed)
        let message = "\(passed) of \(total) subtasks passed, \(ledger.count(.running)) running, \(ledger.count(.abandoned)) abandoned"
        session.environment.events(.progress(WorkerProgress(token: token, workerId: id, stage: .report, message: message,
                                                            steps: passed + ledger.count(.abandoned), maxSteps: total)))
    }

    func endProgress(_ session: isolated Session) {
        guard let token = ledger.params.workDoneToken else { return }
        let message = ledger.reason.map { "\(ledger.state.rawValue): \($0)" } ?? ledger.state.rawValue
        let state: WorkerState = switch ledger.state {
        case .succeeded, .partial: .succeeded
        case .cancelled: .cancelled
        case .interrupted: .interrupted
        default: .failed
        }
        session.environment.events(.progress(WorkerProgress(token: token, workerId: id, stage: .end(state), message: message,
                                                            steps: ledger.subtasks.count, maxSteps: ledger.subtasks.count)))
    }

    func result(_ session: isolated Session) -> OrchestrateResult {
        let workers = session.order.filter { session.entries[$0]?.parentId == id }.compactMap { session.view($0) }
        let usage = workers.reduce(WorkerUsage()) { $0 + $1.usage }
        let passed = ledger.planned.filter { $0.ledger.status == .passed }
        let verified = VerifiedShare(passed: passed.count, verified: passed.filter { $0.ledger.verification == .passed }.count,
                                     optedOut: ledger.params.verify == false)
        return OrchestrateResult(id: id, state: ledger.state, goal: ledger.goal, plan: ledger.plan, workers: workers,
                                 verification: ledger.outcomes(), synthesis: ledger.synthesis, decisions: ledger.decisions,
                                 reason: ledger.reason, usage: usage, verified: verified, changes: ledger.changes)
    }
}
