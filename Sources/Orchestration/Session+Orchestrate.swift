import BosunJSON
import BosunProtocol
import Foundation
import TraceStore
import Workers

/// `orchestrate`: bosun as the orchestrator. A planner worker (orchestrator tier) writes the
/// plan, bosun validates it (sending it back once with the errors), runs each subtask as a
/// worker of this session (`after` for dependencies, the session's cap for everything),
/// gates each result with `verify`, asks a coordinator worker what to do about each failure
/// (retry, substitute, escalate, abandon; at most `maxReplans` runs again), and ends with
/// `synthesize`. Every worker it runs has the orchestration's `o_…` id as its parent; the
/// ledger is stored at every change, so `orchestrate {resume}` continues after a restart.
extension Session {
    public func orchestrate(_ params: OrchestrateParams) async throws -> OrchestrateResult {
        guard !closing else {
            throw SessionError(code: SessionError.invalidStateCode,
                               message: "The session is shutting down and starts nothing new. Reconnect and orchestrate again.")
        }
        let id = try params.resume.map { try reopenOrchestration($0, params: params) } ?? startOrchestration(params)
        let deadline = orchestrations[id]?.params.limits?.timeoutSeconds.map { seconds in
            Task { [weak self] in
                try? await Task.sleep(for: .clampedSeconds(seconds))
                guard !Task.isCancelled else { return }
                await self?.stopOrchestration(id, state: .failed, reason: """
                    limits.timeoutSeconds (\(seconds) s) passed before the orchestration ended; \
                    its running workers were cancelled. Raise it, or give the goal a smaller scope.
                    """)
            }
        }
        await withTaskCancellationHandler {
            await runOrchestration(id)
        } onCancel: {
            Task { await self.stopOrchestration(id, state: .cancelled, reason: "The orchestrate request was cancelled.") }
        }
        deadline?.cancel()
        await finishOrchestration(id)
        try Task.checkCancellation()
        return orchestrationResult(id)
    }

    // MARK: - Starting and resuming

    private func startOrchestration(_ params: OrchestrateParams) throws -> String {
        let goal = params.goal.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !goal.isEmpty else {
            throw SessionError.invalidParams("goal", "goal is empty. Say what the orchestration should achieve.")
        }
        _ = try planRoles(params)
        _ = try Self.approvalRules(params.approval, origin: "orchestration")
        if params.verify == false, params.checks?.isEmpty == false {
            throw SessionError.invalidParams("verify", "verify is false but checks are given. Leave out checks to run none, or verify to run them.")
        }
        if let limits = params.limits {
            if let value = limits.maxWorkers, value < 1 {
                throw SessionError.invalidParams("limits.maxWorkers", "limits.maxWorkers must be at least 1; got \(value).")
            }
            if let value = limits.maxReplans, value < 0 {
                throw SessionError.invalidParams("limits.maxReplans", "limits.maxReplans must be 0 or more; got \(value).")
            }
            if let value = limits.maxCostUSD, !(value.isFinite && value > 0) {
                throw SessionError.invalidParams("limits.maxCostUSD", "limits.maxCostUSD must be a positive amount of USD; got \(value).")
            }
            if let value = limits.timeoutSeconds, !(value.isFinite && value > 0) {
                throw SessionError.invalidParams("limits.timeoutSeconds", "limits.timeoutSeconds must be a positive number of seconds; got \(value).")
            }
        }
        try checkSessionBudget()
        var stored = params
        stored.goal = goal
        let ledger = OrchestrationLedger(id: TraceStore.makeId(prefix: "o_"), params: stored, state: .planning, createdAt: Date())
        orchestrations[ledger.id] = ledger
        orchestrationOrder.append(ledger.id)
        return ledger.id
    }

    /// `resume`: an orchestration that ended without succeeding (interrupted by a restart,
    /// cancelled, failed, partial) goes on from its ledger. Its plan and decisions are kept;
    /// subtasks that passed keep their workers, every other runs again on a new worker with
    /// a fresh `maxReplans`.
    private func reopenOrchestration(_ id: String, params: OrchestrateParams) throws -> String {
        guard var ledger = orchestrations[id] else {
            if let why = unreadableLedgers[id] {
                throw SessionError(code: SessionError.invalidStateCode, message: "Orchestration \(id) cannot be resumed: \(why)",
                                   data: ["field": "resume"])
            }
            throw SessionError.invalidParams("resume", """
                There is no orchestration \(id) in this session. Resume the session it belongs to \
                (initializationOptions.session), or leave out resume to start a new one.
                """)
        }
        guard ledger.state.isTerminal, ledger.state != .succeeded else {
            let why = ledger.state == .succeeded ? "it succeeded; start a new orchestrate for another goal"
                : "it is still running; wait for it, or cancel it first"
            throw SessionError(code: SessionError.invalidStateCode, message: "Orchestration \(id) cannot be resumed: \(why).",
                               data: ["field": "resume", "state": .string(ledger.state.rawValue)])
        }
        try checkSessionBudget()
        ledger.state = ledger.plan == nil ? .planning : .running
        ledger.endedAt = nil
        ledger.reason = nil
        ledger.stop = nil
        ledger.synthesis = nil
        ledger.replans = 0
        if let token = params.workDoneToken { ledger.params.workDoneToken = token }
        for (key, entry) in ledger.subtasks where entry.status != .passed {
            ledger.subtasks[key]?.status = .pending
            ledger.subtasks[key]?.reason = nil
        }
        orchestrations[id] = ledger
        return id
    }

    /// The roles a plan may use: the ones asked for, or every role but bosun's own.
    func planRoles(_ params: OrchestrateParams) throws -> [String] {
        guard let asked = params.roles else {
            return config.roles.keys.filter { !OrchestrationPlanning.internalRoles.contains($0) }.sorted()
        }
        guard !asked.isEmpty else {
            throw SessionError.invalidParams("roles", "roles is empty. Leave it out to let the plan use every role, or name some.")
        }
        for name in asked where config.roles[name] == nil || OrchestrationPlanning.internalRoles.contains(name) {
            throw SessionError.unknownName("roles", kind: "role", name: name,
                                           known: config.roles.keys.filter { !OrchestrationPlanning.internalRoles.contains($0) },
                                           hint: "Call roles to see them.")
        }
        return asked
    }

    // MARK: - The run

    private func runOrchestration(_ id: String) async {
        guard let ledger = orchestrations[id] else { return }
        if ledger.plan == nil {
            emitStarted(id, resumed: false)
            guard await makePlan(id) else { return }
        } else {
            emitStarted(id, resumed: true)
        }
        if orchestrations[id]?.plan?.answer != nil, let answerer = orchestrations[id]?.synthesis?.id {
            emitOrchestration(id, kind: OrchestrationEventKind.synthesis.rawValue, data: ["workers": [], "answer": .string(answerer)])
            updateLedger(id) { $0.state = .succeeded }
            return
        }
        updateLedger(id) { $0.state = .running }
        await dispatch(id)
        guard orchestrations[id]?.stop == nil else { return }
        await settleChanges(id)
        await synthesizeOrchestration(id)
    }

    /// `started`, with the call's progress token: a client that sent one knows by it which
    /// orchestration is its call's before the call answers.
    private func emitStarted(_ id: String, resumed: Bool) {
        guard let ledger = orchestrations[id] else { return }
        var data: [String: JSONValue] = ["goal": .string(ledger.goal)]
        if resumed { data["resumed"] = true }
        if let token = ledger.params.workDoneToken { data["workDoneToken"] = token }
        emitOrchestration(id, kind: OrchestrationEventKind.started.rawValue, data: .object(data))
        beginOrchestrationProgress(id)
    }

    /// The planner writes the plan; an invalid one goes back to it once with the errors.
    /// Returns whether there is a plan to run.
    private func makePlan(_ id: String) async -> Bool {
        guard let ledger = orchestrations[id], let roles = try? planRoles(ledger.params) else { return false }
        let maxWorkers = ledger.maxWorkers
        let roleViews = self.roles().roles.filter { roles.contains($0.name) }
        let planner: Worker
        do {
            planner = try await spawnWorker(of: id, OrchestrationPrompts.planner(
                ledger.params, roles: roleViews, maxWorkers: maxWorkers, testCommand: ProjectTestCommand.find(in: environment.workspaceRoot),
                schema: OrchestrationPlanning.planSchema(roles: roles, maxWorkers: maxWorkers), limits: orchestrationLimits(id, role: "planner")))
        } catch {
            failOrchestration(id, reason: "The planner could not start: \(Self.describe(error))")
            return false
        }
        for attempt in 1...2 {
            guard let entry = try? await waitUntilSettled(planner.id), orchestrations[id]?.stop == nil else { return false }
            guard entry.state == .succeeded, let structured = entry.result?.structured else {
                failOrchestration(id, reason: "The planner \(planner.id) ended \(entry.state.rawValue) without a plan" +
                                  (entry.failure.map { " (\($0.code): \($0.message))" } ?? "") + ". Its trace shows why.")
                return false
            }
            switch OrchestrationPlanning.validate(structured, roles: roles, maxWorkers: maxWorkers, caller: ledger.params) {
            case .success(let plan):
                updateLedger(id) { ledger in
                    ledger.plan = plan
                    for subtask in plan.subtasks { ledger.subtasks[subtask.id] = .init() }
                    // A goal too small to hand off: the planner's answer is the answer.
                    if let answer = plan.answer {
                        ledger.synthesis = SynthesizeResult(id: planner.id, text: answer, structured: nil, sources: [], conflicts: [],
                                                            gaps: [], usage: entry.usage)
                    }
                }
                emitOrchestration(id, kind: OrchestrationEventKind.plan.rawValue,
                                  data: ["plan": (try? JSONValue(encoding: plan)) ?? .null, "attempt": .int(Int64(attempt))])
                reportOrchestrationProgress(id)
                return true
            case .failure(let problems):
                let list = problems.errors.map { "- \($0)" }.joined(separator: "\n")
                guard attempt == 1 else {
                    failOrchestration(id, reason: "The plan was still invalid after one correction:\n\(list)")
                    return false
                }
                emitOrchestration(id, kind: OrchestrationEventKind.replan.rawValue, data: [
                    "reason": "the plan is invalid", "errors": .array(problems.errors.map { .string($0) }),
                    "attempt": .int(Int64(attempt)), "replans": .int(Int64(orchestrations[id]?.replans ?? 0)),
                ])
                do {
                    _ = try steer(SteerParams(workerId: planner.id, message: OrchestrationPrompts.invalidPlan(list)))
                } catch {
                    failOrchestration(id, reason: "The invalid plan could not go back to the planner: \(Self.describe(error))")
                    return false
                }
            }
        }
        return false
    }

    /// Runs the plan: every subtask whose `after` subtasks passed starts at once; one whose
    /// predecessor was abandoned is abandoned too. Ends when nothing runs and nothing can start.
    private func dispatch(_ id: String) async {
        await withTaskGroup(of: String.self) { group in
            var inFlight = 0
            while orchestrations[id]?.stop == nil, !Task.isCancelled {
                for subtaskId in startableSubtasks(id) {
                    updateSubtask(id, subtaskId, status: .running)
                    inFlight += 1
                    group.addTask { await self.runSubtask(id, subtaskId) }
                }
                guard inFlight > 0, await group.next() != nil else { break }
                inFlight -= 1
            }
            await group.waitForAll()
        }
    }

    /// Pending subtasks whose predecessors all passed; pending ones behind an abandoned
    /// predecessor are abandoned here.
    private func startableSubtasks(_ id: String) -> [String] {
        guard let ledger = orchestrations[id] else { return [] }
        var ready: [String] = []
        for (spec, entry) in ledger.planned where entry.status == .pending {
            let after = spec.after ?? []
            if let lost = after.first(where: { ledger.subtasks[$0]?.status == .abandoned }) {
                abandonSubtask(id, spec.id, reason: "it needs the result of \(lost), which was abandoned")
                return startableSubtasks(id)
            }
            if after.allSatisfy({ ledger.subtasks[$0]?.status == .passed }) { ready.append(spec.id) }
        }
        return ready
    }

    /// One subtask to its end: run, gate with `verify`, and on failure let the coordinator
    /// decide, until it passes or is abandoned (or the orchestration stops).
    private func runSubtask(_ id: String, _ subtaskId: String) async -> String {
        enum Next { case spawn(model: String?), resume(String) }
        var next = Next.spawn(model: nil)
        while !Task.isCancelled, let ledger = orchestrations[id], ledger.stop == nil,
              let spec = ledger.plan?.subtasks.first(where: { $0.id == subtaskId }) {
            let workerId: String
            switch next {
            case .resume(let resumed):
                workerId = resumed
            case .spawn(let model):
                if let spent = orchestrationBudgetSpent(id) {
                    abandonSubtask(id, subtaskId, reason: spent)
                    return subtaskId
                }
                let predecessors = (spec.after ?? []).compactMap { ledger.subtasks[$0]?.attempts.last }
                do {
                    workerId = try await spawnWorker(of: id, SpawnParams(
                        task: spec.brief.task, inputs: spec.brief.inputs, scope: spec.brief.scope, output: spec.brief.output,
                        doNot: spec.brief.doNot, role: spec.role, model: model,
                        limits: orchestrationLimits(id, role: spec.role), after: predecessors), mayProposeFollowUps: true).id
                } catch {
                    abandonSubtask(id, subtaskId, reason: "its worker could not start: \(Self.describe(error))")
                    return subtaskId
                }
                updateLedger(id) { $0.subtasks[subtaskId]?.attempts.append(workerId) }
                updateSubtask(id, subtaskId, status: .running, workerId: workerId)
            }
            guard let entry = try? await waitUntilSettled(workerId), orchestrations[id]?.stop == nil else { return subtaskId }
            let why: String
            if entry.state == .succeeded {
                let checks = OrchestrationPlanning.checks(for: spec, params: ledger.params,
                                                          roleWrites: config.roles[spec.role]?.permissions.write == true,
                                                          testCommand: ProjectTestCommand.find(in: environment.workspaceRoot))
                guard !checks.isEmpty else {
                    passSubtask(id, subtaskId, verification: .unverified)
                    await considerFollowUps(id, subtaskId, workerId: workerId)
                    return subtaskId
                }
                do {
                    let verified = try await verify(VerifyParams(workerId: workerId, checks: checks, feedback: .steer, maxRounds: 2))
                    if verified.passed {
                        passSubtask(id, subtaskId, verification: .passed)
                        await considerFollowUps(id, subtaskId, workerId: workerId)
                        return subtaskId
                    }
                    updateLedger(id) { $0.subtasks[subtaskId]?.verification = .failed }
                    if let missing = verified.rounds.last?.checks.first(where: { $0.code == .commandNotFound }) {
                        abandonSubtask(id, subtaskId, reason: Self.setupProblem(missing.summary))
                        return subtaskId
                    }
                    let failed = verified.rounds.last?.checks.filter { !$0.passed }.map { "\($0.kind): \($0.summary)" } ?? []
                    why = "its result failed its checks after \(verified.rounds.count) round(s): \(failed.joined(separator: "; "))"
                } catch {
                    guard orchestrations[id]?.stop == nil, !Task.isCancelled else { return subtaskId }
                    why = "its checks could not run: \(Self.describe(error))"
                }
            } else if let failure = entry.failure, failure.code == .commandNotFound {
                abandonSubtask(id, subtaskId, reason: Self.setupProblem(failure.message))
                return subtaskId
            } else {
                why = "its worker \(workerId) ended \(entry.state.rawValue)" + (entry.failure.map { " (\($0.code): \($0.message))" } ?? "")
            }
            updateLedger(id) { $0.subtasks[subtaskId]?.reason = why }
            guard let current = orchestrations[id], current.stop == nil else { return subtaskId }
            guard current.replans < current.maxReplans else {
                abandonSubtask(id, subtaskId, reason: "\(why); the replan limit (limits.maxReplans \(current.maxReplans)) is reached")
                return subtaskId
            }
            let decision = await decide(id, subtaskId, why: why)
            guard orchestrations[id]?.stop == nil else { return subtaskId }
            recordDecision(id, subtaskId, decision.kind, reason: decision.reason)
            switch decision.kind {
            case .abandon, .conflict, .addFollowUp, .skipFollowUp: // (the decision schema admits only the coordinator's choices)
                abandonSubtask(id, subtaskId, reason: decision.reason, decided: true)
                return subtaskId
            case .retry:
                countReplan(id, subtaskId, decision)
                let feedback = decision.feedback ?? OrchestrationPrompts.retryFeedback(why: why, reason: decision.reason)
                if (try? steer(SteerParams(workerId: workerId, message: feedback))) != nil {
                    next = .resume(workerId)
                } else {
                    next = .spawn(model: nil)
                }
            case .substitute:
                countReplan(id, subtaskId, decision)
                next = .spawn(model: nil)
            case .escalate:
                guard let higher = nextTier(above: entry.model) else {
                    abandonSubtask(id, subtaskId, reason: "\(why); escalation was decided, but model \(entry.model) is already the top tier")
                    return subtaskId
                }
                countReplan(id, subtaskId, decision)
                next = .spawn(model: higher)
            }
        }
        return subtaskId
    }

    /// Why a subtask stops at once when a program it needs is missing: no retry, substitute or
    /// escalation can install it, so the coordinator is not asked.
    static func setupProblem(_ message: String) -> String {
        "\(FailureCode.commandNotFound): \(message) Stopped without a retry: no worker can fix the setup."
    }

    struct SubtaskDecision {
        var kind: DecisionKind
        var reason: String
        var feedback: String?
        var role: String?
        var brief: SubtaskBrief?
    }

    /// The coordinator decides about a failed subtask from the progress record. If it cannot
    /// (it fails, or the budget is spent), the subtask is abandoned with that reason.
    private func decide(_ id: String, _ subtaskId: String, why: String) async -> SubtaskDecision {
        guard let ledger = orchestrations[id], let roles = try? planRoles(ledger.params) else {
            return SubtaskDecision(kind: .abandon, reason: why)
        }
        if let spent = orchestrationBudgetSpent(id) { return SubtaskDecision(kind: .abandon, reason: "\(why); \(spent)") }
        do {
            let coordinator = try await spawnWorker(of: id, OrchestrationPrompts.decision(
                about: subtaskId, record: OrchestrationPrompts.progressRecord(ledger, failed: subtaskId, why: why),
                schema: OrchestrationPlanning.decisionSchema(roles: roles), limits: orchestrationLimits(id, role: "coordinator")))
            let entry = try await waitUntilSettled(coordinator.id)
            guard entry.state == .succeeded, let answer = entry.result?.structured,
                  let kind = answer["kind"]?.stringValue.flatMap(DecisionKind.init(rawValue:)) else {
                let reason = entry.failure.map { "\($0.code): \($0.message)" } ?? entry.state.rawValue
                return SubtaskDecision(kind: .abandon, reason: "\(why); the coordinator \(coordinator.id) could not decide (\(reason))")
            }
            return SubtaskDecision(kind: kind, reason: answer["reason"]?.stringValue ?? kind.rawValue,
                                   feedback: answer["feedback"]?.stringValue, role: answer["role"]?.stringValue,
                                   brief: try? answer["brief"]?.decode(as: SubtaskBrief.self))
        } catch {
            return SubtaskDecision(kind: .abandon, reason: "\(why); the coordinator could not run: \(Self.describe(error))")
        }
    }

    // MARK: - Plans that grow on findings

    /// The follow-ups a passed subtask's result proposed, each with a decision: the
    /// coordinator adds it to the plan (a new subtask after this one, using one replan) or
    /// leaves it out; past `limits.maxWorkers` subtasks or `maxReplans`, bosun leaves it out.
    private func considerFollowUps(_ id: String, _ subtaskId: String, workerId: String) async {
        for proposal in entries[workerId]?.result?.followUps ?? [] {
            guard let ledger = orchestrations[id], ledger.stop == nil, let roles = try? planRoles(ledger.params),
                  let proposer = ledger.plan?.subtasks.first(where: { $0.id == subtaskId }) else { return }
            let limit = ledger.planned.count >= ledger.maxWorkers
                ? "the plan already has limits.maxWorkers (\(ledger.maxWorkers)) subtasks"
                : ledger.replans >= ledger.maxReplans ? "limits.maxReplans (\(ledger.maxReplans)) is used up" : nil
            if let limit {
                recordDecision(id, subtaskId, .skipFollowUp, reason: "Follow-up \"\(proposal)\" left out: \(limit).")
                continue
            }
            guard let decision = await decideFollowUp(id, proposer: proposer, proposal: proposal, roles: roles),
                  orchestrations[id]?.stop == nil else {
                recordDecision(id, subtaskId, .skipFollowUp, reason: "Follow-up \"\(proposal)\" left out: the coordinator could not decide.")
                continue
            }
            guard decision.add else {
                recordDecision(id, subtaskId, .skipFollowUp, reason: "Follow-up \"\(proposal)\" left out: \(decision.reason)")
                continue
            }
            var newId = "\(subtaskId)+1"
            while orchestrations[id]?.subtasks[newId] != nil { newId += "+1" }
            let added = PlanSubtask(id: newId, role: decision.role ?? proposer.role,
                                    brief: decision.brief ?? SubtaskBrief(task: proposal), after: [subtaskId])
            updateLedger(id) { ledger in
                ledger.plan?.subtasks.append(added)
                ledger.subtasks[newId] = .init()
                ledger.replans += 1
            }
            recordDecision(id, newId, .addFollowUp, reason: "Proposed by subtask \(subtaskId): \(proposal). \(decision.reason)")
            emitOrchestration(id, kind: OrchestrationEventKind.replan.rawValue, data: [
                "subtask": .string(newId), "kind": .string(DecisionKind.addFollowUp.rawValue), "reason": .string(decision.reason),
                "replans": .int(Int64(orchestrations[id]?.replans ?? 0)), "subtaskPlan": (try? JSONValue(encoding: added)) ?? .null,
            ])
            reportOrchestrationProgress(id)
        }
    }

    struct FollowUpDecision {
        var add: Bool
        var reason: String
        var role: String?
        var brief: SubtaskBrief?
    }

    /// The coordinator decides whether a proposed follow-up joins the plan; nil when it cannot.
    private func decideFollowUp(_ id: String, proposer: PlanSubtask, proposal: String, roles: [String]) async -> FollowUpDecision? {
        guard let ledger = orchestrations[id] else { return nil }
        guard let coordinator = try? await spawnWorker(of: id, OrchestrationPrompts.followUp(
            proposal, by: proposer, in: ledger, schema: OrchestrationPlanning.followUpSchema(roles: roles),
            limits: orchestrationLimits(id, role: "coordinator"))),
              let entry = try? await waitUntilSettled(coordinator.id), entry.state == .succeeded,
              let answer = entry.result?.structured, let add = answer["add"]?.boolValue else { return nil }
        return FollowUpDecision(add: add, reason: answer["reason"]?.stringValue ?? "", role: answer["role"]?.stringValue,
                                brief: try? answer["brief"]?.decode(as: SubtaskBrief.self))
    }

    /// A decision that runs the subtask again uses one replan; a substitute also changes the plan.
    private func countReplan(_ id: String, _ subtaskId: String, _ decision: SubtaskDecision) {
        updateLedger(id) { ledger in
            ledger.replans += 1
            guard decision.kind == .substitute, let index = ledger.plan?.subtasks.firstIndex(where: { $0.id == subtaskId }) else { return }
            if let role = decision.role { ledger.plan?.subtasks[index].role = role }
            if let brief = decision.brief { ledger.plan?.subtasks[index].brief = brief }
        }
        guard let ledger = orchestrations[id] else { return }
        var data: [String: JSONValue] = ["subtask": .string(subtaskId), "kind": .string(decision.kind.rawValue),
                                         "reason": .string(decision.reason), "replans": .int(Int64(ledger.replans))]
        if decision.kind == .substitute, let spec = ledger.plan?.subtasks.first(where: { $0.id == subtaskId }) {
            data["subtaskPlan"] = (try? JSONValue(encoding: spec)) ?? .null
        }
        emitOrchestration(id, kind: OrchestrationEventKind.replan.rawValue, data: .object(data))
    }

    /// The synthesis over every subtask that passed; abandoned ones are named in its gaps.
    private func synthesizeOrchestration(_ id: String) async {
        guard let ledger = orchestrations[id] else { return }
        let passed = ledger.planned.filter { $0.ledger.status == .passed }.compactMap { $0.ledger.attempts.last }
        let abandoned = ledger.planned.filter { $0.ledger.status == .abandoned }
            .map { "subtask \($0.spec.id) abandoned: \($0.ledger.reason ?? "no reason given")" }
        guard !passed.isEmpty else {
            failOrchestration(id, reason: "No subtask passed, so there is nothing to synthesize.\n" + abandoned.joined(separator: "\n"))
            return
        }
        if let spent = orchestrationBudgetSpent(id) {
            failOrchestration(id, reason: "The synthesis did not start: \(spent). The subtasks' results are in workers.")
            return
        }
        // One subtask and no shape asked of the answer: its verified result is the answer.
        if ledger.planned.count == 1, passed.count == 1, ledger.params.output == nil, let entry = entries[passed[0]],
           let result = entry.result {
            let sources = [SynthesisSource(workerId: passed[0], claim: result.text)]
                + (result.sources ?? []).map { SynthesisSource(workerId: passed[0], claim: "what \(passed[0]) reported rests on it", source: $0) }
            emitOrchestration(id, kind: OrchestrationEventKind.synthesis.rawValue,
                              data: ["workers": [.string(passed[0])], "answer": .string(passed[0])])
            updateLedger(id) { ledger in
                ledger.synthesis = SynthesizeResult(id: passed[0], text: result.text, structured: result.structured, sources: sources,
                                                    conflicts: [], gaps: [], usage: entry.usage)
                ledger.state = .succeeded
            }
            return
        }
        updateLedger(id) { $0.state = .synthesizing }
        emitOrchestration(id, kind: OrchestrationEventKind.synthesis.rawValue, data: ["workers": .array(passed.map { .string($0) })])
        let instruction = OrchestrationPrompts.synthesis(goal: ledger.goal, abandoned: abandoned)
        do {
            var synthesis = try await synthesize(SynthesizeParams(workers: passed, instruction: instruction, output: ledger.params.output),
                                                 parent: id)
            synthesis.gaps = abandoned + synthesis.gaps.filter { !abandoned.contains($0) }
            updateLedger(id) { ledger in
                ledger.synthesis = synthesis
                ledger.state = abandoned.isEmpty ? .succeeded : .partial
                if !abandoned.isEmpty { ledger.reason = abandoned.joined(separator: "\n") }
            }
        } catch {
            guard orchestrations[id]?.stop == nil else { return }
            failOrchestration(id, reason: "The synthesis failed: \(Self.describe(error))")
        }
    }

    /// Spawns one of the orchestration's workers (its parent is the orchestration). One that
    /// was being stored while the orchestration stopped is cancelled at once.
    private func spawnWorker(of id: String, _ params: SpawnParams, mayProposeFollowUps: Bool = false) async throws -> Worker {
        let worker = try await spawn(params, parent: id, mayProposeFollowUps: mayProposeFollowUps)
        // (An interrupted one leaves it to the session's close, which interrupts it too.)
        if let stop = orchestrations[id]?.stop, stop.state != .interrupted, entries[worker.id]?.isActive == true {
            await end(worker.id, run: nil,
                      .cancelled(WorkerFailure(code: .cancelled, message: "Orchestration \(id) stopped: \(stop.reason)")))
        }
        return worker
    }

    // MARK: - Stopping and finishing

    /// Stops an orchestration that has not ended (cancel, deadline, shutdown): its queued and
    /// running workers are cancelled, and its run ends at the next step.
    func stopOrchestration(_ id: String, state: OrchestrationState, reason: String) async {
        if let stopping = orchestrationStops[id] { return await stopping.value }
        guard let ledger = orchestrations[id], !ledger.state.isTerminal, ledger.stop == nil else { return }
        updateLedger(id) { $0.stop = .init(state: state, reason: reason) }
        // One task does the cancelling, so every caller (the cancel, the call's own end)
        // returns only once each worker's end is committed and sent.
        let stopping = Task {
            let failure = WorkerFailure(code: .cancelled, message: "Orchestration \(id) stopped: \(reason)")
            for workerId in order where entries[workerId]?.parentId == id {
                guard entries[workerId]?.isActive == true else { continue }
                await end(workerId, run: nil, .cancelled(failure))
            }
        }
        orchestrationStops[id] = stopping
        await stopping.value
    }

    /// Stops every orchestration still running (`cancel {all}`, the session closing).
    func stopAllOrchestrations(state: OrchestrationState, reason: String) async {
        for id in orchestrationOrder where orchestrations[id]?.state.isTerminal == false {
            await stopOrchestration(id, state: state, reason: reason)
        }
    }

    /// The connection is ending: orchestrations are interrupted, not cancelled with the
    /// requests that are about to be cancelled (`SessionHandle.willClose`).
    public func willClose() {
        interruptOrchestrations()
    }

    /// Marks every orchestration that has not ended `interrupted`: the session is closing
    /// (its workers end `interrupted` next), or it was found running after a crash.
    /// `orchestrate {resume}` continues each.
    func interruptOrchestrations() {
        for id in orchestrationOrder where orchestrations[id]?.state.isTerminal == false {
            let reason = "The server stopped while it ran. Resume it with orchestrate {resume: \"\(id)\"}."
            updateLedger(id) { ledger in
                ledger.stop = .init(state: .interrupted, reason: reason)
                ledger.state = .interrupted
                ledger.reason = reason
                ledger.endedAt = Date()
            }
            emitOrchestration(id, kind: OrchestrationState.interrupted.rawValue, data: ["reason": .string(reason)])
        }
    }

    private func failOrchestration(_ id: String, reason: String) {
        updateLedger(id) { ledger in
            ledger.state = .failed
            ledger.reason = reason
        }
    }

    /// Commits the end: the ledger with its final state, then the terminal event and progress end.
    private func finishOrchestration(_ id: String) async {
        if Task.isCancelled { await stopOrchestration(id, state: .cancelled, reason: "The orchestrate request was cancelled.") }
        if let stopping = orchestrationStops.removeValue(forKey: id) { await stopping.value }
        guard var ledger = orchestrations[id], ledger.state != .interrupted else { return }
        if let stop = ledger.stop {
            ledger.state = stop.state
            ledger.reason = stop.reason
        } else if !ledger.state.isTerminal {
            ledger.state = .failed
            ledger.reason = ledger.reason ?? "The orchestration stopped before its synthesis."
        }
        ledger.endedAt = Date()
        orchestrations[id] = ledger
        do {
            try await store.saveOrchestration(ledger.record(sessionId: self.id))
        } catch {
            store.submit(.orchestration(ledger.record(sessionId: self.id)))
        }
        var data: [String: JSONValue] = [:]
        if let reason = ledger.reason { data["reason"] = .string(reason) }
        if let synthesis = ledger.synthesis { data["synthesisId"] = .string(synthesis.id) }
        emitOrchestration(id, kind: ledger.state.rawValue, data: .object(data))
        endOrchestrationProgress(id)
    }

    func orchestrationResult(_ id: String) -> OrchestrateResult {
        let ledger = orchestrations[id]!
        let workers = order.filter { entries[$0]?.parentId == id }.compactMap { view($0) }
        let usage = workers.reduce(WorkerUsage()) { $0 + $1.usage }
        let passed = ledger.planned.filter { $0.ledger.status == .passed }
        let verified = VerifiedShare(passed: passed.count, verified: passed.filter { $0.ledger.verification == .passed }.count,
                                     optedOut: ledger.params.verify == false)
        return OrchestrateResult(id: id, state: ledger.state, goal: ledger.goal, plan: ledger.plan, workers: workers,
                                 verification: ledger.outcomes(), synthesis: ledger.synthesis, decisions: ledger.decisions,
                                 reason: ledger.reason, usage: usage, verified: verified, changes: ledger.changes)
    }

    // MARK: - Budget

    /// What the orchestration's workers have spent, against `limits.maxCostUSD`: a reason
    /// to start nothing more once it is spent.
    private func orchestrationBudgetSpent(_ id: String) -> String? {
        guard let limit = orchestrations[id]?.params.limits?.maxCostUSD else { return nil }
        let spent = orchestrationCost(id)
        guard spent >= limit else { return nil }
        return "the orchestration's budget is spent ($\(String(format: "%.4f", spent)) of limits.maxCostUSD $\(limit))"
    }

    private func orchestrationCost(_ id: String) -> Double {
        order.reduce(0) { sum, workerId in
            guard let entry = entries[workerId], entry.parentId == id else { return sum }
            return sum + entry.totals.costUSD
        }
    }

    /// A worker of the orchestration may spend at most what is left of its budget.
    private func orchestrationLimits(_ id: String, role: String) -> LimitOverrides? {
        guard let limit = orchestrations[id]?.params.limits?.maxCostUSD else { return nil }
        let left = max(limit - orchestrationCost(id), 0.000_001)
        let roleLimit = config.roles[role]?.maxCostUSD ?? .infinity
        return left < roleLimit ? LimitOverrides(maxCostUSD: left) : nil
    }

    // MARK: - Ledger changes, events and progress

    func updateLedger(_ id: String, _ change: (inout OrchestrationLedger) -> Void) {
        guard var ledger = orchestrations[id] else { return }
        change(&ledger)
        orchestrations[id] = ledger
        store.submit(.orchestration(ledger.record(sessionId: self.id)))
    }

    private func updateSubtask(_ id: String, _ subtaskId: String, status: SubtaskStatus, workerId: String? = nil, reason: String? = nil) {
        updateLedger(id) { ledger in
            ledger.subtasks[subtaskId]?.status = status
            if let reason { ledger.subtasks[subtaskId]?.reason = reason }
        }
        let move = SubtaskMove(subtask: subtaskId, status: status,
                               workerId: workerId ?? orchestrations[id]?.subtasks[subtaskId]?.attempts.last, reason: reason)
        emitOrchestration(id, kind: OrchestrationEventKind.subtask.rawValue, data: (try? JSONValue(encoding: move)) ?? .null)
        reportOrchestrationProgress(id)
    }

    private func passSubtask(_ id: String, _ subtaskId: String, verification: Verification) {
        updateLedger(id) { ledger in
            ledger.subtasks[subtaskId]?.verification = verification
            ledger.subtasks[subtaskId]?.reason = nil
        }
        updateSubtask(id, subtaskId, status: .passed)
    }

    /// Gives a subtask up. bosun's own reasons (the replan limit, the budget, an abandoned
    /// predecessor, a worker that cannot start) are recorded as `abandon` decisions too, so
    /// `decisions` says why of every abandoned subtask.
    private func abandonSubtask(_ id: String, _ subtaskId: String, reason: String, decided: Bool = false) {
        if !decided { recordDecision(id, subtaskId, .abandon, reason: reason) }
        updateSubtask(id, subtaskId, status: .abandoned, reason: reason)
    }

    func recordDecision(_ id: String, _ subtaskId: String, _ kind: DecisionKind, reason: String) {
        let decision = OrchestrationDecision(at: WireTime.string(Date()), kind: kind, subtask: subtaskId, reason: reason)
        updateLedger(id) { $0.decisions.append(decision) }
        emitOrchestration(id, kind: OrchestrationEventKind.decision.rawValue, data: (try? JSONValue(encoding: decision)) ?? .null)
    }

    /// Stores an event under the orchestration's id with its next seq and sends it.
    func emitOrchestration(_ id: String, kind: String, data: JSONValue) {
        guard var ledger = orchestrations[id] else { return }
        ledger.lastSeq += 1
        orchestrations[id] = ledger
        let event = EventRecord(sessionId: self.id, workerId: id, seq: ledger.lastSeq, kind: kind, at: Date(), dataJSON: JSONText.string(data))
        store.submit(.event(event))
        environment.events(.orchestration(OrchestrationEvent(orchestrationId: id, seq: event.seq, kind: kind,
                                                             at: WireTime.string(event.at), data: data)))
    }

    private func beginOrchestrationProgress(_ id: String) {
        guard let ledger = orchestrations[id], let token = ledger.params.workDoneToken else { return }
        environment.events(.progress(WorkerProgress(token: token, workerId: id, stage: .begin(title: "bosun orchestrate \(id)"),
                                                    message: "planning: \(ledger.goal)", steps: 0, maxSteps: 0)))
    }

    private func reportOrchestrationProgress(_ id: String) {
        guard let ledger = orchestrations[id], let token = ledger.params.workDoneToken else { return }
        let total = ledger.subtasks.count
        let passed = ledger.count(.passed)
        let message = "\(passed) of \(total) subtasks passed, \(ledger.count(.running)) running, \(ledger.count(.abandoned)) abandoned"
        environment.events(.progress(WorkerProgress(token: token, workerId: id, stage: .report, message: message,
                                                    steps: passed + ledger.count(.abandoned), maxSteps: total)))
    }

    private func endOrchestrationProgress(_ id: String) {
        guard let ledger = orchestrations[id], let token = ledger.params.workDoneToken else { return }
        let message = ledger.reason.map { "\(ledger.state.rawValue): \($0)" } ?? ledger.state.rawValue
        let state: WorkerState = switch ledger.state {
        case .succeeded, .partial: .succeeded
        case .cancelled: .cancelled
        case .interrupted: .interrupted
        default: .failed
        }
        environment.events(.progress(WorkerProgress(token: token, workerId: id, stage: .end(state), message: message,
                                                    steps: ledger.subtasks.count, maxSteps: ledger.subtasks.count)))
    }

    static func describe(_ error: any Error) -> String {
        (error as? SessionError)?.message ?? "\(error)"
    }
}
