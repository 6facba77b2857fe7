import Foundation

/// Plain-text views for `bosun trace sessions` and `bosun trace show`.
public enum TraceTreeRenderer {
    /// One line per session, newest first.
    public static func sessionList(_ summaries: [SessionSummary]) -> String {
        guard !summaries.isEmpty else { return "no sessions\n" }
        var out = ""
        for summary in summaries {
            let states = summary.countsByState.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            out += "\(summary.session.id)  opened \(TraceFormat.timestamp(summary.session.lastOpenedAt))  "
            out += orchestrationOutcome(summary)
            out += "\(summary.workerCount) worker\(summary.workerCount == 1 ? "" : "s")\(states.isEmpty ? "" : " (\(states))")  "
            out += "\(summary.inputTokens + summary.outputTokens) tokens  \(TraceFormat.cost(summary.costUSD))  "
            out += "\(summary.session.workspaceRoot)\n"
        }
        return out
    }

    /// `orchestrate failed  `, or `2 orchestrations (1 failed, 1 succeeded)  `: what the
    /// session's orchestrations came to, before the workers' states, which do not tell it.
    static func orchestrationOutcome(_ summary: SessionSummary) -> String {
        let states = summary.orchestrationsByState.sorted { $0.key < $1.key }
        let count = states.reduce(0) { $0 + $1.value }
        switch count {
        case 0: return ""
        case 1: return "orchestrate \(states[0].key)  "
        default: return "\(count) orchestrations (\(states.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))  "
        }
    }

    /// The session's workers as a tree (children under the worker that spawned them).
    public static func sessionTree(_ trace: SessionTrace) -> String {
        let session = trace.session
        var out = "session \(session.id)  created \(TraceFormat.timestamp(session.createdAt))  "
        out += "cap \(session.maxConcurrentWorkers)  \(session.workspaceRoot)\n"
        // Workers nest under the worker that spawned them, and an orchestration's under it.
        let ids = Set(trace.workers.map(\.id) + trace.orchestrations.map(\.id))
        let children = Dictionary(grouping: trace.workers) { worker in
            worker.parentId.flatMap { ids.contains($0) ? $0 : nil } ?? ""
        }
        func walk(_ parent: String, prefix: String) {
            var list = (children[parent] ?? []).map { (date: $0.createdAt, id: $0.id, text: line(for: $0, in: trace)) }
            if parent.isEmpty {
                list += trace.orchestrations.map { (date: $0.createdAt, id: $0.id, text: line(for: $0)) }
                list.sort { $0.date < $1.date }
            }
            for (offset, node) in list.enumerated() {
                let last = offset == list.count - 1
                out += prefix + (last ? "└─ " : "├─ ") + node.text + "\n"
                walk(node.id, prefix: prefix + (last ? "   " : "│  "))
            }
        }
        walk("", prefix: "")
        if trace.workers.isEmpty { out += "(no workers)\n" }
        return out
    }

    /// One worker's summary followed by its events, one per line.
    /// A worker still queued or running has lasted until `readAt`.
    public static func workerDetail(_ worker: WorkerRecord, events: [EventRecord], readAt: Date = Date()) -> String {
        var out = "worker \(worker.id)  session \(worker.sessionId)\n"
        out += "  state    \(worker.state)\n  role     \(worker.role) (model \(worker.model))\n"
        out += "  task     \(worker.task)\n  steps    \(worker.steps)\n"
        out += "  tokens   \(TraceFormat.tokens(worker)), \(worker.cacheReadTokens) cache read, \(worker.cacheWriteTokens) cache write\n"
        out += "  cost     \(TraceFormat.cost(worker.costUSD))\n"
        out += "  created  \(TraceFormat.timestamp(worker.createdAt))\n"
        if let started = worker.startedAt { out += "  started  \(TraceFormat.timestamp(started))\n" }
        if let ended = worker.endedAt { out += "  ended    \(TraceFormat.timestamp(ended))\n" }
        let start = worker.startedAt ?? worker.createdAt
        let end = worker.endedAt ?? (worker.isTerminal ? events.last?.at ?? start : readAt)
        out += "  elapsed  \(RunTime(worker: worker, events: events, end: end).text)\(worker.isTerminal ? "" : " so far")\n"
        if let error = worker.errorJSON { out += "  error    \(error)\n" }
        if let result = worker.resultJSON { out += "  result   \(TraceFormat.oneLine(result, limit: 200))\n" }
        out += "events (\(events.count)):\n"
        for event in events {
            out += "  #\(event.seq)  \(TraceFormat.timestamp(event.at))  \(event.kind)  \(TraceFormat.oneLine(event.dataJSON, limit: 160))\n"
        }
        return out
    }

    /// One orchestration: its goal and state, the workers it ran, its events.
    public static func orchestrationDetail(_ orchestration: OrchestrationRecord, in trace: SessionTrace, events: [EventRecord]) -> String {
        var out = "orchestration \(orchestration.id)  session \(orchestration.sessionId)\n"
        out += "  state    \(orchestration.state)\n  goal     \(TraceFormat.oneLine(orchestration.goal, limit: 200))\n"
        out += "  created  \(TraceFormat.timestamp(orchestration.createdAt))\n"
        if let ended = orchestration.endedAt { out += "  ended    \(TraceFormat.timestamp(ended))\n" }
        let workers = trace.workers.filter { $0.parentId == orchestration.id }
        out += "workers (\(workers.count)):\n"
        for worker in workers { out += "  " + line(for: worker, in: trace) + "\n" }
        out += "events (\(events.count)):\n"
        for event in events {
            out += "  #\(event.seq)  \(TraceFormat.timestamp(event.at))  \(event.kind)  \(TraceFormat.oneLine(event.dataJSON, limit: 160))\n"
        }
        return out
    }

    static func line(for orchestration: OrchestrationRecord) -> String {
        "\(orchestration.id)  \(orchestration.state)  orchestrate  " + TraceFormat.oneLine(orchestration.goal, limit: 80)
    }

    static func line(for worker: WorkerRecord, in trace: SessionTrace) -> String {
        let duration = trace.runTime(of: worker).text
        return "\(worker.id)  \(worker.state)  \(worker.role)/\(worker.model)  \(worker.steps) steps  "
            + "\(worker.inputTokens + worker.outputTokens) tokens  \(TraceFormat.cost(worker.costUSD))  \(duration)  "
            + TraceFormat.oneLine(worker.task, limit: 60)
    }
}
