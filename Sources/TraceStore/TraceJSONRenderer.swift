import Foundation

/// `bosun trace sessions --json` and `bosun trace show --json`: the same views as
/// `TraceTreeRenderer`, as one JSON document each, for scripts and editor plugins. Workers
/// have the shape of `trace export`'s worker lines plus `elapsedSeconds` (summed over its
/// `runs`), which for a worker still queued or running counts up to the moment the trace was read.
public enum TraceJSONRenderer {
    /// `{"sessions": [...]}`, most recently opened first.
    public static func sessionList(_ summaries: [SessionSummary]) -> String {
        let sessions = summaries.map { summary -> [String: Any] in
            var object = sessionObject(summary.session)
            object["workers"] = summary.workerCount
            object["counts"] = summary.countsByState
            object["orchestrations"] = summary.orchestrationsByState
            object["usage"] = ["inputTokens": summary.inputTokens, "outputTokens": summary.outputTokens, "costUSD": summary.costUSD]
            return object
        }
        return JSONLExporter.encode(["sessions": sessions], pretty: true) + "\n"
    }

    /// `{"session": {...}, "workers": [...]}`, workers in creation order with `parentId`.
    public static func sessionTree(_ trace: SessionTrace) -> String {
        let workers = trace.workers.map { workerObject($0, in: trace) }
        return JSONLExporter.encode(["session": sessionObject(trace.session), "workers": workers], pretty: true) + "\n"
    }

    /// `{"worker": {...}, "events": [...]}`.
    public static func workerDetail(_ worker: WorkerRecord, events: [EventRecord], readAt: Date = Date()) -> String {
        let trace = SessionTrace(session: SessionRecord(id: worker.sessionId, createdAt: worker.createdAt, lastOpenedAt: worker.createdAt,
                                                        workspaceRoot: "", maxConcurrentWorkers: 0),
                                 workers: [worker], events: events, readAt: readAt)
        let eventObjects = events.map { event -> [String: Any] in
            ["seq": event.seq, "kind": event.kind, "at": TraceFormat.timestamp(event.at), "data": JSONLExporter.embedded(event.dataJSON)]
        }
        return JSONLExporter.encode(["worker": workerObject(worker, in: trace), "events": eventObjects], pretty: true) + "\n"
    }

    /// `{"orchestration": {..., "ledger": {...}}, "workers": [...], "events": [...]}`.
    public static func orchestrationDetail(_ orchestration: OrchestrationRecord, in trace: SessionTrace, events: [EventRecord]) -> String {
        var object: [String: Any] = ["id": orchestration.id, "sessionId": orchestration.sessionId, "goal": orchestration.goal,
                                     "state": orchestration.state, "createdAt": TraceFormat.timestamp(orchestration.createdAt),
                                     "ledger": JSONLExporter.embedded(orchestration.ledgerJSON)]
        if let ended = orchestration.endedAt { object["endedAt"] = TraceFormat.timestamp(ended) }
        let workers = trace.workers.filter { $0.parentId == orchestration.id }.map { workerObject($0, in: trace) }
        let eventObjects = events.map { event -> [String: Any] in
            ["seq": event.seq, "kind": event.kind, "at": TraceFormat.timestamp(event.at), "data": JSONLExporter.embedded(event.dataJSON)]
        }
        return JSONLExporter.encode(["orchestration": object, "workers": workers, "events": eventObjects], pretty: true) + "\n"
    }

    static func sessionObject(_ session: SessionRecord) -> [String: Any] {
        ["id": session.id, "createdAt": TraceFormat.timestamp(session.createdAt),
         "lastOpenedAt": TraceFormat.timestamp(session.lastOpenedAt), "workspaceRoot": session.workspaceRoot,
         "maxConcurrentWorkers": session.maxConcurrentWorkers]
    }

    static func workerObject(_ worker: WorkerRecord, in trace: SessionTrace) -> [String: Any] {
        var object = JSONLExporter.object(for: worker)
        object["type"] = nil
        let runTime = trace.runTime(of: worker)
        object["elapsedSeconds"] = runTime.seconds
        object["runs"] = runTime.runs
        if runTime.waitingSeconds > 0 { object["waitedSeconds"] = runTime.waitingSeconds }
        return object
    }
}
