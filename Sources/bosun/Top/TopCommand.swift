import ArgumentParser
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
            elapsed time and a bar of it against the worker's timeout, and a writing worker's changed-file count \
            (with its review state once applied, discarded or conflicted; enter lists the files); above them the session's spend, its \
            burn rate over the last minute, and the queue in order. Keys: ↑/↓ or k/j move, enter shows the \
            selected worker's events (esc goes back), f cycles the state filter, c then y cancels the selected \
            worker (through the store; the owning bosun serve acts within a second), q quits. Colours follow \
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
        var pendingCancel: (request: ControlRequest, until: ContinuousClock.Instant)?
        while true {
            let snapshot = try await TopSnapshot.load(from: store, sessionId: sessionId, timeouts: &timeouts)
            if snapshot.session?.id != burn.sessionId { burn = BurnRate(sessionId: snapshot.session?.id) }
            burn.add(snapshot)
            if let pending = pendingCancel {
                switch try await store.controlStatus(id: pending.request.id) {
                case .handled(let outcome):
                    view.message = outcome == "cancelled" ? "cancelled \(pending.request.workerId)" : "not cancelled: \(outcome)"
                    pendingCancel = nil
                case .pending where ContinuousClock.now > pending.until:
                    if case .handled(let outcome) = try await store.withdrawControl(id: pending.request.id) {
                        view.message = outcome == "cancelled" ? "cancelled \(pending.request.workerId)" : "not cancelled: \(outcome)"
                    } else {
                        view.message = "no running bosun serve owns \(pending.request.workerId); cancel withdrawn"
                    }
                    pendingCancel = nil
                case .pending, .missing:
                    break
                }
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
                        pendingCancel = (request, ContinuousClock.now + .seconds(5))
                        view.message = "cancel of \(workerId) requested"
                    } catch {
                        view.message = "cannot request the cancel: \(error)"
                    }
                case .none: break
                }
            }
        }
    }

    enum Action { case none, quit, cancel(String) }

    /// Applies one key to the view; returns what `run` must do beyond redrawing.
    func handle(_ key: TopKey, view: inout TopViewState, rows: [TopSnapshot.Row]) -> Action {
        if let target = view.confirmingCancelOf {
            view.confirmingCancelOf = nil
            if key == .character("y") || key == .character("Y") { return .cancel(target) }
            view.message = "cancel of \(target) abandoned"
            return .none
        }
        if case .events = view.page {
            if key == .escape || key == .character("q") || key == .enter { view.page = .workers }
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

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
