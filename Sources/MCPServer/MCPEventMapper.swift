import BosunJSON
import BosunProtocol
import JSONRPC
import Synchronization

/// Maps the session's events to MCP notifications, synchronously on the session's actor
/// (it only queues): a worker's progress on the token its `tools/call` carried becomes
/// `notifications/progress`, and the end of a worker spawned as a task becomes
/// `notifications/tasks/status`. Other events have no MCP notification; `trace` has them.
final class MCPEventMapper: Sendable {
    private struct State {
        /// The last `progress` value sent per token: MCP wants it to increase every time.
        var lastProgress: [JSONValue: Double] = [:]
        /// Workers spawned as tasks on this connection, with their `createdAt`.
        var tasks: [String: String] = [:]
    }

    private let notifier: any ClientNotifier
    /// Status notifications came with tasks, in 2025-11-25.
    private let sendsTaskStatus: Bool
    private let state = Mutex(State())

    init(notifier: any ClientNotifier, sendsTaskStatus: Bool) {
        self.notifier = notifier
        self.sendsTaskStatus = sendsTaskStatus
    }

    /// From now on, the end of this worker is announced with `notifications/tasks/status`.
    func track(task worker: Worker) {
        guard sendsTaskStatus else { return }
        state.withLock { $0.tasks[worker.id] = worker.createdAt }
    }

    func map(_ event: SessionEvent) {
        switch event {
        case .progress(let progress): report(progress)
        case .worker(let event): announceEnd(of: event)
        // An orchestration reaches an MCP client as the progress of its `orchestrate` call.
        case .orchestration: break
        }
    }

    /// `begin` is 0, each report the steps taken so far, `end` the step limit; a value that
    /// would not increase is not sent (a report without a new step).
    private func report(_ progress: WorkerProgress) {
        let value: Double
        switch progress.stage {
        case .begin: value = 0
        case .report: value = Double(progress.steps)
        case .end: value = Double(max(progress.maxSteps, progress.steps))
        }
        let isEnd: Bool
        if case .end = progress.stage { isEnd = true } else { isEnd = false }
        let send = state.withLock { state -> Bool in
            if let last = state.lastProgress[progress.token], value <= last { return false }
            if isEnd { state.lastProgress[progress.token] = nil } else { state.lastProgress[progress.token] = value }
            return true
        }
        guard send else { return }
        var params: [String: JSONValue] = [
            "progressToken": progress.token, "progress": .double(value), "message": .string(progress.message),
        ]
        if progress.maxSteps > 0 { params["total"] = .double(Double(max(progress.maxSteps, progress.steps))) }
        // Only a report may be dropped for a client that is not reading: the next supersedes it.
        notifier.notify("notifications/progress", JSONValue.object(params), droppable: progress.isReport)
    }

    private func announceEnd(of event: WorkerEvent) {
        guard sendsTaskStatus, case .ended(let ending) = event.data,
              let createdAt = state.withLock({ $0.tasks.removeValue(forKey: event.workerId) }) else { return }
        let task = MCPTask(
            taskId: event.workerId, status: MCPTaskStatus.of(ending.state), statusMessage: MCPTaskStatus.message(
                ending.state, steps: ending.steps, failure: ending.error?.message),
            createdAt: createdAt, lastUpdatedAt: event.at, ttl: nil, pollInterval: MCPTaskStatus.pollIntervalMilliseconds)
        notifier.notify("notifications/tasks/status", task, droppable: false)
    }
}

extension WorkerProgress {
    var isReport: Bool {
        if case .report = stage { return true }
        return false
    }
}

/// How a worker's state reads as an MCP task status.
enum MCPTaskStatus {
    /// What bosun suggests between `tasks/get` polls.
    static let pollIntervalMilliseconds = 1000

    /// Queued and running workers are `working`, a waiting one `input_required`; a worker that ended without succeeding or
    /// being cancelled (`failed`, `timed_out`, `interrupted`) is `failed`.
    static func of(_ state: WorkerState) -> String {
        switch state {
        case .queued, .running: return "working"
        // The worker waits for an answer to its ask.
        case .waiting: return "input_required"
        case .succeeded: return "completed"
        case .cancelled: return "cancelled"
        case .failed, .timedOut, .interrupted: return "failed"
        }
    }

    static func message(_ state: WorkerState, steps: Int, failure: String?, queuePosition: Int? = nil, asks: [Ask] = []) -> String {
        switch state {
        case .queued: return "queued" + (queuePosition.map { " (position \($0))" } ?? "")
        case .running: return "running, \(steps) step\(steps == 1 ? "" : "s") so far"
        case .waiting:
            let pending = asks.map { "\($0.askId) (\($0.question))" }.joined(separator: "; ")
            return "waiting for an answer to \(pending.isEmpty ? "its ask" : pending); answer with the "
                + "\(BosunOperations.answer.info.name) tool ({askId, decision} for a permission, {askId, text} for a question)"
        case .succeeded: return "succeeded after \(steps) step\(steps == 1 ? "" : "s")"
        default: return "\(state.rawValue): \(failure ?? "no reason was recorded")"
        }
    }

    static func task(of worker: Worker) -> MCPTask {
        MCPTask(taskId: worker.id, status: of(worker.state),
                statusMessage: message(worker.state, steps: worker.steps, failure: worker.error?.message,
                                       queuePosition: worker.queuePosition, asks: worker.asks ?? []),
                createdAt: worker.createdAt, lastUpdatedAt: worker.endedAt ?? worker.startedAt ?? worker.createdAt,
                ttl: nil, pollInterval: pollIntervalMilliseconds)
    }
}
