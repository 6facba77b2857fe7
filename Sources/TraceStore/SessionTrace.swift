import Foundation

/// One session with all its workers and events, as the renderers and exporters read it.
public struct SessionTrace: Sendable {
    public var session: SessionRecord
    /// In creation order.
    public var workers: [WorkerRecord]
    /// In the order they were written.
    public var events: [EventRecord]
    /// The session's `orchestrate` calls, in creation order: their workers name them as parent.
    public var orchestrations: [OrchestrationRecord]
    /// When the trace was read: a worker still queued or running has lasted until now, not
    /// until its last stored step.
    public var readAt: Date
    /// Each worker's conversation, by worker id, when the reader asked for it (the timeline
    /// shows each model call's prompt and completion); empty otherwise.
    public var messages: [String: [MessageRecord]]

    public init(session: SessionRecord, workers: [WorkerRecord], events: [EventRecord],
                orchestrations: [OrchestrationRecord] = [], messages: [String: [MessageRecord]] = [:], readAt: Date = Date()) {
        self.session = session
        self.workers = workers
        self.events = events
        self.orchestrations = orchestrations
        self.messages = messages
        self.readAt = readAt
    }

    /// Whether any worker is still queued or running.
    public var isLive: Bool { workers.contains { !$0.isTerminal } }

    /// When the first worker was created, or the session if it has none.
    public var start: Date {
        workers.map(\.createdAt).min() ?? session.createdAt
    }

    /// The latest moment anything is known to have happened in the session.
    public var end: Date {
        let candidates = workers.flatMap { [$0.createdAt, $0.startedAt, $0.endedAt].compactMap { $0 } } + events.map(\.at)
            + (isLive ? [readAt] : [])
        return max(candidates.max() ?? session.lastOpenedAt, start)
    }

    /// When the worker's bar ends: its end; now, while it is queued or running; else (a
    /// worker left without an end) its last event, else its start.
    public func end(of worker: WorkerRecord) -> Date {
        if let ended = worker.endedAt { return ended }
        if !worker.isTerminal { return max(readAt, worker.startedAt ?? worker.createdAt) }
        let last = events.last { $0.workerId == worker.id }?.at
        return max(last ?? end, worker.startedAt ?? worker.createdAt)
    }

    public func events(of workerId: String) -> [EventRecord] {
        events.filter { $0.workerId == workerId }
    }

    /// How long the worker ran, over all its runs (a worker that is steered or verified
    /// again after it ended runs again, and its record keeps only the last run's start).
    public func runTime(of worker: WorkerRecord) -> RunTime {
        RunTime(worker: worker, events: events(of: worker.id), end: end(of: worker))
    }
}

/// A worker's running time summed over its runs: each run lasts from its `started` event to
/// the event that ended it, the last one to `end` while it still runs. Time it spent
/// waiting for answers (from `asked` to `answered`) is counted apart, not as running.
public struct RunTime: Sendable, Equatable {
    public var seconds: TimeInterval
    public var runs: Int
    public var waitingSeconds: TimeInterval

    public init(worker: WorkerRecord, events: [EventRecord], end: Date) {
        var seconds: TimeInterval = 0, runs = 0
        var runStart: Date?
        for event in events {
            if event.kind == "started" {
                if let begun = runStart { seconds += event.at.timeIntervalSince(begun) }
                runStart = event.at
                runs += 1
            } else if let begun = runStart, WorkerRecord.terminalStates.contains(event.kind) {
                seconds += event.at.timeIntervalSince(begun)
                runStart = nil
            }
        }
        if let begun = runStart { seconds += end.timeIntervalSince(begun) }
        if runs == 0 {
            seconds = end.timeIntervalSince(worker.startedAt ?? worker.createdAt)
            runs = 1
        }
        let waiting = WorkerCall.calls(in: events, end: end).filter { $0.kind == .wait }.reduce(0) { $0 + $1.duration }
        self.waitingSeconds = waiting
        self.seconds = max(seconds - waiting, 0)
        self.runs = runs
    }

    /// `4.2s`, `4.2s in 2 runs`, and `, waited 1m` when it waited for answers.
    public var text: String {
        TraceFormat.duration(seconds) + (runs > 1 ? " in \(runs) runs" : "")
            + (waitingSeconds > 0 ? ", waited \(TraceFormat.duration(waitingSeconds))" : "")
    }
}

extension TraceStore {
    /// Loads a whole session for rendering, with every worker's conversation when
    /// `withMessages`; throws `.missingSession` for an unknown id.
    public func sessionTrace(id: String, withMessages: Bool = false) async throws -> SessionTrace {
        guard let session = try await session(id: id) else { throw TraceStoreError.missingSession(id: id) }
        let workers = try await workers(sessionId: id)
        let events = try await events(sessionId: id, workerId: nil, afterSeq: nil, limit: 0)
        let orchestrations = try await orchestrations(sessionId: id)
        var messages: [String: [MessageRecord]] = [:]
        if withMessages {
            for worker in workers { messages[worker.id] = try await self.messages(workerId: worker.id) }
        }
        return SessionTrace(session: session, workers: workers, events: events, orchestrations: orchestrations, messages: messages)
    }
}

/// Text formats shared by the renderers.
enum TraceFormat {
    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    static func duration(_ seconds: TimeInterval) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        if seconds < 3600 { return "\(Int(seconds) / 60)m\(Int(seconds) % 60)s" }
        return "\(Int(seconds) / 3600)h\(Int(seconds) % 3600 / 60)m"
    }

    static func cost(_ usd: Double) -> String { String(format: "$%.4f", usd) }

    static func tokens(_ worker: WorkerRecord) -> String {
        "\(worker.inputTokens) in / \(worker.outputTokens) out"
    }

    /// The first line of `text`, cut to `limit` characters with an ellipsis.
    static func oneLine(_ text: String, limit: Int) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > limit ? String(line.prefix(limit - 1)) + "…" : line
    }
}
