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
        let workerIds = Set(trace.workers.map(\.id))
        let eventsByWorker = Dictionary(grouping: trace.events, by: \.workerId)
        let spans = [rootSpan(trace.session, start: trace.start, end: trace.end, workerCount: trace.workers.count)]
            + trace.workers.map { worker in
                workerSpan(worker, events: eventsByWorker[worker.id] ?? [], end: trace.end(of: worker), knownWorkers: workerIds)
            }
        return JSONLExporter.encode(request(spans), pretty: true) + "\n"
    }

    static func traceId(session: String) -> String {
        hexId(session, seeds: [0x6b6f_7473_6573_7331, 0x6b6f_7473_6573_7332])
    }

    static func rootSpanId(session: String) -> String { hexId(session, seeds: [0x7370_616e_726f_6f74]) }

    static func rootSpan(_ session: SessionRecord, start: Date, end: Date, workerCount: Int) -> [String: Any] {
        [
            "traceId": traceId(session: session.id), "spanId": rootSpanId(session: session.id), "name": "session \(session.id)", "kind": spanKindInternal,
            "startTimeUnixNano": nanos(start), "endTimeUnixNano": nanos(end),
            "attributes": [
                attribute("bosun.session.id", session.id),
                attribute("bosun.session.workspace_root", session.workspaceRoot),
                attribute("bosun.session.max_concurrent_workers", session.maxConcurrentWorkers),
                attribute("bosun.session.workers", workerCount),
            ],
            "status": ["code": statusUnset],
        ]
    }

    /// A worker's span, under the worker that spawned it when that one is known (nil
    /// `knownWorkers` trusts every parent id), else under the session's root span.
    static func workerSpan(_ worker: WorkerRecord, events: [EventRecord], end: Date, knownWorkers: Set<String>?) -> [String: Any] {
        let parent = worker.parentId.flatMap { knownWorkers?.contains($0) ?? true ? $0 : nil }
        return [
            "traceId": traceId(session: worker.sessionId), "spanId": spanId(worker.id),
            "parentSpanId": parent.map(spanId) ?? rootSpanId(session: worker.sessionId),
            "name": "\(worker.role): \(TraceFormat.oneLine(worker.task, limit: 80))", "kind": spanKindInternal,
            "startTimeUnixNano": nanos(worker.startedAt ?? worker.createdAt),
            "endTimeUnixNano": nanos(end),
            "attributes": workerAttributes(worker, events: events),
            "events": events.map { event in
                [
                    "timeUnixNano": nanos(event.at), "name": event.kind,
                    "attributes": [attribute("bosun.event.seq", event.seq), attribute("bosun.event.data", event.dataJSON)],
                ] as [String: Any]
            },
            "status": status(of: worker),
        ]
    }

    static func request(_ spans: [[String: Any]]) -> [String: Any] {
        ["resourceSpans": [[
            "resource": ["attributes": [attribute("service.name", "bosun")]],
            "scopeSpans": [["scope": ["name": "bosun.trace", "version": "1"], "spans": spans]],
        ]]]
    }

    /// The GenAI semantic conventions' names where they apply: `gen_ai.request.model` is the
    /// provider's model id and `gen_ai.provider.name` its API (`anthropic`, `openai`), both
    /// from the worker's last `model_call` event; bosun's alias is `bosun.model.alias`.
    static func workerAttributes(_ worker: WorkerRecord, events: [EventRecord]) -> [[String: Any]] {
        let call = ModelCallFacts(lastOf: events)
        var attributes = [
            attribute("bosun.worker.id", worker.id), attribute("bosun.worker.role", worker.role),
            attribute("bosun.worker.state", worker.state), attribute("bosun.worker.task", worker.task),
            attribute("bosun.worker.brief", worker.briefJSON), attribute("bosun.worker.steps", worker.steps),
            attribute("bosun.worker.priority", worker.priority),
            attribute("gen_ai.operation.name", "invoke_agent"),
            attribute("gen_ai.agent.name", worker.role),
            attribute("gen_ai.request.model", call.modelId ?? worker.model),
            attribute("bosun.model.alias", worker.model),
            attribute("gen_ai.usage.input_tokens", worker.inputTokens),
            attribute("gen_ai.usage.output_tokens", worker.outputTokens),
            attribute("bosun.usage.cache_read_tokens", worker.cacheReadTokens),
            attribute("bosun.usage.cost_usd", worker.costUSD),
        ]
        if let api = call.providerAPI { attributes.append(attribute("gen_ai.provider.name", api)) }
        if let provider = call.provider { attributes.append(attribute("bosun.provider", provider)) }
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

/// What a worker's `model_call` events say about the model behind it: the provider's model
/// id, the configured provider's name and its API (`anthropic`, `openai`).
struct ModelCallFacts {
    var modelId: String?
    var provider: String?
    var providerAPI: String?

    init(lastOf events: [EventRecord]) {
        guard let event = events.last(where: { $0.kind == "model_call" }),
              let data = (try? JSONSerialization.jsonObject(with: Data(event.dataJSON.utf8))) as? [String: Any] else { return }
        modelId = data["model"] as? String
        provider = data["provider"] as? String
        providerAPI = data["providerAPI"] as? String
    }
}
