import ArgumentParser
import BosunProtocol
import Foundation
import TraceStore

/// `bosun top`: a live view of a session's workers, read from the trace store that the
/// `bosun serve` running them writes, so it works from any other terminal.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "Watch a running session's workers live, from another terminal.",
        discussion: """
            One row per worker: state (with its place in the queue), role, model, steps, tokens, cost, \
            elapsed running time and a bar of it against the worker's timeout, the time it waited for answers, the \
            ask a waiting worker waits on, and a writing worker's changed-file count \
            (with its review state once applied, discarded or conflicted; enter lists the files); above them the session's spend, its \
            burn rate over the last minute, and the queue in order. Keys: ↑/↓ or k/j move, enter shows the \
            selected worker's events (esc goes back), f cycles the state filter, c then y cancels the selected \
            worker (through the store; the owning bosun serve acts within a second), a answers the selected \
            worker's pending ask (a allow, A allow always, d deny; an option's number or d for a question with \
            options; typed text and enter for a free question), q quits. Colours follow \
            NO_COLOR. When stdout is not a terminal, top prints the table once, plain, and exits.
            """)

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("The session to watch (default: the most recently opened one, followed as new ones open).",
                               valueName: "SESSION"))
    var session: String?
    @Option(help: ArgumentHelp("Seconds between reads of the store.", valueName: "SECONDS"))
    var interval: Double = 0.25

    func validate() throws {
        guard (0.05...60).contains(interval) else {
            throw ValidationError("--interval must be between 0.05 and 60 seconds; got \(interval).")
        }
    }

    func run() async throws {
        try await store.withStore { store in
            if TopTerminal.isInteractive {
                try await TopSession(store: store, sessionId: session, interval: .milliseconds(Int(interval * 1000))).run()
            } else {
                var timeouts: [String: Double] = [:]
                let snapshot = try await TopSnapshot.load(from: store, sessionId: session, timeouts: &timeouts)
                let lines = TopScreen(width: 200, height: 0, colour: false).plainLines(snapshot).filter { !$0.isEmpty }
                try emit(lines.joined(separator: "\n") + "\n", to: nil)
            }
        }
    }
}

/// One interactive `top`: reads the store, draws, and handles keys until `q`.
struct TopSession {
    let store: TraceStore
    let sessionId: String?
    let interval: Duration

    func run() async throws {
        let terminal = TopTerminal()
        terminal.enter()
        defer { terminal.restore() }
        let colour = (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        var view = TopViewState()
        var timeouts: [String: Double] = [:]
        var burn = BurnRate(sessionId: nil)
        var pending: PendingControl?
        while true {
            let snapshot = try await TopSnapshot.load(from: store, sessionId: sessionId, timeouts: &timeouts)
            if snapshot.session?.id != burn.sessionId { burn = BurnRate(sessionId: snapshot.session?.id) }
            burn.add(snapshot)
            if let control = pending, let message = try await control.settled(in: store) {
                view.message = message
                pending = nil
            }
            let size = TopTerminal.size()
            let screen = TopScreen(width: size.columns, height: size.rows, colour: colour)
            let rows = screen.visibleRows(snapshot, view: view)
            if view.selectedId == nil || !rows.contains(where: { $0.worker.id == view.selectedId }) {
                view.selectedId = rows.first?.worker.id
            }
            switch view.page {
            case .workers:
                terminal.draw(screen.workerLines(snapshot, burn: burn.perMinute, view: view))
            case .events(let workerId):
                let row = snapshot.rows.first { $0.worker.id == workerId }
                var events: [EventRecord] = []
                if let worker = row?.worker {
                    events = try await store.events(sessionId: worker.sessionId, workerId: worker.id, afterSeq: nil, limit: 0)
                }
                terminal.draw(screen.eventLines(snapshot, burn: burn.perMinute, row: row, events: events, view: view))
            }
            for key in terminal.keys(timeout: interval) {
                switch handle(key, view: &view, rows: rows) {
                case .quit: return
                case .cancel(let workerId):
                    do {
                        let request = try await store.requestControl(workerId: workerId, action: .cancel, reason: "from bosun top")
                        pending = PendingControl(request: request, what: "cancel of \(workerId)", done: "cancelled",
                                                 doneMessage: "cancelled \(workerId)")
                        view.message = "cancel of \(workerId) requested"
                    } catch {
                        view.message = "cannot request the cancel: \(error)"
                    }
                case .answer(let answer, let workerId):
                    do {
                        let payload = String(decoding: try JSONEncoder().encode(answer), as: UTF8.self)
                        let request = try await store.requestAnswer(askId: answer.askId, payload: payload)
                        pending = PendingControl(request: request, what: "answer to \(answer.askId)", done: "answered",
                                                 doneMessage: "answered \(answer.askId) of \(workerId)")
                        view.message = "answer to \(answer.askId) sent"
                    } catch {
                        view.message = "cannot send the answer: \(error)"
                    }
                case .none: break
                }
            }
        }
    }

    enum Action { case none, quit, cancel(String), answer(AnswerParams, workerId: String) }

    /// Applies one key to the view; returns what `run` must do beyond redrawing.
    func handle(_ key: TopKey, view: inout TopViewState, rows: [TopSnapshot.Row]) -> Action {
        if let target = view.confirmingCancelOf {
            view.confirmingCancelOf = nil
            if key == .character("y") || key == .character("Y") { return .cancel(target) }
            view.message = "cancel of \(target) abandoned"
            return .none
        }
        if view.answering != nil { return answerKey(key, view: &view) }
        if case .events(let workerId) = view.page {
            if key == .escape || key == .character("q") || key == .enter { view.page = .workers }
            if key == .character("a") { startAnswer(rows.first { $0.worker.id == workerId }, view: &view) }
            if key == .quit { return .quit }
            return .none
        }
        let index = rows.firstIndex { $0.worker.id == view.selectedId } ?? 0
        switch key {
        case .quit, .character("q"): return .quit
        case .up, .character("k"): view.selectedId = rows[safe: index - 1]?.worker.id ?? view.selectedId
        case .down, .character("j"): view.selectedId = rows[safe: index + 1]?.worker.id ?? view.selectedId
        case .enter: if let id = view.selectedId { view.page = .events(workerId: id) }
        case .character("f"): view.filterIndex = (view.filterIndex + 1) % TopViewState.filters.count
        case .character("F"): view.filterIndex = (view.filterIndex + TopViewState.filters.count - 1) % TopViewState.filters.count
        case .character("a"): startAnswer(rows[safe: index], view: &view)
        case .character("c"):
            guard let row = rows[safe: index] else { break }
            if row.worker.isTerminal {
                view.message = "\(row.worker.id) has already ended (\(row.worker.state))"
            } else {
                view.confirmingCancelOf = row.worker.id
            }
        default: break
        }
        return .none
    }
}

extension TopSession {
    /// `a`: answers the worker's pending ask, or says it has none.
    func startAnswer(_ row: TopSnapshot.Row?, view: inout TopViewState) {
        guard let row else { return }
        guard let ask = row.pendingAsk else {
            view.message = "\(row.worker.id) has no pending ask (\(row.worker.state))"
            return
        }
        view.answering = (ask, "")
    }

    /// A key while an ask is being answered: a decision for a permission, an option's number
    /// (or `d` to decline) for a question with options, typed text for a free question.
    func answerKey(_ key: TopKey, view: inout TopViewState) -> Action {
        guard let (ask, typed) = view.answering else { return .none }
        switch key {
        case .quit: return .quit
        case .escape:
            view.answering = nil
            view.message = "answer to \(ask.askId) abandoned"
            return .none
        default: break
        }
        let answer: AnswerParams
        switch (ask.kind, ask.options) {
        case (.permission, _):
            let decisions: [Character: AskDecision] = ["a": .allow, "A": .allowAlways, "d": .deny]
            guard case .character(let typedKey) = key, let decision = decisions[typedKey],
                  ask.offeredDecisions.contains(decision) else { return .none }
            answer = AnswerParams(askId: ask.askId, decision: decision)
        case (.question, let options?):
            guard case .character(let typedKey) = key else { return .none }
            if typedKey == "d" {
                answer = AnswerParams(askId: ask.askId, decision: .deny)
            } else {
                guard let number = typedKey.wholeNumberValue, let option = options[safe: number - 1] else { return .none }
                answer = AnswerParams(askId: ask.askId, text: option.id)
            }
        case (.question, nil):
            switch key {
            case .character(let character): view.answering?.text.append(character)
            case .backspace: if !typed.isEmpty { view.answering?.text.removeLast() }
            default: break
            }
            let text = typed.trimmingCharacters(in: .whitespaces)
            guard key == .enter, !text.isEmpty else { return .none }
            answer = AnswerParams(askId: ask.askId, text: text)
        }
        view.answering = nil
        return .answer(answer, workerId: ask.workerId)
    }
}

/// A request `top` wrote to the store, until the owning `bosun serve` takes it (or 5 s pass
/// and it is withdrawn, so it never fires later).
struct PendingControl {
    var request: ControlRequest
    var until = ContinuousClock.now + .seconds(5)
    /// What it asks for, as messages name it: "cancel of w_…", "answer to a_…".
    var what: String
    /// The owner's outcome when it did it, and what `top` then says.
    var done: String
    var doneMessage: String

    /// What to say once it has settled; nil while it waits.
    func settled(in store: TraceStore) async throws -> String? {
        switch try await store.controlStatus(id: request.id) {
        case .handled(let outcome):
            return said(outcome)
        case .pending where ContinuousClock.now > until:
            if case .handled(let outcome) = try await store.withdrawControl(id: request.id) { return said(outcome) }
            return "no running bosun serve owns \(request.workerId); \(what) withdrawn"
        case .pending, .missing:
            return nil
        }
    }

    private func said(_ outcome: String) -> String {
        outcome == done ? doneMessage : "\(what) refused: \(outcome)"
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
