import BosunJSON
import BosunProtocol
import Foundation
import TraceStore
import Workers

/// One orchestration from its goal to its answer. It owns the run's ledger and has its steps
/// as methods: `plan` (a planner worker writes the plan; bosun validates it and sends it back
/// once with the errors), `dispatch` (each subtask runs as a worker of the session once the
/// subtasks it comes `after` passed, the session's cap for everything, and `verify` gates its
/// result), `decide` (a coordinator worker on each failure: retry, substitute, escalate or
/// abandon, at most `maxReplans` runs again), then the changes are settled and `synthesize`
/// ends it. Every worker it runs has its `o_…` id as its parent.
///
/// A run lives in the session's `orchestrations` and is only touched on the session actor:
/// it is not `Sendable`, so it cannot leave the actor's region, and each step takes the
/// session as its `isolated` parameter. The session stays the one place shared state
/// changes, and a step reaches its run without looking it up by id (a child task of
/// `dispatch` looks it up once, in `Session.runSubtask`). The ledger is stored at every
/// change (`update`), so `orchestrate {resume}` continues after a restart.
final class OrchestrationRun {
    let id: String
    private(set) var ledger: OrchestrationLedger
    /// The stop under way: cancelling the run's workers, which whoever answers for it awaits.
    private var stopping: Task<Void, Never>?

    init(_ ledger: OrchestrationLedger) {
        id = ledger.id
        self.ledger = ledger
    }

    // MARK: - The steps

    /// Plans (unless it resumes a plan), runs the plan, settles the changes and synthesizes.
    func drive(_ session: isolated Session) async {
        if ledger.plan == nil {
            emitStarted(session, resumed: false)
            guard await plan(session) else { return }
        } else {
            emitStarted(session, resumed: true)
        }
        if ledger.plan?.answer != nil, let answerer = ledger.synthesis?.id {
            emit(session, .synthesis, ["workers": [], "answer": .string(answerer)])
            update(session) { $0.state = .succeeded }
            return
        }
        update(session) { $0.state = .running }
        await dispatch(session)
        guard ledger.stop == nil else { return }
        await settleChanges(session)
        await synthesize(session)
    }

    /// The planner writes the plan; an invalid one goes back to it once with the errors.
    /// Returns whether there is a plan to run.
    private func plan(_ session: isolated Session) async -> Bool {
        guard let roles = try? session.planRoles(ledger.params) else { return false }
        let maxWorkers = ledger.maxWorkers
        let planner: Worker
        do {
            planner = try await spawnWorker(session, OrchestrationPrompts.planner(
                ledger.params, roles: session.roles().roles.filter { roles.contains($0.name) }, maxWorkers: maxWorkers,
                testCommand: ProjectTestCommand.find(in: session.environment.workspaceRoot),
                schema: OrchestrationPlanning.planSchema(roles: roles, maxWorkers: maxWorkers), limits: limits(session, role: "planner")))
        } catch {
            fail(session, reason: "The planner could not start: \(Session.describe(error))")
            return false
        }
        for attempt in 1...2 {
            guard let entry = try? await session.waitUntilSettled(planner.id), ledger.stop == nil else { return false }
            guard entry.state == .succeeded, let structured = entry.result?.structured else {
                fail(session, reason: "The planner \(planner.id) ended \(entry.state.rawValue) without a plan" +
                     (entry.failure.map { " (\($0.code): \($0.message))" } ?? "") + ". Its trace shows why.")
                return false
            }
            switch OrchestrationPlanning.validate(structured, roles: roles, maxWorkers: maxWorkers, caller: ledger.params) {
            case .success(let plan):
                update(session) { ledger in
                    ledger.plan = plan
                    for subtask in plan.subtasks { ledger.subtasks[subtask.id] = .init() }
                    // A goal too small to hand off: the planner's answer is the answer.
                    if let answer = plan.answer {
                        ledger.synthesis = SynthesizeResult(id: planner.id, text: answer, structured: nil, sources: [], conflicts: [],
                                                            gaps: [], usage: entry.usage)
                    }
                }
                emit(session, .plan, ["plan": (try? JSONValue(encoding: plan)) ?? .null, "attempt": .int(Int64(attempt))])
                reportProgress(session)
                return true
            case .failure(let problems):
                let list = problems.errors.map { "- \($0)" }.joined(separator: "\n")
                guard attempt == 1 else {
                    fail(session, reason: "The plan was still invalid after one correction:\n\(list)")
                    return false
                }
                emit(session, .replan, [
                    "reason": "the plan is invalid", "errors": .array(problems.errors.map { .string($0) }),
                    "attempt": .int(Int64(attempt)), "replans": .int(Int64(ledger.replans)),
                ])
                do {
                    _ = try session.steer(SteerParams(workerId: planner.id, message: OrchestrationPrompts.invalidPlan(list)))
                } catch {
                    fail(session, reason: "The invalid plan could not go back to the planner: \(Session.describe(error))")
                    return false
                }
            }
        }
        return false
    }

    /// Runs the plan: every subtask whose `after` subtasks passed starts at once; one whose
    /// predecessor was abandoned is abandoned too. Ends when nothing runs and nothing can start.
    private func dispatch(_ session: isolated Session) async {
        let id = self.id
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while ledger.stop == nil, !Task.isCancelled {
                for subtaskId in startableSubtasks(session) {
                    move(session, subtaskId, to: .running)
                    inFlight += 1
                    group.addTask { await session.runSubtask(subtaskId, of: id) }
                }
                guard inFlight > 0, await group.next() != nil else { break }
                inFlight -= 1
            }
            await group.waitForAll()
        }
    }

    /// Pending subtasks whose predecessors all passed; pending ones behind an abandoned
    /// predecessor are abandoned here.
    private func startableSubtasks(_ session: isolated Session) -> [String] {
        var ready: [String] = []
        for (spec, entry) in ledger.planned where entry.status == .pending {
            let after = spec.after ?? []
            if let lost = after.first(where: { ledger.subtasks[$0]?.status == .abandoned }) {
                abandon(session, spec.id, reason: "it needs the result of \(lost), which was abandoned")
                return startableSubtasks(session)
            }
            if after.allSatisfy({ ledger.subtasks[$0]?.status == .passed }) { ready.append(spec.id) }
        }
        return ready
    }

    /// One subtask to its end: run, gate with `verify`, and on failure let the coordinator
    /// decide, until it passes or is abandoned (or the run stops).
    func runSubtask(_ subtaskId: String, _ session: isolated Session) async {
        enum Next { case spawn(model: String?), resume(String) }
        var next = Next.spawn(model: nil)
        while !Task.isCancelled, ledger.stop == nil, let spec = ledger.plan?.subtasks.first(where: { $0.id == subtaskId }) {
            let workerId: String
            switch next {
            case .resume(let resumed):
                workerId = resumed
            case .spawn(let model):
                if let spent = budgetSpent(session) {
                    abandon(session, subtaskId, reason: spent)
                    return
                }
                let predecessors = (spec.after ?? []).compactMap { ledger.subtasks[$0]?.attempts.last }
                do {
                    workerId = try await spawnWorker(session, SpawnParams(
                        task: spec.brief.task, inputs: spec.brief.inputs, scope: spec.brief.scope, output: spec.brief.output,
                        doNot: spec.brief.doNot, role: spec.role, model: model,
                        limits: limits(session, role: spec.role), after: predecessors), mayProposeFollowUps: true).id
                } catch {
                    abandon(session, subtaskId, reason: "its worker could not start: \(Session.describe(error))")
                    return
                }
                update(session) { $0.subtasks[subtaskId]?.attempts.append(workerId) }
                move(session, subtaskId, to: .running, workerId: workerId)
            }
            guard let entry = try? await session.waitUntilSettled(workerId), ledger.stop == nil else { return }
            guard let why = await failure(of: entry, spec: spec, session) else { return }
            update(session) { $0.subtasks[subtaskId]?.reason = why }
            guard ledger.stop == nil else { return }
            guard ledger.replans < ledger.maxReplans else {
                abandon(session, subtaskId, reason: "\(why); the replan limit (limits.maxReplans \(ledger.maxReplans)) is reached")
                return
            }
            let decision = await decide(subtaskId, why: why, session)
            guard ledger.stop == nil else { return }
            recordDecision(session, subtaskId, decision.kind, reason: decision.reason)
            switch decision.kind {
            case .abandon, .conflict, .addFollowUp, .skipFollowUp: // (the decision schema admits only the coordinator's choices)
                abandon(session, subtaskId, reason: decision.reason, decided: true)
                return
            case .retry:
                countReplan(session, subtaskId, decision)
                let feedback = decision.feedback ?? OrchestrationPrompts.retryFeedback(why: why, reason: decision.reason)
                next = (try? session.steer(SteerParams(workerId: workerId, message: feedback))) != nil ? .resume(workerId) : .spawn(model: nil)
            case .substitute:
                countReplan(session, subtaskId, decision)
                next = .spawn(model: nil)
            case .escalate:
                guard let higher = session.nextTier(above: entry.model) else {
                    abandon(session, subtaskId, reason: "\(why); escalation was decided, but model \(entry.model) is already the top tier")
                    return
                }
                countReplan(session, subtaskId, decision)
                next = .spawn(model: higher)
            }
        }
    }

    /// Gates a subtask's settled worker: nil when the subtask passed or ended here (a setup
    /// problem, a stop), or why its attempt failed, for the coordinator to decide about.
    private func failure(of entry: WorkerEntry, spec: PlanSubtask, _ session: isolated Session) async -> String? {
        let workerId = entry.id
        if let failure = entry.failure, failure.code == .commandNotFound, entry.state != .succeeded {
            abandon(session, spec.id, reason: Session.setupProblem(failure.message))
            return nil
        }
        guard entry.state == .succeeded else {
            return "its worker \(workerId) ended \(entry.state.rawValue)" + (entry.failure.map { " (\($0.code): \($0.message))" } ?? "")
        }
        let checks = OrchestrationPlanning.checks(for: spec, params: ledger.params,
                                                  roleWrites: session.config.roles[spec.role]?.permissions.write == true,
                                                  testCommand: ProjectTestCommand.find(in: session.environment.workspaceRoot))
        guard !checks.isEmpty else {
            pass(session, spec.id, verification: .unverified)
            await considerFollowUps(of: spec.id, workerId: workerId, session)
            return nil
        }
        do {
            let verified = try await session.verify(VerifyParams(workerId: workerId, checks: checks, feedback: .steer, maxRounds: 2))
            if verified.passed {
                pass(session, spec.id, verification: .passed)
                await considerFollowUps(of: spec.id, workerId: workerId, session)
                return nil
            }
            update(session) { $0.subtasks[spec.id]?.verification = .failed }
            if let missing = verified.rounds.last?.checks.first(where: { $0.code == .commandNotFound }) {
                abandon(session, spec.id, reason: Session.setupProblem(missing.summary))
                return nil
            }
            let failed = verified.rounds.last?.checks.filter { !$0.passed }.map { "\($0.kind): \($0.summary)" } ?? []
            return "its result failed its checks after \(verified.rounds.count) round(s): \(failed.joined(separator: "; "))"
        } catch {
            guard ledger.stop == nil, !Task.isCancelled else { return nil }
            return "its checks could not run: \(Session.describe(error))"
        }
    }

    /// The synthesis over every subtask that passed; abandoned ones are named in its gaps.
    private func synthesize(_ session: isolated Session) async {
        let passed = ledger.planned.filter { $0.ledger.status == .passed }.compactMap { $0.ledger.attempts.last }
        let abandoned = ledger.planned.filter { $0.ledger.status == .abandoned }
            .map { "subtask \($0.spec.id) abandoned: \($0.ledger.reason ?? "no reason given")" }
        guard !passed.isEmpty else {
            fail(session, reason: "No subtask passed, so there is nothing to synthesize.\n" + abandoned.joined(separator: "\n"))
            return
        }
        if let spent = budgetSpent(session) {
            fail(session, reason: "The synthesis did not start: \(spent). The subtasks' results are in workers.")
            return
        }
        // One subtask and no shape asked of the answer: its verified result is the answer.
        if ledger.planned.count == 1, passed.count == 1, ledger.params.output == nil, let entry = session.entries[passed[0]],
           let result = entry.result {
            let sources = [SynthesisSource(workerId: passed[0], claim: result.text)]
                + (result.sources ?? []).map { SynthesisSource(workerId: passed[0], claim: "what \(passed[0]) reported rests on it", source: $0) }
            emit(session, .synthesis, ["workers": [.string(passed[0])], "answer": .string(passed[0])])
            update(session) { ledger in
                ledger.synthesis = SynthesizeResult(id: passed[0], text: result.text, structured: result.structured, sources: sources,
                                                    conflicts: [], gaps: [], usage: entry.usage)
                ledger.state = .succeeded
            }
            return
        }
        update(session) { $0.state = .synthesizing }
        emit(session, .synthesis, ["workers": .array(passed.map { .string($0) })])
        do {
            var synthesis = try await session.synthesize(SynthesizeParams(
                workers: passed, instruction: OrchestrationPrompts.synthesis(goal: ledger.goal, abandoned: abandoned),
                output: ledger.params.output), parent: id)
            synthesis.gaps = abandoned + synthesis.gaps.filter { !abandoned.contains($0) }
            update(session) { ledger in
                ledger.synthesis = synthesis
                ledger.state = abandoned.isEmpty ? .succeeded : .partial
                if !abandoned.isEmpty { ledger.reason = abandoned.joined(separator: "\n") }
            }
        } catch {
            guard ledger.stop == nil else { return }
            fail(session, reason: "The synthesis failed: \(Session.describe(error))")
        }
    }

    /// Spawns one of the run's workers (its parent is the orchestration). One that was being
    /// stored while the run stopped is cancelled at once.
    func spawnWorker(_ session: isolated Session, _ params: SpawnParams,
                             mayProposeFollowUps: Bool = false) async throws -> Worker {
        let worker = try await session.spawn(params, parent: id, mayProposeFollowUps: mayProposeFollowUps)
        // (An interrupted one leaves it to the session's close, which interrupts it too.)
        if let stop = ledger.stop, stop.state != .interrupted, session.entries[worker.id]?.isActive == true {
            await session.end(worker.id, run: nil,
                              .cancelled(WorkerFailure(code: .cancelled, message: "Orchestration \(id) stopped: \(stop.reason)")))
        }
        return worker
    }

    // MARK: - Stopping and ending

    /// Stops the run before its end (cancel, deadline, shutdown): its queued and running
    /// workers are cancelled, and the run ends at its next step.
    func stop(_ session: isolated Session, state: OrchestrationState, reason: String) async {
        if let stopping { return await stopping.value }
        guard !ledger.state.isTerminal, ledger.stop == nil else { return }
        update(session) { $0.stop = .init(state: state, reason: reason) }
        // One task does the cancelling, so every caller (the cancel, the call's own end)
        // returns only once each worker's end is committed and sent.
        let failure = WorkerFailure(code: .cancelled, message: "Orchestration \(id) stopped: \(reason)")
        let id = self.id
        let stopping = Task { await session.cancelWorkers(of: id, failure: failure) }
        self.stopping = stopping
        await stopping.value
    }

    /// Marks a run that has not ended `interrupted`: the session is closing (its workers end
    /// `interrupted` next), or it was found running after a crash. `orchestrate {resume}`
    /// continues it.
    func interrupt(_ session: isolated Session) {
        guard !ledger.state.isTerminal else { return }
        let reason = "The server stopped while it ran. Resume it with orchestrate {resume: \"\(id)\"}."
        update(session) { ledger in
            ledger.stop = .init(state: .interrupted, reason: reason)
            ledger.state = .interrupted
            ledger.reason = reason
            ledger.endedAt = Date()
        }
        emit(session, kind: OrchestrationState.interrupted.rawValue, ["reason": .string(reason)])
    }

    /// `resume`: the run goes on from its ledger. Its plan and decisions are kept; subtasks
    /// that passed keep their workers, every other runs again on a new worker with a fresh
    /// `maxReplans`.
    func reopen(_ session: isolated Session, workDoneToken: JSONValue?) {
        ledger.state = ledger.plan == nil ? .planning : .running
        ledger.endedAt = nil
        ledger.reason = nil
        ledger.stop = nil
        ledger.synthesis = nil
        ledger.replans = 0
        if let workDoneToken { ledger.params.workDoneToken = workDoneToken }
        for (key, entry) in ledger.subtasks where entry.status != .passed {
            ledger.subtasks[key]?.status = .pending
            ledger.subtasks[key]?.reason = nil
        }
        session.stateVersion &+= 1
    }

    private func fail(_ session: isolated Session, reason: String) {
        update(session) { ledger in
            ledger.state = .failed
            ledger.reason = reason
        }
    }

    /// Commits the end: the ledger with its final state, then the terminal event and progress end.
    func finish(_ session: isolated Session) async {
        if Task.isCancelled { await stop(session, state: .cancelled, reason: "The orchestrate request was cancelled.") }
        if let stopping {
            self.stopping = nil
            await stopping.value
        }
        guard ledger.state != .interrupted else { return }
        if let stop = ledger.stop {
            ledger.state = stop.state
            ledger.reason = stop.reason
        } else if !ledger.state.isTerminal {
            ledger.state = .failed
            ledger.reason = ledger.reason ?? "The orchestration stopped before its synthesis."
        }
        ledger.endedAt = Date()
        session.stateVersion &+= 1
        let record = ledger.record(sessionId: session.id)
        do {
            try await session.store.saveOrchestration(record)
        } catch {
            session.store.submit(.orchestration(record))
        }
        var data: [String: JSONValue] = [:]
        if let reason = ledger.reason { data["reason"] = .string(reason) }
        if let synthesis = ledger.synthesis { data["synthesisId"] = .string(synthesis.id) }
        emit(session, kind: ledger.state.rawValue, .object(data))
        endProgress(session)
    }

    // MARK: - Ledger changes and events

    /// Changes the ledger and stores it.
    func update(_ session: isolated Session, _ change: (inout OrchestrationLedger) -> Void) {
        change(&ledger)
        session.stateVersion &+= 1
        session.store.submit(.orchestration(ledger.record(sessionId: session.id)))
    }

    func emit(_ session: isolated Session, _ kind: OrchestrationEventKind, _ data: JSONValue) {
        emit(session, kind: kind.rawValue, data)
    }

    /// Stores an event under the run's id with its next seq and sends it.
    private func emit(_ session: isolated Session, kind: String, _ data: JSONValue) {
        ledger.lastSeq += 1
        session.stateVersion &+= 1
        let event = EventRecord(sessionId: session.id, workerId: id, seq: ledger.lastSeq, kind: kind, at: Date(),
                                dataJSON: JSONText.string(data))
        session.store.submit(.event(event))
        session.environment.events(.orchestration(OrchestrationEvent(orchestrationId: id, seq: event.seq, kind: kind,
                                                                     at: WireTime.string(event.at), data: data)))
    }

    /// `started`, with the call's progress token: a client that sent one knows by it which
    /// orchestration is its call's before the call answers.
    private func emitStarted(_ session: isolated Session, resumed: Bool) {
        var data: [String: JSONValue] = ["goal": .string(ledger.goal)]
        if resumed { data["resumed"] = true }
        if let token = ledger.params.workDoneToken { data["workDoneToken"] = token }
        emit(session, .started, .object(data))
        guard let token = ledger.params.workDoneToken else { return }
        session.environment.events(.progress(WorkerProgress(token: token, workerId: id, stage: .begin(title: "bosun orchestrate \(id)"),
                                                            message: "planning: \(ledger.goal)", steps: 0, maxSteps: 0)))
    }
}
