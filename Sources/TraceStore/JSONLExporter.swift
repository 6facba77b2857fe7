import Foundation

/// `bosun trace export --format jsonl`: one JSON object per line — the session, then each
/// worker, then each event — with the stored JSON fields embedded as JSON, not as strings.
public enum JSONLExporter {
    public static func export(_ trace: SessionTrace) -> String {
        var lines: [String] = []
        let session = trace.session
        lines.append(encode([
            "type": "session", "id": session.id, "createdAt": TraceFormat.timestamp(session.createdAt),
            "lastOpenedAt": TraceFormat.timestamp(session.lastOpenedAt), "workspaceRoot": session.workspaceRoot,
            "maxConcurrentWorkers": session.maxConcurrentWorkers,
        ]))
        for worker in trace.workers {
            lines.append(encode(object(for: worker)))
        }
        for event in trace.events {
            lines.append(encode([
                "type": "event", "sessionId": event.sessionId, "workerId": event.workerId, "seq": event.seq,
                "kind": event.kind, "at": TraceFormat.timestamp(event.at), "data": embedded(event.dataJSON),
            ]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func object(for worker: WorkerRecord) -> [String: Any] {
        let usage: [String: Any] = [
            "inputTokens": worker.inputTokens, "outputTokens": worker.outputTokens,
            "cacheReadTokens": worker.cacheReadTokens, "cacheWriteTokens": worker.cacheWriteTokens, "costUSD": worker.costUSD,
        ]
        var object: [String: Any] = [
            "type": "worker", "id": worker.id, "sessionId": worker.sessionId, "role": worker.role,
            "model": worker.model, "state": worker.state, "task": worker.task, "priority": worker.priority,
            "steps": worker.steps, "usage": usage,
        ]
        object["brief"] = embedded(worker.briefJSON)
        object["createdAt"] = TraceFormat.timestamp(worker.createdAt)
        object["parentId"] = worker.parentId ?? NSNull()
        object["startedAt"] = worker.startedAt.map(TraceFormat.timestamp) ?? NSNull()
        object["endedAt"] = worker.endedAt.map(TraceFormat.timestamp) ?? NSNull()
        object["result"] = worker.resultJSON.map(embedded) ?? NSNull()
        object["error"] = worker.errorJSON.map(embedded) ?? NSNull()
        return object
    }

    /// Stored JSON text as a JSON value; text that is not JSON stays a string, so the export
    /// is always valid JSON.
    static func embedded(_ json: String) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)) ?? json
    }

    static func encode(_ object: Any, pretty: Bool = false) -> String {
        var options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        if pretty { options.insert(.prettyPrinted) }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
