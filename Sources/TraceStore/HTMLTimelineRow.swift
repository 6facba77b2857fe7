import Foundation

/// One worker's row of the timeline page: its label, tokens and cost, its verify score, its
/// queue wait and bar with call segments, and the details that open on a click. The wait and
/// the bar carry their times in seconds since the session's start (`data-s`, `data-e`), from
/// which the page's script places them again when zooming; a segment names its call's
/// entry in the details (`data-call`).
enum HTMLTimelineRow {
    static func render(_ worker: WorkerRecord, in trace: SessionTrace, start: Date, span: TimeInterval) -> String {
        let escape = HTMLTimelineRenderer.escape, percent = HTMLTimelineRenderer.percent
        let begin = worker.startedAt ?? worker.createdAt
        let end = trace.end(of: worker)
        let left = begin.timeIntervalSince(start) / span * 100
        let width = min(max(end.timeIntervalSince(begin) / span * 100, 0.4), 100 - left)
        let duration = trace.runTime(of: worker).text
        let events = trace.events(of: worker.id)
        let wait = begin.timeIntervalSince(worker.createdAt)
        let tooltip = "\(worker.id) · \(worker.state) · \(worker.role)/\(worker.model)\n\(worker.steps) steps · "
            + "\(TraceFormat.tokens(worker)) tokens · \(TraceFormat.cost(worker.costUSD)) · \(duration)"
            + (wait > 0 ? " after \(TraceFormat.duration(wait)) in the queue" : "") + "\n"
            + TraceFormat.oneLine(worker.task, limit: 120)
        var track = ""
        if wait > 0 {
            let waitLeft = worker.createdAt.timeIntervalSince(start) / span * 100
            track += "<span class=\"wait\" \(times(worker.createdAt, begin, from: start)) style=\"left:\(percent(waitLeft));width:\(percent(wait / span * 100))\" "
                + "title=\"\(escape("waited \(TraceFormat.duration(wait)) in the queue"))\"></span>"
        }
        let barSpan = max(end.timeIntervalSince(begin), 0.001)
        var segments = ""
        let calls = WorkerCall.calls(in: events, end: end)
        for call in calls {
            let from = max(call.start.timeIntervalSince(begin), 0) / barSpan * 100
            let size = call.duration / barSpan * 100
            let link = call.kind == .model ? " data-call=\"\(escape(HTMLTimelineDetails.anchor(call, of: worker.id)))\"" : ""
            segments += "<span class=\"seg seg-\(call.kind.rawValue)\"\(link) style=\"left:\(percent(min(from, 100)));width:\(percent(min(size, 100 - from)))\" "
                + "title=\"\(escape("\(call.label) · \(TraceFormat.duration(call.duration))"))\"></span>"
        }
        track += "<span class=\"bar state-\(escape(worker.state))\" \(times(begin, end, from: start)) style=\"left:\(percent(left));width:\(percent(width))\" title=\"\(escape(tooltip))\">\(segments)</span>"
        let tokens = worker.inputTokens + worker.outputTokens
        let rounds = HTMLTimelineDetails.VerifyScore.rounds(in: events)
        let score = rounds.last.map { " <span class=\"score \($0.allPassed ? "pass" : "fail")\" title=\"verify round \($0.round): \($0.text) checks passed\">\($0.text)</span>" } ?? ""
        var html = """
            <details class="worker" id="\(escape(worker.id))" data-state="\(escape(worker.state))">
            <summary><span class="label">\(worker.parentId == nil ? "" : "↳ ")<b>\(escape(worker.role))</b> \(escape(TraceFormat.oneLine(worker.task, limit: 60)))</span>
            <span class="meta">\(compact(tokens)) tok · \(TraceFormat.cost(worker.costUSD))\(score)</span>
            <span class="track">\(track)</span></summary>
            <div class="info"><dl>
            <dt>worker</dt><dd><code>\(escape(worker.id))</code>\(worker.parentId.map { " (spawned by <code>\(escape($0))</code>)" } ?? "")</dd>
            <dt>state</dt><dd>\(escape(worker.state))</dd>
            <dt>role / model</dt><dd>\(escape(worker.role)) / \(escape(worker.model))</dd>
            <dt>steps</dt><dd>\(worker.steps)</dd>
            <dt>tokens</dt><dd>\(TraceFormat.tokens(worker)), \(worker.cacheReadTokens) cache read, \(worker.cacheWriteTokens) cache write</dd>
            <dt>cost</dt><dd>\(TraceFormat.cost(worker.costUSD))</dd>
            <dt>time</dt><dd>\(escape(TraceFormat.timestamp(begin))) for \(duration)\(wait > 0 ? ", after \(TraceFormat.duration(wait)) in the queue" : "")</dd>
            </dl>
            <h3>Brief</h3><pre>\(escape(pretty(worker.briefJSON)))</pre>

            """
        html += HTMLTimelineDetails.verification(rounds)
        html += HTMLTimelineDetails.modelCalls(calls, of: worker, messages: trace.messages[worker.id] ?? [])
        if let result = worker.resultJSON { html += resultSection(result) }
        if let error = worker.errorJSON { html += "<h3>Error</h3><pre>\(escape(pretty(error)))</pre>\n" }
        html += "<h3>Events (\(events.count))</h3><ol class=\"events\">\n"
        for event in events.prefix(HTMLTimelineRenderer.eventsShownPerWorker) {
            let offset = TraceFormat.duration(max(event.at.timeIntervalSince(start), 0))
            html += "<li value=\"\(event.seq)\"><span class=\"kind\">\(escape(event.kind))</span> +\(offset) <code>\(escape(TraceFormat.oneLine(event.dataJSON, limit: 200)))</code></li>\n"
        }
        if events.count > HTMLTimelineRenderer.eventsShownPerWorker {
            html += "<li class=\"more\">… \(events.count - HTMLTimelineRenderer.eventsShownPerWorker) more: see <code>bosun trace show \(escape(worker.id))</code></li>\n"
        }
        html += "</ol></div></details>\n"
        return html
    }

    /// The result's text as text (its line breaks kept), then its structured part and
    /// sources as indented JSON; a result that is not an object is shown indented whole.
    static func resultSection(_ json: String) -> String {
        let escape = HTMLTimelineRenderer.escape
        guard let object = JSONLExporter.embedded(json) as? [String: Any] else {
            return "<h3>Result</h3><pre>\(escape(pretty(json)))</pre>\n"
        }
        var html = "<h3>Result</h3>"
        if let text = object["text"] as? String { html += "<pre>\(escape(text))</pre>" }
        var rest = object
        rest["text"] = nil
        if !rest.isEmpty { html += "<pre>\(escape(JSONLExporter.encode(rest, pretty: true)))</pre>" }
        return html + "\n"
    }

    /// JSON text indented for reading; text that is not JSON as it is.
    static func pretty(_ json: String) -> String {
        let value = JSONLExporter.embedded(json)
        guard value is [String: Any] || value is [Any] else { return json }
        return JSONLExporter.encode(value, pretty: true)
    }

    /// `data-s` and `data-e`: seconds since the session's start.
    static func times(_ from: Date, _ to: Date, from start: Date) -> String {
        String(format: "data-s=\"%.3f\" data-e=\"%.3f\"", from.timeIntervalSince(start), to.timeIntervalSince(start))
    }

    /// 950, 12.3k, 4.5M.
    static func compact(_ count: Int) -> String {
        if count < 1000 { return "\(count)" }
        if count < 1_000_000 { return String(format: "%.1fk", Double(count) / 1000) }
        return String(format: "%.1fM", Double(count) / 1_000_000)
    }
}
