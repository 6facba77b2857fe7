import Foundation

/// `bosun trace html`: one self-contained page (inline CSS and script, nothing fetched) with
/// a timeline of the session's workers. Each row shows the worker's wait in the queue, then
/// its run as a bar coloured by state, with its model calls and tool calls as segments along
/// the bar's lower half, and its tokens, cost and verify score beside it. Hovering shows
/// numbers; clicking a row opens its brief, verify rounds, model calls (each with its prompt,
/// completion, tokens, cost and latency), result, error and events; clicking a model call's
/// segment opens that call. The axis zooms and pans and a search box filters the rows
/// (`HTMLTimelineScript`). A page rendered while workers run reloads itself every
/// `refreshSeconds`, for `trace html --watch`, which rewrites it. A table of totals per role
/// follows the timeline.
public enum HTMLTimelineRenderer {
    /// Events listed per worker on the page; the rest are counted, not shown.
    static let eventsShownPerWorker = 200
    static let stateColours: [(state: String, colour: String)] = [
        ("queued", "#9aa5b1"), ("running", "#2f80ed"), ("succeeded", "#27ae60"), ("failed", "#eb5757"),
        ("cancelled", "#f2994a"), ("timed_out", "#9b51e0"), ("interrupted", "#f2c94c"),
    ]

    /// `refreshSeconds`: how often the page reloads itself while workers run, when something
    /// rewrites it that often (`trace html --watch`); nil for a page written once.
    public static func render(_ trace: SessionTrace, refreshSeconds: Int? = nil) -> String {
        let start = trace.start
        let span = max(trace.end.timeIntervalSince(start), 0.001)
        let ticks = TimelineLayout.ticks(span: span)
        let reload = trace.isLive ? refreshSeconds : nil
        let refresh = reload.map { "<meta http-equiv=\"refresh\" content=\"\($0)\">" } ?? ""
        var html = """
            <!doctype html>
            <html lang="en" data-session="\(escape(trace.session.id))" data-span="\(String(format: "%.3f", span))"><head><meta charset="utf-8">\(refresh)
            <title>bosun session \(escape(trace.session.id))</title>
            <style>\(stylesheet)\(HTMLTimelineScript.styles)</style></head><body>
            <header><h1>Session <code>\(escape(trace.session.id))</code></h1>
            <p class="summary">\(escape(summary(trace)))</p>
            <ul class="legend">\(legend)</ul>
            \(HTMLTimelineScript.toolbar(reloadSeconds: reload))</header>
            <main><div class="axis"><span class="label">worker</span><span class="meta">tokens · cost · verify</span><span class="track" id="axis">\(axis(ticks, span: span))</span></div>
            <div class="timeline"><div class="grid" id="grid">\(grid(ticks, span: span))</div>

            """
        // An orchestration heads its workers: each row of one is nested under its heading.
        let orchestrations = Dictionary(uniqueKeysWithValues: trace.orchestrations.map { ($0.id, $0) })
        var open: String?
        for worker in trace.workers {
            let orchestration = worker.parentId.flatMap { orchestrations[$0] }
            if open != orchestration?.id {
                if open != nil { html += "</div>\n" }
                if let orchestration {
                    html += "<div class=\"orchestration\" id=\"\(escape(orchestration.id))\"><div class=\"orchestration-head\">"
                        + "<b>orchestrate</b> <code>\(escape(orchestration.id))</code> \(escape(orchestration.state)) · "
                        + "\(escape(TraceFormat.oneLine(orchestration.goal, limit: 100)))</div>\n"
                }
                open = orchestration?.id
            }
            html += HTMLTimelineRow.render(worker, in: trace, start: start, span: span)
        }
        if open != nil { html += "</div>\n" }
        if trace.workers.isEmpty { html += "<p class=\"empty\">This session has no workers.</p>\n" }
        html += "</div>\n" + roleTotals(trace) + "</main><script>\(HTMLTimelineScript.script)</script></body></html>\n"
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
            + "<li><span class=\"swatch queue-wait\"></span>waiting in the queue</li>"
            + "<li><span class=\"swatch seg-model\"></span>model call</li><li><span class=\"swatch seg-tool\"></span>tool call</li>"
    }

    /// Round ticks (`0`, `10s`, `20s`, … or `1m`, `2m`, …) since the session's first worker.
    static func axis(_ ticks: [(offset: TimeInterval, label: String)], span: TimeInterval) -> String {
        ticks.map { "<span class=\"tick\" style=\"left:\(percent($0.offset / span * 100))\">\(escape($0.label))</span>" }.joined()
    }

    static func grid(_ ticks: [(offset: TimeInterval, label: String)], span: TimeInterval) -> String {
        ticks.map { "<span style=\"left:\(percent($0.offset / span * 100))\"></span>" }.joined()
    }

    /// Workers, time, tokens and cost per role, so the space under a short timeline says
    /// where the money went.
    static func roleTotals(_ trace: SessionTrace) -> String {
        guard !trace.workers.isEmpty else { return "" }
        var html = "<h2>By role</h2><table class=\"totals\"><thead><tr><th>role</th><th>workers</th><th>states</th>"
            + "<th>steps</th><th>input tokens</th><th>output tokens</th><th>cost</th><th>worker time</th></tr></thead><tbody>\n"
        for (role, workers) in Dictionary(grouping: trace.workers, by: \.role).sorted(by: { $0.key < $1.key }) {
            let states = Dictionary(grouping: workers, by: \.state).sorted { $0.key < $1.key }.map { "\($0.value.count) \($0.key)" }
            let time = workers.reduce(0) { $0 + trace.runTime(of: $1).seconds }
            html += "<tr><td>\(escape(role))</td><td>\(workers.count)</td><td>\(escape(states.joined(separator: ", ")))</td>"
                + "<td>\(workers.reduce(0) { $0 + $1.steps })</td><td>\(workers.reduce(0) { $0 + $1.inputTokens })</td>"
                + "<td>\(workers.reduce(0) { $0 + $1.outputTokens })</td><td>\(TraceFormat.cost(workers.reduce(0) { $0 + $1.costUSD }))</td>"
                + "<td>\(TraceFormat.duration(max(time, 0)))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
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
            h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}h3{font-size:14px;margin:12px 0 4px}
            .summary{color:#52606d;margin:0 0 8px}
            .legend{list-style:none;padding:0;display:flex;gap:16px;flex-wrap:wrap;margin:8px 0 16px}
            .swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:middle}
            .axis,summary{display:flex;align-items:center}
            .label,.meta{box-sizing:border-box}
            .label{flex:0 0 300px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis;padding-right:8px}
            .meta{flex:0 0 150px;color:#52606d;font-size:12px;white-space:nowrap;text-align:right;padding-right:12px}
            .axis .label,.axis .meta{color:#7b8794;font-size:12px}
            .track{position:relative;flex:1;height:30px}
            .axis .track{height:20px;border-bottom:1px solid #9aa5b1}
            .tick{position:absolute;bottom:2px;font-size:12px;color:#3e4c59;transform:translateX(-50%);white-space:nowrap}
            .tick:first-child{transform:none}
            .timeline{position:relative}
            .grid{position:absolute;top:0;bottom:0;left:450px;right:0;pointer-events:none}
            .grid span{position:absolute;top:0;bottom:0;width:1px;background:#e4e7eb}
            details.worker{border-bottom:1px solid #eef1f4;position:relative}
            .orchestration{box-shadow:inset 3px 0 0 #6b8fb3}
            .orchestration-head{font-size:12px;color:#34495e;padding:4px 0 4px 8px}
            summary{cursor:pointer;list-style:none;padding:2px 0}summary::-webkit-details-marker{display:none}
            summary:hover{background:rgba(47,128,237,.06)}
            .wait{position:absolute;top:11px;height:8px;border-radius:2px}
            .wait,.queue-wait{background:repeating-linear-gradient(135deg,#9aa5b1 0 3px,#e4e7eb 3px 6px)}
            .bar{position:absolute;top:5px;bottom:5px;border-radius:3px;min-width:3px;overflow:hidden}
            .seg{position:absolute;bottom:0;height:45%;min-width:2px}
            .seg-model{background:#1f3a5f}.seg-tool{background:#ff7ad9}
            .bar .seg-wait{height:100%;background:repeating-linear-gradient(135deg,rgba(255,255,255,.75) 0 3px,transparent 3px 6px)}
            .bar .seg-tool{box-shadow:inset 0 0 0 1px rgba(0,0,0,.25)}
            .info{padding:4px 0 12px 300px;position:relative;background:#fff}
            dl{display:grid;grid-template-columns:110px 1fr;margin:0}dt{color:#7b8794}dd{margin:0}
            pre{background:#f5f7fa;padding:8px;white-space:pre-wrap;word-break:break-word;max-height:320px;overflow:auto;font-size:12px}
            .events{font-size:12px;max-height:320px;overflow:auto}.kind{font-weight:600}
            table.totals{border-collapse:collapse;font-size:13px}
            .totals th,.totals td{padding:4px 12px;border-bottom:1px solid #e4e7eb;text-align:right}
            .totals th:first-child,.totals td:first-child,.totals td:nth-child(3),.totals th:nth-child(3){text-align:left}
            .totals th{color:#52606d;font-weight:600}
            \(colours)
            """
    }
}
