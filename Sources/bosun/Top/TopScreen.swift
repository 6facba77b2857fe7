import BosunProtocol
import Foundation
import TraceStore

/// What the person at `bosun top` has chosen: the selected worker, the state filter, the
/// page shown and the last message.
struct TopViewState {
    enum Page { case workers, events(workerId: String) }
    /// The filters `f` cycles through; nil shows every worker.
    static let filters: [String?] = [nil, "running", "waiting", "queued", "succeeded", "failed", "cancelled", "timed_out",
                                     "interrupted"]

    var page: Page = .workers
    var filterIndex = 0
    var selectedId: String?
    /// A cancel waiting for `y`.
    var confirmingCancelOf: String?
    /// The ask being answered (`a`), with the text typed so far for a free question.
    var answering: (ask: Ask, text: String)?
    var message = ""

    var filter: String? { Self.filters[filterIndex] }
}

/// Renders a snapshot as screen lines, each cut to the terminal's width. With `colour`,
/// states are coloured and the selected row is in reverse video; without, plain text.
struct TopScreen {
    var width: Int
    var height: Int
    var colour: Bool

    static let stateColours: [String: String] = [
        "queued": "90", "running": "34", "waiting": "36", "succeeded": "32", "failed": "31",
        "cancelled": "33", "timed_out": "35", "interrupted": "33",
    ]

    func workerLines(_ snapshot: TopSnapshot, burn: Double?, view: TopViewState) -> [String] {
        var lines = header(snapshot, burn: burn)
        let rows = visibleRows(snapshot, view: view)
        lines.append(columnHeader)
        let room = max(height - lines.count - 2, 1)
        let selected = rows.firstIndex { $0.worker.id == view.selectedId } ?? 0
        let first = min(max(selected - room + 1, 0), max(rows.count - room, 0))
        for (index, row) in rows.enumerated().dropFirst(first).prefix(room) {
            lines.append(line(for: row, at: snapshot.takenAt, selected: index == selected))
        }
        if rows.isEmpty {
            lines.append(snapshot.session == nil ? noSessions(snapshot) : "no workers\(view.filter.map { " \($0)" } ?? "")")
        }
        while lines.count < height - 1 { lines.append("") }
        lines.append(footer(view))
        return lines
    }

    /// The header and every worker, once, for a stdout that is not a terminal: no selection,
    /// no footer, no rows left out for want of room.
    func plainLines(_ snapshot: TopSnapshot) -> [String] {
        let rows = snapshot.rows.map { line(for: $0, at: snapshot.takenAt, selected: false) }
        return header(snapshot, burn: nil) + [columnHeader]
            + (rows.isEmpty ? [snapshot.session == nil ? noSessions(snapshot) : "no workers"] : rows)
    }

    /// What an empty store shows, naming it: the session looked for may be in another.
    func noSessions(_ snapshot: TopSnapshot) -> String {
        "no sessions in \(snapshot.storePath) yet (--db names another store)"
    }

    var columnHeader: String {
        bold(fit(columns(["", "WORKER", "STATE", "ROLE", "MODEL", "STEPS", "TOKENS", "COST", "ELAPSED", "WAITED", "OF TIMEOUT",
                          "FILES", "TASK"])))
    }

    func eventLines(_ snapshot: TopSnapshot, burn: Double?, row: TopSnapshot.Row?, events: [EventRecord], view: TopViewState) -> [String] {
        var lines = header(snapshot, burn: burn)
        guard let row else { return lines + ["that worker is gone from the store"] }
        let worker = row.worker
        lines.append(bold(fit("events of \(worker.id)  \(worker.state)  \(worker.role)/\(worker.model)  \(oneLine(worker.task))")))
        if let changes = row.changes {
            lines.append(fit("changed files: \(changes.files.count), \(changes.state.rawValue)"
                             + (changes.files.isEmpty ? "" : ": " + changes.files.joined(separator: ", "))
                             + (changes.ignoredCount == 0 ? "" : " (and \(changes.ignoredCount) that .gitignore ignores)")))
        }
        if let ask = row.pendingAsk {
            lines += askLines(ask, waited: row.waited(at: snapshot.takenAt)).map(fit)
        }
        let room = max(height - lines.count - 1, 1)
        for event in events.suffix(room) {
            lines.append(fit("#\(event.seq)  \(clock(event.at))  \(event.kind.padding(12))  \(oneLine(event.dataJSON))"))
        }
        while lines.count < height - 1 { lines.append("") }
        lines.append(view.answering != nil ? footer(view)
                     : fit("esc/q back  ·  a answer  ·  \(events.count) events\(view.message.isEmpty ? "" : "  ·  " + view.message)"))
        return lines
    }

    func visibleRows(_ snapshot: TopSnapshot, view: TopViewState) -> [TopSnapshot.Row] {
        guard let filter = view.filter else { return snapshot.rows }
        return snapshot.rows.filter { $0.worker.state == filter }
    }

    func header(_ snapshot: TopSnapshot, burn: Double?) -> [String] {
        guard let session = snapshot.session else { return [bold("bosun top"), ""] }
        let counts = ["running", "waiting", "queued"].map { "\(snapshot.count($0)) \($0)" }
            + ["\(snapshot.rows.filter(\.worker.isTerminal).count) ended"]
        let queue = snapshot.rows.compactMap { row in row.queuePosition.map { ($0, row.worker.id) } }.sorted { $0.0 < $1.0 }
        return [
            bold(fit("bosun top  session \(session.id)  cap \(session.maxConcurrentWorkers)  \(counts.joined(separator: ", "))  \(clock(snapshot.takenAt))")),
            fit("spend \(String(format: "$%.4f", snapshot.totalCostUSD))  burn \(burn.map { String(format: "$%.4f/min", $0) } ?? "—")  "
                + "\(snapshot.totalTokens) tokens  \(session.workspaceRoot)"),
            fit("queue: " + (queue.isEmpty ? "empty" : queue.map { "\($0.0). \($0.1)" }.joined(separator: "  "))),
        ]
    }

    func footer(_ view: TopViewState) -> String {
        if let id = view.confirmingCancelOf { return bold(fit("cancel \(id)? y/n")) }
        if let (ask, text) = view.answering { return bold(fit(answerPrompt(ask, typed: text))) }
        let keys = "↑↓ move  enter events  f filter: \(view.filter ?? "all")  a answer  c cancel  q quit"
        return fit(view.message.isEmpty ? keys : keys + "  ·  " + view.message)
    }

    func line(for row: TopSnapshot.Row, at now: Date, selected: Bool) -> String {
        let worker = row.worker
        let elapsed = row.elapsed(at: now)
        let state = worker.state + (row.queuePosition.map { " #\($0)" } ?? "")
        let waited = row.waited(at: now)
        let task = row.pendingAsk.map(askSummary) ?? oneLine(worker.task)
        var cells = columns([selected ? "›" : "", worker.id, state, worker.role, worker.model, "\(worker.steps)",
                             "\(worker.inputTokens + worker.outputTokens)", String(format: "$%.4f", worker.costUSD),
                             duration(elapsed), waited > 0 ? duration(waited) : "",
                             bar(elapsed, of: worker.state == "queued" ? nil : row.timeoutSeconds), changedFiles(row), task])
        cells = fit(cells)
        guard colour else { return cells }
        if selected { return "\u{1b}[7m" + cells + "\u{1b}[0m" }
        guard let code = Self.stateColours[worker.state], let range = cells.range(of: " " + worker.state) else { return cells }
        return cells.replacingCharacters(in: range, with: " \u{1b}[\(code)m\(worker.state)\u{1b}[0m")
    }

    /// A pending ask on the events page: what it asks, about which tool call, its choices.
    func askLines(_ ask: Ask, waited: TimeInterval) -> [String] {
        var lines = [bold("\(ask.kind.rawValue) \(ask.askId), waiting \(duration(waited)): \(oneLine(ask.question))")]
        if let tool = ask.tool { lines.append("  \(tool) \(ask.input.map(compact) ?? "")") }
        if ask.kind == .question, let options = ask.options {
            lines.append("  options: " + options.enumerated().map { "\($0.offset + 1). \($0.element.label)" }.joined(separator: "  "))
        }
        return lines
    }

    /// The keys that answer `ask`, or the text typed so far for a free question.
    func answerPrompt(_ ask: Ask, typed: String) -> String {
        switch (ask.kind, ask.options) {
        case (.permission, _):
            let keys: [AskDecision: String] = [.allow: "a allow once", .allowAlways: "A allow always", .deny: "d deny"]
            return "answer \(ask.askId) (\(ask.tool ?? "permission")): "
                + ask.offeredDecisions.compactMap { keys[$0] }.joined(separator: "  ") + "  esc back"
        case (.question, let options?):
            return "answer \(ask.askId): " + options.enumerated().map { "\($0.offset + 1) \($0.element.label)" }.joined(separator: "  ")
                + "  d decline  esc back"
        case (.question, nil):
            return "answer \(ask.askId) (\(oneLine(ask.question))): \(typed)█  enter send  esc back"
        }
    }

    /// A pending ask in the task column: the call a permission is about
    /// (`asks: run_command {"command":["make"]}`), or the question with its options' ids
    /// (`asks: Which database? [postgres|sqlite]`).
    func askSummary(_ ask: Ask) -> String {
        switch ask.kind {
        case .permission:
            return "asks: " + [ask.tool ?? "a tool call", ask.input.map(compact)].compactMap { $0 }.joined(separator: " ")
        case .question:
            return "asks: " + oneLine(ask.question) + (ask.options.map { " [" + $0.map(\.id).joined(separator: "|") + "]" } ?? "")
        }
    }

    /// JSON on one line, as short as it goes.
    func compact<Value: Encodable>(_ value: Value) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
    }

    /// A writing worker's changed-file count, marked by where its changes stand: `3` waits for
    /// review, `3 applied`, `3 discarded`, `3 conflicted`; empty for a worker without a layer.
    func changedFiles(_ row: TopSnapshot.Row) -> String {
        guard let changes = row.changes else { return "" }
        return "\(changes.files.count)" + (changes.state == .pending ? "" : " \(changes.state.rawValue)")
    }

    /// Fixed-width columns; the last (the task) takes what is left.
    func columns(_ cells: [String]) -> String {
        let widths = [1, 20, 15, 12, 10, 5, 8, 9, 8, 8, 12, 12]
        return zip(cells, widths).map { $0.0.padding($0.1) }.joined(separator: " ") + " " + (cells.last ?? "")
    }

    /// Ten cells of elapsed time against the timeout, and the percentage.
    func bar(_ elapsed: TimeInterval, of timeout: Double?) -> String {
        guard let timeout, timeout > 0 else { return "" }
        let fraction = min(elapsed / timeout, 1)
        let filled = Int((fraction * 8).rounded())
        return String(repeating: "#", count: filled) + String(repeating: ".", count: 8 - filled) + String(format: "%3d%%", Int(fraction * 100))
    }

    func duration(_ seconds: TimeInterval) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        if seconds < 3600 { return "\(Int(seconds) / 60)m\(String(format: "%02d", Int(seconds) % 60))s" }
        return "\(Int(seconds) / 3600)h\(String(format: "%02d", Int(seconds) % 3600 / 60))m"
    }

    func clock(_ date: Date) -> String {
        let seconds = Int(date.timeIntervalSince1970) % 86_400
        return String(format: "%02d:%02d:%02dZ", seconds / 3600, seconds % 3600 / 60, seconds % 60)
    }

    func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    }

    func fit(_ text: String) -> String {
        text.count > width ? String(text.prefix(max(width - 1, 0))) + "…" : text
    }

    func bold(_ text: String) -> String { colour ? "\u{1b}[1m" + text + "\u{1b}[0m" : text }
}

extension String {
    /// Left-aligned in `width` characters (cut when longer), for table cells.
    func padding(_ width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }
}
