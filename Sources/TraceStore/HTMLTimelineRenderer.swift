import Foundation

/// `bosun trace html`: one self-contained page (inline CSS, no scripts or external assets)
/// with a timeline of the session's workers as bars over time, coloured by state. Hovering a
/// bar shows its numbers; clicking a row opens its brief, result, error and events.
public enum HTMLTimelineRenderer {
    /// Events listed per worker on the page; the rest are counted, not shown.
    static let eventsShownPerWorker = 200
    static let stateColours: [(state: String, colour: String)] = [
        ("queued", "#9aa5b1"), ("running", "#2f80ed"), ("succeeded", "#27ae60"), ("failed", "#eb5757"),
        ("cancelled", "#f2994a"), ("timed_out", "#9b51e0"), ("interrupted", "#f2c94c"),
    ]

    public static func render(_ trace: SessionTrace) -> String {
        let start = trace.start
        let span = max(trace.end.timeIntervalSince(start), 0.001)
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <title>bosun session \(escape(trace.session.id))</title>
            <style>\(stylesheet)</style></head><body>
            <header><h1>Session <code>\(escape(trace.session.id))</code></h1>
            <p class="summary">\(escape(summary(trace)))</p>
            <ul class="legend">\(legend)</ul></header>
            <main><div class="axis"><span class="label"></span><span class="track">\(axis(span: span))</span></div>
            <div class="timeline">

            """
        for worker in trace.workers {
            html += row(for: worker, in: trace, start: start, span: span)
        }
        if trace.workers.isEmpty { html += "<p class=\"empty\">This session has no workers.</p>\n" }
        html += "</div></main></body></html>\n"
        return html
    }

    static func row(for worker: WorkerRecord, in trace: SessionTrace, start: Date, span: TimeInterval) -> String {
        let begin = worker.startedAt ?? worker.createdAt
        let end = trace.end(of: worker)
        let left = begin.timeIntervalSince(start) / span * 100
        let width = max(end.timeIntervalSince(begin) / span * 100, 0.4)
        let duration = TraceFormat.duration(end.timeIntervalSince(begin))
        let tooltip = "\(worker.id) · \(worker.state) · \(worker.role)/\(worker.model)\n\(worker.steps) steps · "
            + "\(TraceFormat.tokens(worker)) tokens · \(TraceFormat.cost(worker.costUSD)) · \(duration)\n"
            + TraceFormat.oneLine(worker.task, limit: 120)
        let events = trace.events(of: worker.id)
        var html = """
            <details class="worker" id="\(escape(worker.id))" data-state="\(escape(worker.state))">
            <summary><span class="label">\(worker.parentId == nil ? "" : "↳ ")<b>\(escape(worker.role))</b> \(escape(TraceFormat.oneLine(worker.task, limit: 40)))</span>
            <span class="track"><span class="bar state-\(escape(worker.state))" style="left:\(percent(left));width:\(percent(min(width, 100 - left)))" title="\(escape(tooltip))"></span></span></summary>
            <div class="info"><dl>
            <dt>worker</dt><dd><code>\(escape(worker.id))</code>\(worker.parentId.map { " (spawned by <code>\(escape($0))</code>)" } ?? "")</dd>
            <dt>state</dt><dd>\(escape(worker.state))</dd>
            <dt>role / model</dt><dd>\(escape(worker.role)) / \(escape(worker.model))</dd>
            <dt>steps</dt><dd>\(worker.steps)</dd>
            <dt>tokens</dt><dd>\(TraceFormat.tokens(worker)), \(worker.cacheReadTokens) cache read</dd>
            <dt>cost</dt><dd>\(TraceFormat.cost(worker.costUSD))</dd>
            <dt>time</dt><dd>\(escape(TraceFormat.timestamp(begin))) for \(duration)</dd>
            </dl>
            <h3>Brief</h3><pre>\(escape(worker.briefJSON))</pre>

            """
        if let result = worker.resultJSON { html += "<h3>Result</h3><pre>\(escape(result))</pre>\n" }
        if let error = worker.errorJSON { html += "<h3>Error</h3><pre>\(escape(error))</pre>\n" }
        html += "<h3>Events (\(events.count))</h3><ol class=\"events\">\n"
        for event in events.prefix(eventsShownPerWorker) {
            let offset = TraceFormat.duration(max(event.at.timeIntervalSince(start), 0))
            html += "<li value=\"\(event.seq)\"><span class=\"kind\">\(escape(event.kind))</span> +\(offset) <code>\(escape(TraceFormat.oneLine(event.dataJSON, limit: 200)))</code></li>\n"
        }
        if events.count > eventsShownPerWorker {
            html += "<li class=\"more\">… \(events.count - eventsShownPerWorker) more: see <code>bosun trace show \(escape(worker.id))</code></li>\n"
        }
        html += "</ol></div></details>\n"
        return html
    }

    static func summary(_ trace: SessionTrace) -> String {
        let tokens = trace.workers.reduce(0) { $0 + $1.inputTokens + $1.outputTokens }
        let cost = trace.workers.reduce(0) { $0 + $1.costUSD }
        return "\(trace.workers.count) workers · \(tokens) tokens · \(TraceFormat.cost(cost)) · "
            + "\(TraceFormat.duration(trace.end.timeIntervalSince(trace.start))) from \(TraceFormat.timestamp(trace.start)) · "
            + trace.session.workspaceRoot
    }

    static var legend: String {
        stateColours.map { "<li><span class=\"swatch state-\($0.state)\"></span>\($0.state)</li>" }.joined()
    }

    /// Five ticks across the track, labelled with the time since the session's first worker.
    static func axis(span: TimeInterval) -> String {
        (0...4).map { tick in
            let fraction = Double(tick) / 4
            return "<span class=\"tick\" style=\"left:\(percent(fraction * 100))\">+\(TraceFormat.duration(span * fraction))</span>"
        }.joined()
    }

    static func percent(_ value: Double) -> String { String(format: "%.3f%%", max(value, 0)) }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static var stylesheet: String {
        let colours = stateColours.map { ".state-\($0.state){background:\($0.colour)}" }.joined()
        return """
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2933;background:#fff}
            h1{font-size:20px;margin:0 0 4px}h3{font-size:14px;margin:12px 0 4px}
            .summary{color:#52606d;margin:0 0 8px}
            .legend{list-style:none;padding:0;display:flex;gap:16px;flex-wrap:wrap}
            .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:middle}
            .axis,summary{display:flex;align-items:center}
            .label{flex:0 0 280px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;padding-right:8px}
            .track{position:relative;flex:1;height:22px}
            .axis .track{height:18px;border-bottom:1px solid #cbd2d9}
            .tick{position:absolute;font-size:11px;color:#7b8794;transform:translateX(-50%)}
            .tick:first-child{transform:none}.tick:last-child{transform:translateX(-100%)}
            details.worker{border-bottom:1px solid #eef1f4}
            summary{cursor:pointer;list-style:none;padding:3px 0}summary::-webkit-details-marker{display:none}
            summary:hover{background:#f5f7fa}
            .bar{position:absolute;top:3px;bottom:3px;border-radius:3px;min-width:3px}
            .info{padding:4px 0 12px 280px}
            dl{display:grid;grid-template-columns:110px 1fr;margin:0}dt{color:#7b8794}dd{margin:0}
            pre{background:#f5f7fa;padding:8px;white-space:pre-wrap;word-break:break-word;max-height:240px;overflow:auto}
            .events{font-size:12px;max-height:320px;overflow:auto}.kind{font-weight:600}
            \(colours)
            """
    }
}
