import BosunJSON
import BosunProtocol
import Config
import Foundation
import Providers
import Synchronization
import TraceStore
import Workers

/// Everything needed to run a worker again, kept in the store as the record's `briefJSON`
/// so a worker can be resumed by `steer` from another process after a restart.
struct WorkerSpec: Codable, Sendable {
    var brief: WorkerBrief
    /// The tools the spawn asked for; nil means every tool of the role.
    var tools: [String]?
    var limits: WorkerLimits
    var after: [String]
    var workDoneToken: JSONValue?
    /// Approval rules on top of the role's: its ancestors' and its spawn's (`Session+Approval`).
    var approval: [ApprovalRules]?
}

/// What a session holds in memory for one worker. The record is the last state committed
/// or queued for commit; `ending` marks a terminal state on its way to the store, during
/// which the worker accepts no other transition.
struct WorkerEntry: Sendable {
    var record: WorkerRecord
    var spec: WorkerSpec
    /// The seq of the worker's last event.
    var lastSeq: Int
    /// Messages stored for the worker; nil until read back from the store (resumed sessions).
    var messageCount: Int?
    /// A writing worker's layer: its review state and the paths it touched.
    var changes: Worker.Changes?
    /// Steer messages not yet delivered; a fresh box for each run (see `SteerInbox`).
    var inbox = SteerInbox()
    /// Counts runs (the spawn, then each resume); reports from an older run are dropped.
    var run = 0
    var loopTask: Task<Void, Never>?
    /// `after` dependencies that have not yet succeeded.
    var waitingOn: Set<String> = []
    /// Totals before the current run; the loop reports the run's own totals on top.
    var baseline = Baseline()
    var ending = false
    /// What the role's retry and fallback settings have spent on this worker; made at the
    /// first run that ends badly.
    var recovery: WorkerRecovery?
    /// A parent back from `await_workers`, or a worker back from an ask, waiting for `launch`
    /// to give it a slot again.
    var slotWaiter: CheckedContinuation<Void, Never>?
    /// Its asks still waiting for an answer (see `Session+Asks`).
    var pendingAsks: [Ask] = []
    /// Milliseconds it spent waiting for answers, over every run.
    var waitedMs = 0
    /// While it waits for an answer: what was left of its run's timeout when it asked.
    var pausedTimeout: (left: Double, timeoutSeconds: Double)?
    /// The tool call its loop is running, which an ask made now belongs to.
    var currentToolCallId: String?
    /// Answers to asks of a run that stopped (the server restarted while it waited), by the
    /// tool call they answer: its next run starts with them as those calls' results.
    var resumeAnswers: [String: String] = [:]

    struct Baseline: Sendable {
        var steps = 0
        var inputTokens = 0
        var outputTokens = 0
        var cacheReadTokens = 0
        var cacheWriteTokens = 0
        var costUSD = 0.0
    }

    var state: WorkerState { WorkerState(rawValue: record.state) ?? .interrupted }

    /// Terminal, and committed as such.
    var hasEnded: Bool { state.isTerminal && !ending }

    /// Whether reports of run `run` still count: it is the current run, running, not ending.
    func isCurrent(run: Int) -> Bool {
        self.run == run && !ending && record.state == WorkerState.running.rawValue
    }

    /// Sets the record's totals from the current run's own (steps, usage, cost) on top of the baseline.
    mutating func apply(steps: Int, usage: Usage, costUSD: Double) {
        record.steps = baseline.steps + steps
        record.inputTokens = baseline.inputTokens + usage.inputTokens
        record.outputTokens = baseline.outputTokens + usage.outputTokens
        record.cacheReadTokens = baseline.cacheReadTokens + usage.cacheReadTokens
        record.cacheWriteTokens = baseline.cacheWriteTokens + usage.cacheWriteTokens
        record.costUSD = baseline.costUSD + costUSD
    }

    var usage: WorkerUsage {
        WorkerUsage(inputTokens: record.inputTokens, outputTokens: record.outputTokens,
                    cacheReadTokens: record.cacheReadTokens, cacheWriteTokens: record.cacheWriteTokens,
                    costUSD: record.costUSD)
    }

    /// The outcome, typed: set beside the record's JSON text when the end is committed
    /// (`Session.end`), read from that text once when a resumed session loads the worker
    /// (`readOutcome`), so `status` and `await` never parse it again.
    var result: WorkerResult?
    var failure: WorkerFailure?

    /// Reads the outcome from the record's JSON text, as the store gave it back.
    mutating func readOutcome() {
        result = record.resultJSON.flatMap { try? JSONValue.parse($0).decode(as: WorkerResult.self) }
        failure = record.errorJSON.flatMap { try? JSONValue.parse($0).decode(as: WorkerFailure.self) }
    }

    /// The protocol's view; `queuePosition` comes from the scheduler.
    /// The worker as the whole-session `status` lists it: no result, the task cut short.
    func summary(queuePosition: Int?) -> Worker {
        var worker = view(queuePosition: queuePosition, includeResult: false)
        worker.task = Worker.summaryTask(worker.task)
        return worker
    }

    func view(queuePosition: Int?, includeResult: Bool) -> Worker {
        Worker(id: record.id, role: record.role, model: record.model, state: state, task: record.task,
               createdAt: WireTime.string(record.createdAt), startedAt: record.startedAt.map(WireTime.string),
               endedAt: record.endedAt.map(WireTime.string), steps: record.steps, usage: usage,
               queuePosition: state == .queued ? queuePosition : nil, after: spec.after.isEmpty ? nil : spec.after,
               priority: record.priority == 0 ? nil : record.priority, parent: record.parentId,
               verification: Verification(rawValue: record.verification) ?? .unverified,
               result: includeResult ? result : nil, changes: changes, asks: pendingAsks.isEmpty ? nil : pendingAsks,
               waitedMs: waitedMs > 0 ? waitedMs : nil, error: failure)
    }
}

/// Steer messages waiting for a worker's next model call. The session adds to it and the
/// running loop takes from it directly, so a step never waits on the actor to read it. Each
/// run gets its own box holding what the last one left, so a run that is being stopped
/// cannot take a message meant for the next.
final class SteerInbox: Sendable {
    private let messages: Mutex<[String]>

    init(_ messages: [String] = []) { self.messages = Mutex(messages) }

    func add(_ message: String) { messages.withLock { $0.append(message) } }

    func takeAll() -> [String] {
        messages.withLock { box in
            defer { box = [] }
            return box
        }
    }

    var isEmpty: Bool { messages.withLock { $0.isEmpty } }
}
