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

/// What a session holds in memory for one worker: what it is, its phase, its totals and
/// the run's bookkeeping. Its row in the store (`WorkerRecord`) is made from it in one
/// place (`record`) and read back into it in one place (`init(stored:lastSeq:)`).
struct WorkerEntry: Sendable {
    let id: String
    let sessionId: String
    /// The worker that spawned it, or the orchestration it works for.
    let parentId: String?
    let role: String
    let task: String
    let priority: Int
    let createdAt: Date
    let spec: WorkerSpec
    /// `spec` as the store keeps it, written once when it is spawned.
    let specJSON: String
    /// bosun's model alias: escalation and fallback move it up.
    var model: String
    var phase: WorkerPhase
    /// When its last run started.
    var startedAt: Date?
    /// Steps, tokens and cost over every run.
    var totals = Totals()
    var verification = Verification.unverified
    /// The seq of the worker's last event.
    var lastSeq: Int
    /// Messages stored for the worker; nil until read back from the store (resumed sessions).
    var messageCount: Int?
    /// A writing worker's layer: its review state and the paths it touched.
    var changes: Worker.Changes?
    /// Its role's tools, made when it was spawned, for each of its runs; nil for a worker read
    /// back from the store (its runs make them).
    var roleTools: [any WorkerTool]?
    /// Steer messages not yet delivered; a fresh box for each run (see `SteerInbox`).
    var inbox = SteerInbox()
    /// Counts runs (the spawn, then each resume); reports from an older run are dropped.
    var run = 0
    var loopTask: Task<Void, Never>?
    /// `after` dependencies that have not yet succeeded.
    var waitingOn: Set<String> = []
    /// Totals before the current run; the loop reports the run's own totals on top.
    var baseline = Totals()
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

    struct Totals: Sendable {
        var steps = 0
        var inputTokens = 0
        var outputTokens = 0
        var cacheReadTokens = 0
        var cacheWriteTokens = 0
        var costUSD = 0.0
    }

    /// A new worker, queued.
    init(id: String, sessionId: String, parentId: String?, role: String, model: String, task: String, priority: Int,
         spec: WorkerSpec) {
        self.id = id
        self.sessionId = sessionId
        self.parentId = parentId
        self.role = role
        self.model = model
        self.task = task
        self.priority = priority
        self.createdAt = Date()
        self.spec = spec
        specJSON = JSONText.encoded(spec) ?? "{}"
        phase = .active(.queued)
        lastSeq = 0
        messageCount = 0
    }

    /// The worker as the store keeps it, read back when a session is resumed. Throws if its
    /// spec cannot be read (then it cannot be run again).
    init(stored record: WorkerRecord, lastSeq: Int) throws {
        id = record.id
        sessionId = record.sessionId
        parentId = record.parentId
        role = record.role
        model = record.model
        task = record.task
        priority = record.priority
        createdAt = record.createdAt
        spec = try JSONValue.parse(record.briefJSON).decode(as: WorkerSpec.self)
        specJSON = record.briefJSON
        phase = WorkerPhase(stored: record)
        startedAt = record.startedAt
        totals = Totals(steps: record.steps, inputTokens: record.inputTokens, outputTokens: record.outputTokens,
                        cacheReadTokens: record.cacheReadTokens, cacheWriteTokens: record.cacheWriteTokens,
                        costUSD: record.costUSD)
        verification = Verification(rawValue: record.verification) ?? .unverified
        self.lastSeq = lastSeq
    }

    /// Its row in the store. While it is ending this is the state it ends from: the end
    /// reaches the store with its event (`Session.end`).
    var record: WorkerRecord {
        let end = phase.end
        return WorkerRecord(id: id, sessionId: sessionId, parentId: parentId, role: role, model: model,
                            state: phase.state.rawValue, task: task, briefJSON: specJSON, priority: priority,
                            createdAt: createdAt, startedAt: startedAt, endedAt: end?.at, steps: totals.steps,
                            inputTokens: totals.inputTokens, outputTokens: totals.outputTokens,
                            cacheReadTokens: totals.cacheReadTokens, cacheWriteTokens: totals.cacheWriteTokens,
                            costUSD: totals.costUSD, resultJSON: end?.outcome.result == nil ? nil : end?.json,
                            errorJSON: end?.outcome.failure == nil ? nil : end?.json,
                            verification: verification.rawValue)
    }

    var state: WorkerState { phase.state }

    /// What it is doing while it lives; nil once its end has begun.
    var activity: WorkerPhase.Activity? { phase.activity }

    /// Alive, and not ending: it may still run, be cancelled or end.
    var isActive: Bool { phase.activity != nil }

    /// Terminal, and committed as such.
    var hasEnded: Bool { phase.end != nil }

    var result: WorkerResult? { phase.end?.outcome.result }
    var failure: WorkerFailure? { phase.end?.outcome.failure }

    /// Whether reports of run `run` still count: it is the current run, running, not ending.
    func isCurrent(run: Int) -> Bool {
        self.run == run && phase.activity == .running
    }

    /// Takes the next seq for its terminal event: typed for the front end, and as stored, its
    /// data written around `end`'s text as it is.
    mutating func endEvent(_ end: WorkerEnd) -> (data: WorkerEventData, record: EventRecord) {
        lastSeq += 1
        let outcome = end.outcome
        let data = WorkerEventData.ended(.init(state: outcome.state, steps: totals.steps, costUSD: totals.costUSD,
                                               result: outcome.result, error: outcome.failure,
                                               writtenOutcome: WrittenOutcome(end.json)))
        let record = EventRecord(sessionId: sessionId, workerId: id, seq: lastSeq, kind: data.kind.rawValue, at: end.at,
                                 dataJSON: end.eventJSON(steps: totals.steps, costUSD: totals.costUSD))
        return (data, record)
    }

    /// Sets the totals from the current run's own (steps, usage, cost) on top of the baseline.
    mutating func apply(steps: Int, usage: Usage, costUSD: Double) {
        totals.steps = baseline.steps + steps
        totals.inputTokens = baseline.inputTokens + usage.inputTokens
        totals.outputTokens = baseline.outputTokens + usage.outputTokens
        totals.cacheReadTokens = baseline.cacheReadTokens + usage.cacheReadTokens
        totals.cacheWriteTokens = baseline.cacheWriteTokens + usage.cacheWriteTokens
        totals.costUSD = baseline.costUSD + costUSD
    }

    var usage: WorkerUsage {
        WorkerUsage(inputTokens: totals.inputTokens, outputTokens: totals.outputTokens,
                    cacheReadTokens: totals.cacheReadTokens, cacheWriteTokens: totals.cacheWriteTokens,
                    costUSD: totals.costUSD)
    }

    /// The protocol's view; `queuePosition` comes from the scheduler.
    /// The worker as the whole-session `status` lists it: no result, the task cut short.
    func summary(queuePosition: Int?) -> Worker {
        var worker = view(queuePosition: queuePosition, includeResult: false)
        worker.task = Worker.summaryTask(worker.task)
        return worker
    }

    /// An ended worker's view carries its outcome's text as written when it ended, which
    /// the answers write as it is (`StatusResult.writtenJSON`, `AwaitResult.writtenJSON`).
    func view(queuePosition: Int?, includeResult: Bool) -> Worker {
        let state = phase.state
        let end = phase.end
        var worker = Worker(id: id, role: role, model: model, state: state, task: task,
                            createdAt: WireTime.string(createdAt), startedAt: startedAt.map(WireTime.string),
                            endedAt: end.map { WireTime.string($0.at) }, steps: totals.steps, usage: usage,
                            queuePosition: state == .queued ? queuePosition : nil, after: spec.after.isEmpty ? nil : spec.after,
                            priority: priority == 0 ? nil : priority, parent: parentId, verification: verification,
                            result: includeResult ? end?.outcome.result : nil, changes: changes,
                            asks: pendingAsks.isEmpty ? nil : pendingAsks, waitedMs: waitedMs > 0 ? waitedMs : nil,
                            error: end?.outcome.failure)
        worker.writtenOutcome = WrittenOutcome(end?.json)
        return worker
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
