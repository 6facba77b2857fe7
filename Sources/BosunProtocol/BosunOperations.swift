import BosunJSON

/// Every operation a session offers, in the order front ends list them. This table is the
/// one description of the session's operations: bosun/1 registers each as a method
/// (`capabilities.methods`), MCP lists each as a tool, tests check `protocol/methods.json`,
/// the schema file and the docs against it.
///
/// Adding an operation: a requirement on `SessionOperations` (implemented by `Session`),
/// its params and result types, `<name>.params`/`<name>.result` in
/// protocol/bosun-1.schema.json, one entry here, and `implemented: true` in methods.json.
/// Front ends need no change.
public enum BosunOperations {
    public static let all: [any SessionOperation] = [spawn, steer, cancel, awaitWorkers, status, trace, roles,
                                                       verify, synthesize, orchestrate, changes, apply, discard, answer]

    /// The operation called `name`, if this build has it.
    public static func named(_ name: String) -> (any SessionOperation)? {
        all.first { $0.info.name == name }
    }

    public static let spawn = Operation<SpawnParams, Worker>(OperationInfo(
        name: "spawn", title: "Spawn a worker",
        summary: "Start a worker on a brief.",
        description: """
            Start a worker agent on one task. Write the brief: task (one sentence, active verb), inputs (files \
            or URLs it should read), scope (what to touch and not), output (the format, or a JSON Schema its \
            result must match), doNot (what to avoid). role picks its tools and limits (see roles); limits \
            override them. Returns the worker at once (queued or running); with wait: true, once it has ended. \
            Then await it, and verify its result before relying on it.
            """,
        readOnly: false, opensWorld: true)
    ) { session, params, context in
        var params = params
        if let token = context.progressToken { params.workDoneToken = token }
        params.traceparent = context.traceparent
        return try await session.spawn(params)
    }

    public static let steer = Operation<SteerParams, SteerResult>(OperationInfo(
        name: "steer", title: "Steer a worker",
        summary: "Send a running or finished worker a message.",
        description: """
            Send a worker a correction or a follow-up. A queued or running worker reads it before its next \
            step; one that ended (except cancelled) resumes its own conversation with it. Await it again for \
            the new result.
            """,
        readOnly: false, opensWorld: true)
    ) { session, params, _ in try await session.steer(params) }

    public static let cancel = Operation<CancelParams, CancelResult>(OperationInfo(
        name: "cancel", title: "Cancel workers",
        summary: "Cancel workers.",
        description: """
            Stop one worker (workerId) or every queued and running one (all: true), with an optional reason. \
            Cancelled workers keep their trace and cannot be steered.
            """,
        readOnly: false)
    ) { session, params, _ in try await session.cancel(params) }

    /// Answers with the result written as the wire carries it, each worker's outcome as the
    /// session wrote it when the worker ended (`AwaitResult.writtenJSON`).
    public static let awaitWorkers = Operation<AwaitParams, EncodedJSON>(OperationInfo(
        name: "await", title: "Wait for workers",
        summary: "Wait for workers to finish.",
        description: """
            Wait until all (mode all, the default) or any (mode any) of the given workers have ended, or \
            timeoutSeconds passes; without workers, every worker of the session. Returns the finished workers \
            with their results and the ids still pending.
            """,
        readOnly: true)
    ) { session, params, _ in try await session.awaitWorkers(params).writtenJSON() }

    public static let status = Operation<StatusParams, EncodedJSON>(OperationInfo(
        name: "status", title: "Session or worker status",
        summary: "One worker, or the session summary.",
        description: """
            With workerId, that worker: state, steps, usage, result or error. Without, the session: counts per \
            state, total usage and cost, and every worker without its result.
            """,
        readOnly: true),
        atOnce: { session, params in session.readyStatusJSON(params) }
    ) { session, params, _ in try await session.statusJSON(params) }

    public static let trace = Operation<TraceParams, TraceResult>(OperationInfo(
        name: "trace", title: "Read worker events",
        summary: "Read stored worker events.",
        description: """
            The stored events of one worker (workerId) or of the session, oldest first: state changes, model \
            calls, text, tool calls and results. Page with afterSeq and limit. Use it to see why a worker failed.
            """,
        readOnly: true)
    ) { session, params, _ in try await session.trace(params) }

    public static let roles = Operation<NoParams, RolesResult>(OperationInfo(
        name: "roles", title: "List worker roles",
        summary: "List the configured roles.",
        description: """
            The roles a worker can be spawned with: each one's model, tools, permissions and limits. Pick the \
            smallest role whose tools fit the task.
            """,
        readOnly: true)
    ) { session, _, _ in await session.roles() }

    public static let verify = Operation<VerifyParams, VerifyResult>(OperationInfo(
        name: "verify", title: "Verify a worker's result",
        summary: "Run deterministic checks on a worker's result.",
        description: """
            Check a worker's work yourself instead of trusting its claims: checks are schema (its structured \
            result against a JSON Schema), command (argv run in the workspace sandbox, expectExitCode), files \
            (exist, nonEmpty, contains), judge (an evaluator model with a rubric) and git-sync. Waits for a \
            running worker. feedback: "steer" sends failures back to the worker and checks again, up to \
            maxRounds; escalate: true resumes a still-failing worker one model tier up. Returns passed and \
            every round's outcomes.
            """,
        readOnly: false, opensWorld: true)
    ) { session, params, _ in try await session.verify(params) }

    public static let synthesize = Operation<SynthesizeParams, SynthesizeResult>(OperationInfo(
        name: "synthesize", title: "Synthesize workers' results",
        summary: "Merge several workers' results into one answer.",
        description: """
            Combine the results of several workers into one answer following instruction, on a synthesizer \
            worker of its own. Waits for running workers. Returns the text (and structured, given \
            output.schema), sources naming which worker supports each claim, conflicts where workers \
            disagree, and gaps (failed workers, missing parts). requireAll refuses when a worker failed.
            """,
        readOnly: false)
    ) { session, params, _ in try await session.synthesize(params) }

    public static let orchestrate = Operation<OrchestrateParams, OrchestrateResult>(OperationInfo(
        name: "orchestrate", title: "Orchestrate a goal",
        summary: "Plan a goal, run the plan on workers, verify, recover, synthesize.",
        description: """
            Hand bosun a whole goal: its orchestrator model writes a plan of subtasks (each a brief for a role, \
            with after dependencies), bosun runs them as workers in parallel under the session's cap, checks each \
            with verify (checks apply to every subtask), decides about failures (retry with feedback, substitute, \
            escalate a tier, or abandon with a reason, at most limits.maxReplans times) and synthesizes one answer. \
            Returns the plan, every worker, each subtask's outcome, the decisions and the synthesis; state partial \
            names what was abandoned. Slow: minutes. Cancel it with cancel {workerId: its o_ id}.
            """,
        readOnly: false, opensWorld: true)
    ) { session, params, context in
        var params = params
        if let token = context.progressToken { params.workDoneToken = token }
        return try await session.orchestrate(params)
    }

    public static let changes = Operation<ChangesParams, ChangesResult>(OperationInfo(
        name: "changes", title: "Review a worker's changes",
        summary: "The files a writing worker changed, with a unified diff.",
        description: """
            A worker whose role writes works in a layer of its own: the workspace does not change until you \
            apply. changes shows what one worker (workerId) or every subtask of an orchestration \
            (orchestrationId) changed: each file with its status (added, modified, deleted) and line counts, \
            what it was based on, and a unified diff; files .gitignore ignores are listed apart (ignored). \
            Review it, then apply or discard.
            """,
        readOnly: true)
    ) { session, params, _ in try await session.changes(params) }

    public static let apply = Operation<ApplyParams, ApplyResult>(OperationInfo(
        name: "apply", title: "Apply a worker's changes",
        summary: "Write a writing worker's changes into the workspace.",
        description: """
            Write a finished worker's changes (or an orchestration's, subtask by subtask in plan order) into the \
            workspace; paths picks some of its files (the rest keeps waiting; ignored files land only when \
            named). All or nothing per worker: a file the user also changed \
            since the worker started is merged when the changes touch different lines, and is a conflict \
            otherwise; on any conflict nothing of that worker is written and its conflicts say why.
            """,
        readOnly: false)
    ) { session, params, _ in try await session.apply(params) }

    public static let discard = Operation<DiscardParams, DiscardResult>(OperationInfo(
        name: "discard", title: "Discard a worker's changes",
        summary: "Throw a writing worker's changes away.",
        description: """
            Throw away what a finished worker (or every subtask of an orchestration) changed in its layer; the \
            workspace stays as it is. Returns the files that were discarded.
            """,
        readOnly: false)
    ) { session, params, _ in try await session.discard(params) }

    public static let answer = Operation<AnswerParams, AnswerResult>(OperationInfo(
        name: "answer", title: "Answer a worker's ask",
        summary: "Answer a waiting worker's ask: a permission decision or a question's text.",
        description: """
            A worker that asked waits (state waiting) until someone answers. A permission ask (kind permission: \
            may it make this tool call?) takes decision allow, allow_always (also for the rest of the session) \
            or deny, with optional text the worker reads; a question takes text (an option's id when it offers \
            options), or decision deny to decline. status lists a worker's pending asks; worker/event asked \
            announces each.
            """,
        readOnly: false)
    ) { session, params, _ in try await session.answer(params) }
}
