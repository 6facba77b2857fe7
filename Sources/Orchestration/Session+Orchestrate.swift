import BosunJSON
import BosunProtocol
import Foundation
import TraceStore
import Workers

/// `orchestrate`: bosun as the orchestrator. The entry point checks the params, makes the
/// run (an `OrchestrationRun`, or the stored one `resume` names) and drives it under the
/// call's deadline and cancellation; the run plans, dispatches, decides and synthesizes.
extension Session {
    public func orchestrate(_ params: OrchestrateParams) async throws -> OrchestrateResult {
        guard !closing else {
            throw SessionError(code: SessionError.invalidStateCode,
                               message: "The session is shutting down and starts nothing new. Reconnect and orchestrate again.")
        }
        let run = try params.resume.map { try reopenOrchestration($0, params: params) } ?? startOrchestration(params)
        let id = run.id
        let deadline = run.ledger.params.limits?.timeoutSeconds.map { seconds in
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
            await run.drive(self)
        } onCancel: {
            Task { await self.stopOrchestration(id, state: .cancelled, reason: "The orchestrate request was cancelled.") }
        }
        deadline?.cancel()
        await run.finish(self)
        try Task.checkCancellation()
        return run.result(self)
    }

    // MARK: - Starting and resuming

    private func startOrchestration(_ params: OrchestrateParams) throws -> OrchestrationRun {
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
        let run = OrchestrationRun(OrchestrationLedger(id: TraceStore.makeId(prefix: "o_"), params: stored, state: .planning,
                                                       createdAt: Date()))
        orchestrations[run.id] = run
        orchestrationOrder.append(run.id)
        return run
    }

    /// `resume`: an orchestration that ended without succeeding (interrupted by a restart,
    /// cancelled, failed, partial) goes on from its ledger (`OrchestrationRun.reopen`).
    private func reopenOrchestration(_ id: String, params: OrchestrateParams) throws -> OrchestrationRun {
        guard let run = orchestrations[id] else {
            if let why = unreadableLedgers[id] {
                throw SessionError(code: SessionError.invalidStateCode, message: "Orchestration \(id) cannot be resumed: \(why)",
                                   data: ["field": "resume"])
            }
            throw SessionError.invalidParams("resume", """
                There is no orchestration \(id) in this session. Resume the session it belongs to \
                (initializationOptions.session), or leave out resume to start a new one.
                """)
        }
        let state = run.ledger.state
        guard state.isTerminal, state != .succeeded else {
            let why = state == .succeeded ? "it succeeded; start a new orchestrate for another goal"
                : "it is still running; wait for it, or cancel it first"
            throw SessionError(code: SessionError.invalidStateCode, message: "Orchestration \(id) cannot be resumed: \(why).",
                               data: ["field": "resume", "state": .string(state.rawValue)])
        }
        try checkSessionBudget()
        run.reopen(self, workDoneToken: params.workDoneToken)
        return run
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

    // MARK: - What the run asks of the session

    /// A child task of `OrchestrationRun.dispatch`: one subtask of run `id` to its end.
    func runSubtask(_ subtaskId: String, of id: String) async {
        await orchestrations[id]?.runSubtask(subtaskId, self)
    }

    /// Ends every queued and running worker of orchestration `id` with `failure`.
    func cancelWorkers(of id: String, failure: WorkerFailure) async {
        for workerId in order where entries[workerId]?.parentId == id {
            guard entries[workerId]?.isActive == true else { continue }
            await end(workerId, run: nil, .cancelled(failure))
        }
    }

    /// Why a subtask stops at once when a program it needs is missing: no retry, substitute or
    /// escalation can install it, so the coordinator is not asked.
    static func setupProblem(_ message: String) -> String {
        "\(FailureCode.commandNotFound): \(message) Stopped without a retry: no worker can fix the setup."
    }

    static func describe(_ error: any Error) -> String {
        (error as? SessionError)?.message ?? "\(error)"
    }

    // MARK: - Stopping

    /// Stops an orchestration that has not ended (cancel, deadline, shutdown): its queued and
    /// running workers are cancelled, and its run ends at the next step.
    func stopOrchestration(_ id: String, state: OrchestrationState, reason: String) async {
        await orchestrations[id]?.stop(self, state: state, reason: reason)
    }

    /// Stops every orchestration still running (`cancel {all}`, the session closing).
    func stopAllOrchestrations(state: OrchestrationState, reason: String) async {
        for id in orchestrationOrder {
            guard let run = orchestrations[id], !run.ledger.state.isTerminal else { continue }
            await run.stop(self, state: state, reason: reason)
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
        for id in orchestrationOrder { orchestrations[id]?.interrupt(self) }
    }
}
