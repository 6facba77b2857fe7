import Foundation

/// `bosun trace export --format otlp-json`: the session as an OTLP/JSON
/// `ExportTraceServiceRequest`, ready to POST to any collector's `/v1/traces`, or for Jaeger
/// and Tempo to ingest.
///
/// One trace per session. The session is the root span; each worker is a span under the
/// worker that spawned it (or the root), and its events are span events. Ids are derived from
/// the session and worker ids, so exporting twice yields the same trace. Following the OTLP
/// JSON encoding, ids are lowercase hex, 64-bit times are decimal strings and enums integers.
public enum OTLPExporter {
    static let spanKindInternal = 1
    static let statusUnset = 0, statusOK = 1, statusError = 2

    public static func export(_ trace: SessionTrace) -> String {
        let session = trace.session
        let traceId = hexId(session.id, seeds: [0x6b6f_7473_6573_7331, 0x6b6f_7473_6573_7332])
        let rootSpanId = hexId(session.id, seeds: [0x7370_616e_726f_6f74])
        var spans: [[String: Any]] = [[
            "traceId": traceId, "spanId": rootSpanId, "name": "session \(session.id)", "kind": spanKindInternal,
            "startTimeUnixNano": nanos(trace.start), "endTimeUnixNano": nanos(trace.end),
            "attributes": [
                attribute("bosun.session.id", session.id),
                attribute("bosun.session.workspace_root", session.workspaceRoot),
                attribute("bosun.session.max_concurrent_workers", session.maxConcurrentWorkers),
                attribute("bosun.session.workers", trace.workers.count),
            ],
            "status": ["code": statusUnset],
        ]]
        let workerIds = Set(trace.workers.map(\.id))
        let eventsByWorker = Dictionary(grouping: trace.events, by: \.workerId)
        for worker in trace.workers {
            let parent = worker.parentId.flatMap { workerIds.contains($0) ? $0 : nil }
            var span: [String: Any] = [
                "traceId": traceId, "spanId": spanId(worker.id),
                "parentSpanId": parent.map(spanId) ?? rootSpanId,
                "name": "\(worker.role): \(TraceFormat.oneLine(worker.task, limit: 80))", "kind": spanKindInternal,
                "startTimeUnixNano": nanos(worker.startedAt ?? worker.createdAt),
                "endTimeUnixNano": nanos(trace.end(of: worker)),
                "attributes": workerAttributes(worker),
                "events": (eventsByWorker[worker.id] ?? []).map { event in
                    [
                        "timeUnixNano": nanos(event.at), "name": event.kind,
                        "attributes": [attribute("bosun.event.seq", event.seq), attribute("bosun.event.data", event.dataJSON)],
                    ] as [String: Any]
                },
            ]
            span["status"] = status(of: worker)
            spans.append(span)
        }
        let request: [String: Any] = ["resourceSpans": [[
            "resource": ["attributes": [attribute("service.name", "bosun")]],
            "scopeSpans": [["scope": ["name": "bosun.trace", "version": "1"], "spans": spans]],
        ]]]
        return JSONLExporter.encode(request, pretty: true) + "\n"
    }

    static func workerAttributes(_ worker: WorkerRecord) -> [[String: Any]] {
        var attributes = [
            attribute("bosun.worker.id", worker.id), attribute("bosun.worker.role", worker.role),
            attribute("bosun.worker.state", worker.state), attribute("bosun.worker.task", worker.task),
            attribute("bosun.worker.brief", worker.briefJSON), attribute("bosun.worker.steps", worker.steps),
            attribute("bosun.worker.priority", worker.priority),
            attribute("gen_ai.request.model", worker.model),
            attribute("gen_ai.usage.input_tokens", worker.inputTokens),
            attribute("gen_ai.usage.output_tokens", worker.outputTokens),
            attribute("bosun.usage.cache_read_tokens", worker.cacheReadTokens),
            attribute("bosun.usage.cost_usd", worker.costUSD),
        ]
        if let result = worker.resultJSON { attributes.append(attribute("bosun.worker.result", result)) }
        if let error = worker.errorJSON { attributes.append(attribute("bosun.worker.error", error)) }
        return attributes
    }

    /// Succeeded is OK, any other end is an error with the worker's error as message, and a
    /// worker still queued or running is unset.
    static func status(of worker: WorkerRecord) -> [String: Any] {
        switch worker.state {
        case "succeeded": return ["code": statusOK]
        case _ where worker.isTerminal:
            let message = worker.errorJSON.flatMap { JSONLExporter.embedded($0) as? [String: Any] }?["message"] as? String
            return ["code": statusError, "message": message ?? worker.state]
        default: return ["code": statusUnset]
        }
    }

    static func attribute(_ key: String, _ value: String) -> [String: Any] {
        ["key": key, "value": ["stringValue": value]]
    }

    static func attribute(_ key: String, _ value: Int) -> [String: Any] {
        ["key": key, "value": ["intValue": String(value)]]
    }

    static func attribute(_ key: String, _ value: Double) -> [String: Any] {
        ["key": key, "value": ["doubleValue": value]]
    }

    static func nanos(_ date: Date) -> String {
        String(UInt64(max(0, (date.timeIntervalSince1970 * 1e9).rounded())))
    }

    static func spanId(_ workerId: String) -> String { hexId(workerId, seeds: [0x7370_616e_776b_6572]) }

    /// 16 hex digits per seed from FNV-1a over `text`; never all zero, which OTLP forbids.
    static func hexId(_ text: String, seeds: [UInt64]) -> String {
        seeds.map { seed in
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x0000_0100_0000_01b3
            }
            return String(max(hash, 1), radix: 16).leftPadded(to: 16)
        }.joined()
    }
}
