import BosunJSON
import BosunProtocol
import Foundation
import Workers
import Workspace

/// The run's decisions: what the coordinator decides about a failed subtask, whether a
/// follow-up a subtask proposed joins the plan, and what becomes of the subtasks' changes.
extension OrchestrationRun {
    struct SubtaskDecision {
        var kind: DecisionKind
        var reason: String
        var feedback: String?
        var role: String?
        var brief: SubtaskBrief?
    }

    /// The coordinator decides about a failed subtask from the progress record. If it cannot
    /// (it fails, or the budget is spent), the subtask is abandoned with that reason.
    func decide(_ subtaskId: String, why: String, _ session: isolated Session) async -> SubtaskDecision {
        guard let roles = try? session.planRoles(ledger.params) else { return SubtaskDecision(kind: .abandon, reason: why) }
        if let spent = budgetSpent(session) { return SubtaskDecision(kind: .abandon, reason: "\(why); \(spent)") }
        do {
            let coordinator = try await spawnWorker(session, OrchestrationPrompts.decision(
                about: subtaskId, record: OrchestrationPrompts.progressRecord(ledger, failed: subtaskId, why: why),
                schema: OrchestrationPlanning.decisionSchema(roles: roles), limits: limits(session, role: "coordinator")))
            let entry = try await session.waitUntilSettled(coordinator.id)
            guard entry.state == .succeeded, let answer = entry.result?.structured,
                  let kind = answer["kind"]?.stringValue.flatMap(DecisionKind.init(rawValue:)) else {
                let reason = entry.failure.map { "\($0.code): \($0.message)" } ?? entry.state.rawValue
                return SubtaskDecision(kind: .abandon, reason: "\(why); the coordinator \(coordinator.id) could not decide (\(reason))")
            }
            return SubtaskDecision(kind: kind, reason: answer["reason"]?.stringValue ?? kind.rawValue,
                                   feedback: answer["feedback"]?.stringValue, role: answer["role"]?.stringValue,
                                   brief: try? answer["brief"]?.decode(as: SubtaskBrief.self))
        } catch {
            return SubtaskDecision(kind: .abandon, reason: "\(why); the coordinator could not run: \(Session.describe(error))")
        }
    }

    /// A decision that runs the subtask again uses one replan; a substitute also changes the plan.
    func countReplan(_ session: isolated Session, _ subtaskId: String, _ decision: SubtaskDecision) {
        update(session) { ledger in
            ledger.replans += 1
            guard decision.kind == .substitute, let index = ledger.plan?.subtasks.firstIndex(where: { $0.id == subtaskId }) else { return }
            if let role = decision.role { ledger.plan?.subtasks[index].role = role }
            if let brief = decision.brief { ledger.plan?.subtasks[index].brief = brief }
        }
        var data: [String: JSONValue] = ["subtask": .string(subtaskId), "kind": .string(decision.kind.rawValue),
                                         "reason": .string(decision.reason), "replans": .int(Int64(ledger.replans))]
        if decision.kind == .substitute, let spec = ledger.plan?.subtasks.first(where: { $0.id == subtaskId }) {
            data["subtaskPlan"] = (try? JSONValue(encoding: spec)) ?? .null
        }
        emit(session, .replan, .object(data))
    }

    // MARK: - Plans that grow on findings

    struct FollowUpDecision {
        var add: Bool
        var reason: String
        var role: String?
        var brief: SubtaskBrief?
    }

    /// The follow-ups a passed subtask's result proposed, each with a decision: the
    /// coordinator adds it to the plan (a new subtask after this one, using one replan) or
    /// leaves it out; past `limits.maxWorkers` subtasks or `maxReplans`, bosun leaves it out.
    func considerFollowUps(of subtaskId: String, workerId: String, _ session: isolated Session) async {
        for proposal in session.entries[workerId]?.result?.followUps ?? [] {
            guard ledger.stop == nil, let roles = try? session.planRoles(ledger.params),
                  let proposer = ledger.plan?.subtasks.first(where: { $0.id == subtaskId }) else { return }
            let limit = ledger.planned.count >= ledger.maxWorkers
                ? "the plan already has limits.maxWorkers (\(ledger.maxWorkers)) subtasks"
                : ledger.replans >= ledger.maxReplans ? "limits.maxReplans (\(ledger.maxReplans)) is used up" : nil
            if let limit {
                recordDecision(session, subtaskId, .skipFollowUp, reason: "Follow-up \"\(proposal)\" left out: \(limit).")
                continue
            }
            guard let decision = await decideFollowUp(proposal, by: proposer, roles: roles, session), ledger.stop == nil else {
                recordDecision(session, subtaskId, .skipFollowUp, reason: "Follow-up \"\(proposal)\" left out: the coordinator could not decide.")
                continue
            }
            guard decision.add else {
                recordDecision(session, subtaskId, .skipFollowUp, reason: "Follow-up \"\(proposal)\" left out: \(decision.reason)")
                continue
            }
            var newId = "\(subtaskId)+1"
            while ledger.subtasks[newId] != nil { newId += "+1" }
            let added = PlanSubtask(id: newId, role: decision.role ?? proposer.role,
                                    brief: decision.brief ?? SubtaskBrief(task: proposal), after: [subtaskId])
            update(session) { ledger in
                ledger.plan?.subtasks.append(added)
                ledger.subtasks[newId] = .init()
                ledger.replans += 1
            }
            recordDecision(session, newId, .addFollowUp, reason: "Proposed by subtask \(subtaskId): \(proposal). \(decision.reason)")
            emit(session, .replan, [
                "subtask": .string(newId), "kind": .string(DecisionKind.addFollowUp.rawValue), "reason": .string(decision.reason),
                "replans": .int(Int64(ledger.replans)), "subtaskPlan": (try? JSONValue(encoding: added)) ?? .null,
            ])
            reportProgress(session)
        }
    }

    /// The coordinator decides whether a proposed follow-up joins the plan; nil when it cannot.
    private func decideFollowUp(_ proposal: String, by proposer: PlanSubtask, roles: [String],
                                _ session: isolated Session) async -> FollowUpDecision? {
        guard let coordinator = try? await spawnWorker(session, OrchestrationPrompts.followUp(
            proposal, by: proposer, in: ledger, schema: OrchestrationPlanning.followUpSchema(roles: roles),
            limits: limits(session, role: "coordinator"))),
              let entry = try? await session.waitUntilSettled(coordinator.id), entry.state == .succeeded,
              let answer = entry.result?.structured, let add = answer["add"]?.boolValue else { return nil }
        return FollowUpDecision(add: add, reason: answer["reason"]?.stringValue ?? "", role: answer["role"]?.stringValue,
                                brief: try? answer["brief"]?.decode(as: SubtaskBrief.self))
    }

    // MARK: - The changes

    /// Once every subtask has settled: applies the changes of those that passed, in plan
    /// order (`apply: verified`), leaves them for review (`manual`) or discards them
    /// (`never`). A conflict is recorded as a decision and leaves that worker's changes pending.
    /// The changes of a subtask's earlier attempts (it ran again on another worker) go with
    /// its last attempt's: discarded once those are applied or discarded, or at once when the
    /// last attempt changed nothing.
    func settleChanges(_ session: isolated Session) async {
        let mode = ledger.params.apply ?? .verified
        var outcome = OrchestrationChanges()
        for (spec, subtask) in ledger.planned {
            guard let workerId = subtask.attempts.last else { continue }
            outcome.superseded = (outcome.superseded ?? []) + subtask.attempts.dropLast().filter(session.hasChanges)
            guard session.hasChanges(workerId) else {
                await session.discardSuperseded(by: workerId)
                continue
            }
            switch mode {
            case .verified where subtask.status == .passed:
                do {
                    let applied = try await session.apply(ApplyParams(workerId: workerId))
                    outcome.applied += applied.applied
                    if !applied.conflicts.isEmpty {
                        outcome.conflicts += applied.conflicts
                        outcome.pending.append(workerId)
                        let reasons = applied.conflicts.map { "\($0.path): \($0.reason)" }.joined(separator: "; ")
                        recordDecision(session, spec.id, .conflict, reason: "Its changes were not applied and wait for review: \(reasons)")
                    }
                } catch let error as WorkspaceError where error.message == Layer.nothingToApply {
                    // Its files ended as they began.
                    await session.discardSuperseded(by: workerId)
                    continue
                } catch {
                    // Anything else (only ignored files changed, a write that failed) leaves
                    // them for review, and the result says why instead of dropping them.
                    outcome.pending.append(workerId)
                    recordDecision(session, spec.id, .conflict, reason: "Its changes were not applied and wait for review: \(error)")
                }
            case .never:
                _ = try? await session.discard(DiscardParams(workerId: workerId))
            default:
                outcome.pending.append(workerId)
            }
        }
        if outcome.superseded?.isEmpty == true { outcome.superseded = nil }
        let settled = outcome
        update(session) { $0.changes = settled }
    }
}
