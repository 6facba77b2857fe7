import Foundation

/// `bosun trace export --format otlp-json`: the session as an OTLP/JSON
/// `ExportTraceServiceRequest`, ready to POST to any collector's `/v1/traces`, or for Jaeger
/// and Tempo to ingest.
///
/// One trace per session, a tree of spans: the session is the root; each `orchestrate` call
/// is a span under it; each worker is a span under the worker or orchestration that started
/// it (else the root); under each worker, a span per model call and per tool call, with the
/// OpenTelemetry GenAI semantic conventions' attributes (`gen_ai.operation.name`,
/// `gen_ai.request.model`, `gen_ai.usage.input_tokens`, `gen_ai.tool.name`, …) and each model
/// call's own tokens. The worker's other events (text, steers, verify rounds, …) are its
/// span events. Ids are derived from the session, orchestration and worker ids and each
/// call's event seq, so exporting twice, or exporting after a live export, yields the same
/// trace. Following the OTLP JSON encoding, ids are lowercase hex, 64-bit times are decimal
/// strings and enums integers.
public enum OTLPExporter {
    static let spanKindInternal = 1, spanKindClient = 3
    static let statusUnset = 0, statusOK = 1, statusError = 2

    public static func export(_ trace: SessionTrace) -> String {
        let parents = Set(trace.workers.map(\.id) + trace.orchestrations.map(\.id))
        let eventsByWorker = Dictionary(grouping: trace.events, by: \.workerId)
        var spans = [rootSpan(trace.session, start: trace.start, end: trace.end, workerCount: trace.workers.count)]
        spans += trace.orchestrations.map { orchestrationSpan($0, end: $0.endedAt ?? trace.end) }
        for worker in trace.workers {
            spans += workerSpans(worker, events: eventsByWorker[worker.id] ?? [], end: trace.end(of: worker), knownParents: parents)
        }
        return JSONLExporter.encode(request(spans), pretty: true) + "\n"
    }

    static func request(_ spans: [[String: Any]]) -> [String: Any] {
        ["resourceSpans": [[
            "resource": ["attributes": [attribute("service.name", "bosun")]],
            "scopeSpans": [["scope": ["name": "bosun.trace", "version": "2"], "spans": spans]],
        ]]]
    }

    // MARK: ids

    static func traceId(session: String) -> String {
        hexId(session, seeds: [0x6b6f_7473_6573_7331, 0x6b6f_7473_6573_7332])
    }

    static func rootSpanId(session: String) -> String { hexId(session, seeds: [0x7370_616e_726f_6f74]) }

    static func spanId(_ workerId: String) -> String { hexId(workerId, seeds: [0x7370_616e_776b_6572]) }

    static func orchestrationSpanId(_ orchestrationId: String) -> String { hexId(orchestrationId, seeds: [0x7370_616e_6f72_6368]) }

    static func callSpanId(worker workerId: String, seq: Int) -> String { hexId("\(workerId)#\(seq)", seeds: [0x7370_616e_6361_6c6c]) }

    /// The span a worker's parent id names: an orchestration's (`o_…`) or a worker's.
    static func parentSpanId(_ parentId: String) -> String {
        parentId.hasPrefix("o_") ? orchestrationSpanId(parentId) : spanId(parentId)
    }

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

    // MARK: encoding

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
}
