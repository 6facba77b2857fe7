import BosunJSON

/// Receives a session's events. Called on the session's actor in the order things happen,
/// so it must not block: it maps the event and queues it for its client.
public typealias SessionEventSink = @Sendable (SessionEvent) -> Void

/// What a session tells its front end as it happens. Each front end maps these to its own
/// wire (bosun/1: `BosunNotification`; MCP: progress and task status notifications).
///
/// Ordering: a worker's terminal event is sent before any `await` that reports that state
/// wakes, so a client never reads an answer about a state before the event of that state.
public enum SessionEvent: Sendable, Hashable {
    /// A worker event exactly as the trace stores it and `trace` returns it: state changes
    /// (`queued`, `started`, the terminal states), steps (`model_call`), text, tool calls
    /// and results, retries, steers, with their typed data.
    case worker(WorkerEvent)
    /// Progress of a worker whose spawn carried a progress token, or of an orchestration
    /// whose `orchestrate` did (then `workerId` is its `o_…` id and `steps` counts subtasks).
    case progress(WorkerProgress)
    /// An orchestration's plan, subtasks, decisions and end, as the trace stores them.
    case orchestration(OrchestrationEvent)

    /// Whether a front end may drop it while its client is not reading: a worker event that
    /// is not terminal (the trace has it), a progress report (the next one supersedes it).
    /// Terminal events and progress begin/end are never dropped.
    public var isDroppable: Bool {
        switch self {
        case .worker(let event):
            // An ask waits for someone to hear of it, and its answer ends a wait: never dropped.
            return !event.isTerminal && event.kind != .asked && event.kind != .answered
        case .progress(let progress):
            if case .report = progress.stage { return true }
            return false
        case .orchestration:
            // Few, and what a client draws its plan from: never dropped.
            return false
        }
    }
}

extension SessionEvent {
    /// A worker's ask and who it went to, when this event announces one.
    public var ask: (ask: Ask, to: AskRoute)? {
        guard case .worker(let event) = self, case .asked(let ask, let route, _) = event.data else { return nil }
        return (ask, route)
    }

    /// An ask's answer, when this event announces one.
    public var answer: AskAnswer? {
        guard case .worker(let event) = self, case .answered(let answer) = event.data else { return nil }
        return answer
    }
}

extension WorkerEvent {
    /// The state this event ends the worker in, if it is a terminal event.
    public var terminalState: WorkerState? { kind.terminalState }

    public var isTerminal: Bool { terminalState != nil }
}

/// One progress report of a worker, on the token its spawn carried (bosun/1's
/// `workDoneToken`, MCP's `_meta.progressToken`).
public struct WorkerProgress: Sendable, Hashable {
    public enum Stage: Sendable, Hashable {
        /// Once, when the worker is queued (again, when a steer resumes it).
        case begin(title: String)
        case report
        /// Once per run, with the terminal state.
        case end(WorkerState)
    }

    public var token: JSONValue
    public var workerId: String
    public var stage: Stage
    /// What is happening now, for a person (`step 2 of 30`, `running read_file`).
    public var message: String
    /// Steps taken, and the step limit of the run: a monotone progress count and its total.
    public var steps: Int
    public var maxSteps: Int

    public init(token: JSONValue, workerId: String, stage: Stage, message: String, steps: Int, maxSteps: Int) {
        self.token = token
        self.workerId = workerId
        self.stage = stage
        self.message = message
        self.steps = steps
        self.maxSteps = maxSteps
    }
}
