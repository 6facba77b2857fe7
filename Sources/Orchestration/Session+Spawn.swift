import BosunJSON
import BosunProtocol
import Config
import Foundation
import Providers
import TraceStore
import Workers

extension Session {
    /// Validates the brief, persists the worker, then admits or queues it. With `wait`, returns
    /// once it has ended; cancelling such a request cancels the worker too.
    public func spawn(_ params: SpawnParams) async throws -> Worker {
        try await spawn(params, parent: nil)
    }

    /// `spawn`, for the client (`parent` nil) or for a worker's `spawn_worker`; an
    /// orchestration's subtask workers may propose follow-ups.
    func spawn(_ params: SpawnParams, parent: String?, mayProposeFollowUps: Bool = false) async throws -> Worker {
        guard !closing else {
            throw SessionError(code: SessionError.invalidStateCode,
                               message: "The session is shutting down and takes no new workers. Reconnect and spawn again.")
        }
        let validated = try validate(params)
        var spec = validated.spec
        if mayProposeFollowUps { spec.brief.mayProposeFollowUps = true }
        let ownApproval = try Self.approvalRules(params.approval, origin: approvalOrigin(parent: parent))
        let approval = inheritedApproval(from: parent) + (ownApproval.map { [$0] } ?? [])
        spec.approval = approval.isEmpty ? nil : approval
        try checkSessionBudget()
        let mayWait = spec.after.contains { entries[$0]?.state != .succeeded }
        let place = try reserveQueuePlace(blocked: mayWait)

        let workerId = TraceStore.makeId(prefix: "w_")
        var entry = WorkerEntry(id: workerId, sessionId: id, parentId: parent, role: validated.role,
                                model: validated.model, task: validated.task, priority: params.priority ?? 0, spec: spec)
        entry.roleTools = validated.tools
        entries[workerId] = entry
        order.append(workerId)
        do {
            // A new session's row goes with its first worker (one write, so spawns stay in order).
            try await store.insertWorker(entry.record, creating: isStored ? nil : sessionRecord)
            isStored = true
        } catch {
            scheduler.giveBack(place)
            entries[workerId] = nil
            order.removeAll { $0 == workerId }
            throw SessionError(code: SessionError.internalErrorCode, message: "The worker could not be stored: \(error)")
        }
        guard let stored = entries[workerId], stored.isActive else {
            scheduler.giveBack(place)
            return view(workerId) ?? entry.view(queuePosition: nil, includeResult: true)
        }
        entry = stored

        var failedDependency: (id: String, outcome: WorkerEnd.Outcome)?
        for dependency in spec.after {
            guard let other = entries[dependency] else { continue }
            if other.state == .succeeded { continue }
            if let end = other.phase.end {
                failedDependency = failedDependency ?? (dependency, end.outcome)
            } else {
                entry.waitingOn.insert(dependency)
                dependants[dependency, default: []].insert(workerId)
            }
        }
        entries[workerId] = entry
        scheduler.enqueue(workerId, priority: entry.priority, blocked: !entry.waitingOn.isEmpty, place: place)
        // The caller's span, which the worker's exported span links to.
        emit(workerId, .queued(position: scheduler.queuePosition(of: workerId) ?? 0, priority: entry.priority,
                               after: spec.after, traceparent: params.traceparent))
        beginProgress(workerId)
        if let failed = failedDependency {
            await end(workerId, run: nil, .failed(.dependencyFailed(failed.id, failed.outcome)))
        }
        pump()

        guard params.wait == true else {
            return view(workerId) ?? entry.view(queuePosition: nil, includeResult: true)
        }
        do {
            try await wait(for: [workerId], mode: .all, timeoutSeconds: nil)
        } catch {
            if let current = entries[workerId], !current.state.isTerminal {
                await end(workerId, run: nil,
                          .cancelled(WorkerFailure(code: .cancelled, message: "The spawn request that waited for this worker was cancelled.")))
            }
            throw error
        }
        return view(workerId) ?? entry.view(queuePosition: nil, includeResult: true)
    }

    /// Checks every field of a spawn: the worker's role, model alias, task and spec.
    private func validate(_ params: SpawnParams) throws
        -> (role: String, model: String, task: String, spec: WorkerSpec, tools: [any WorkerTool]) {
        let task = params.task.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !task.isEmpty else {
            throw SessionError.invalidParams("task", "task is empty. Say in one sentence, with an active verb, what the worker must do.")
        }
        let roleName = params.role ?? "worker"
        guard let role = config.roles[roleName] else {
            throw SessionError.unknownName("role", kind: "role", name: roleName, known: Array(config.roles.keys),
                                           hint: "Call roles to see each role's model, tools and limits.")
        }
        let modelName = params.model ?? role.model
        let model: ResolvedModel
        do {
            model = try config.resolveModel(modelName)
        } catch {
            throw SessionError.unknownName(params.model == nil ? "role" : "model", kind: "model", name: modelName,
                                           known: Array(config.models.keys) + Array(config.tiers.keys),
                                           hint: params.model == nil ? "Role \(roleName) names it; fix the role in the config." : "")
        }
        do {
            _ = try client(forProvider: model.providerName)
        } catch {
            throw SessionError(code: SessionError.unknownNameCode,
                               message: "Model \(model.alias) cannot be reached through provider \(model.providerName): \(error)",
                               data: ["field": params.model == nil ? "role" : "model", "provider": .string(model.providerName)])
        }
        if let requested = params.tools {
            let granted = Set(role.tools)
            let refused = requested.filter { !granted.contains($0) && !role.offersMCPTool($0) }
            guard refused.isEmpty else {
                throw SessionError.invalidParams("tools", """
                    Role \(roleName) does not grant \(refused.joined(separator: ", ")); it grants \
                    \(role.tools.isEmpty ? "no tools" : role.tools.joined(separator: ", ")). Ask for a subset, or use another role.
                    """)
            }
        }
        let tools: [any WorkerTool]
        do {
            tools = try environment.toolsForRole(role, params.tools)
        } catch {
            throw SessionError.invalidParams("tools", "The tools of role \(roleName) cannot be set up: \(error)")
        }
        try validateOutput(params.output)
        let limits = try Self.limits(role: role, overrides: params.limits)
        let after = params.after ?? []
        for dependency in after where entries[dependency] == nil {
            throw SessionError.unknownWorker(dependency, field: "after")
        }
        let output = params.output.map { WorkerBrief.Output(format: $0.format, schema: $0.schema) }
        let brief = WorkerBrief(task: task, inputs: params.inputs ?? [], scope: params.scope, output: output,
                                doNot: params.doNot ?? [])
        let spec = WorkerSpec(brief: brief, tools: params.tools, limits: limits, after: after,
                              workDoneToken: params.workDoneToken)
        return (roleName, model.alias, task, spec, tools)
    }

    private func validateOutput(_ output: OutputSpec?) throws {
        guard let schema = output?.schema else { return }
        guard schema.objectValue != nil else {
            throw SessionError.invalidParams("output.schema", "output.schema must be a JSON Schema object; got \(schema.typeName).")
        }
        let problems = JSONSchemaValidator.problems(inSchema: schema)
        guard problems.isEmpty else {
            let list = problems.map(\.description).joined(separator: "; ")
            throw SessionError.invalidParams("output.schema", "output.schema is not a valid JSON Schema: \(list).")
        }
        if let type = schema["type"], type != "object" {
            throw SessionError.invalidParams("output.schema", """
                output.schema must describe an object (type "object"), since it becomes the input of submit_result; \
                wrap other values in a property.
                """)
        }
    }

    /// The role's limits, with each one the spawn gives put in its place.
    static func limits(role: RoleConfig, overrides: LimitOverrides?) throws -> WorkerLimits {
        var limits = WorkerLimits(timeoutSeconds: role.timeoutSeconds, maxSteps: role.maxSteps, maxTokens: role.maxTokens,
                                  maxCostUSD: role.maxCostUSD)
        guard let overrides else { return limits }
        if let value = overrides.timeoutSeconds {
            guard value.isFinite, value > 0 else {
                throw SessionError.invalidParams("limits.timeoutSeconds", "limits.timeoutSeconds must be a positive number of seconds; got \(value).")
            }
            limits.timeoutSeconds = value
        }
        if let value = overrides.maxSteps {
            guard value > 0 else {
                throw SessionError.invalidParams("limits.maxSteps", "limits.maxSteps must be a positive integer; got \(value).")
            }
            limits.maxSteps = value
        }
        if let value = overrides.maxTokens {
            guard value > 0 else {
                throw SessionError.invalidParams("limits.maxTokens", "limits.maxTokens must be a positive integer; got \(value).")
            }
            limits.maxTokens = value
        }
        if let value = overrides.maxCostUSD {
            guard value.isFinite, value > 0 else {
                throw SessionError.invalidParams("limits.maxCostUSD", "limits.maxCostUSD must be a positive amount of USD; got \(value).")
            }
            limits.maxCostUSD = value
        }
        if let value = overrides.maxWaitSeconds {
            guard value.isFinite, value > 0 else {
                throw SessionError.invalidParams("limits.maxWaitSeconds", "limits.maxWaitSeconds must be a positive number of seconds; got \(value).")
            }
            limits.maxWaitSeconds = value
        }
        return limits
    }

    /// Refuses a new run once the session has spent its budget (`session.maxCostUSD`).
    func checkSessionBudget() throws {
        guard let limit = budget.limitUSD else { return }
        let spent = budget.spentUSD
        guard spent >= limit else { return }
        throw SessionError.budgetExhausted("session.maxCostUSD", """
            The session has spent $\(String(format: "%.4f", spent)) of its $\(limit) budget \
            (session.maxCostUSD). Raise session.maxCostUSD in the config and resume the session, or start a new one.
            """)
    }

    /// Promises a new run its place on the queue, or refuses it when the queue is full
    /// (`session.maxQueuedWorkers`). Checking and promising are one step on the actor, so
    /// spawns that arrive together are counted against each other, not all against the same
    /// queue. `blocked`: the worker may have to wait on `after` dependencies.
    func reserveQueuePlace(blocked: Bool) throws -> SessionScheduler.QueuePlace {
        let limit = config.session.maxQueuedWorkers
        guard let place = scheduler.reserveQueuePlace(blocked: blocked, limit: limit) else {
            throw SessionError.budgetExhausted("session.maxQueuedWorkers", """
                The session's queue is full (\(limit) workers waiting, session.maxQueuedWorkers). \
                Await or cancel some workers before spawning more.
                """)
        }
        return place
    }
}

extension WorkerFailure {
    static func dependencyFailed(_ dependency: String, _ outcome: WorkerEnd.Outcome) -> WorkerFailure {
        let why = outcome.failure.map { " (\($0.code): \($0.message))" } ?? ""
        return WorkerFailure(code: .dependencyFailed, message: """
            Worker \(dependency), which this worker was to run after, ended \(outcome.state.rawValue)\(why). \
            Steer or respawn \(dependency), then spawn this task again.
            """)
    }
}
