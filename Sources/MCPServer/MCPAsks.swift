import BosunJSON
import BosunProtocol
import BosunServer
import Synchronization

/// The session's asks on an MCP connection. Each ask that goes to the client is kept while
/// it is pending, so a call that waits for its worker can stop when the worker asks and show
/// the ask (`firstAsk`); for a 2025-11-25 client that takes form elicitation, each is also
/// sent as `elicitation/create` and the client's answer answers it (`ClientAsks`).
final class MCPAsks: Sendable {
    private struct State {
        /// Asks to the client still pending, by worker.
        var pending: [String: [Ask]] = [:]
        /// Calls waiting for a worker's first pending ask, by worker.
        var watchers: [String: [UInt64: CheckedContinuation<Void, Never>]] = [:]
        var nextWatcher: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Sends `elicitation/create` (2025-11-25, a client that takes forms); nil otherwise.
    private let elicitations: ClientAsks?

    init(elicitations: ClientAsks?) {
        self.elicitations = elicitations
    }

    /// 2025-11-25's way to ask the client: `elicitation/create` with the ask as a form.
    static let elicitation = ClientAsks.Channel(method: "elicitation/create", params: { MCPAskForm.request($0) },
                                                answer: { ask, result in try MCPAskForm.answer(ask, result: result) })

    /// Whether the client hears of asks by itself (elicitation), so a waiting call need not stop for them.
    var asksInBand: Bool { elicitations != nil }

    /// Sees every session event: keeps the client's pending asks, wakes who waits for one.
    func observe(_ event: SessionEvent) {
        if let (ask, route) = event.ask, route == .client {
            let woken = state.withLock { state in
                if !state.pending[ask.workerId, default: []].contains(where: { $0.askId == ask.askId }) {
                    state.pending[ask.workerId, default: []].append(ask)
                }
                return state.watchers.removeValue(forKey: ask.workerId).map { Array($0.values) } ?? []
            }
            woken.forEach { $0.resume() }
        } else if let answer = event.answer {
            state.withLock { state in
                for (workerId, asks) in state.pending where asks.contains(where: { $0.askId == answer.askId }) {
                    state.pending[workerId] = asks.filter { $0.askId != answer.askId }
                    if state.pending[workerId]?.isEmpty == true { state.pending[workerId] = nil }
                }
            }
        } else if case .worker(let event) = event, event.isTerminal {
            state.withLock { _ = $0.pending.removeValue(forKey: event.workerId) }
        }
        elicitations?.observe(event)
    }

    /// The session is open: asks go to the client from now on.
    func start(_ operations: any SessionOperations) {
        elicitations?.start(operations)
    }

    /// The worker's asks to the client that wait for an answer.
    func pending(of workerId: String) -> [Ask] {
        state.withLock { $0.pending[workerId] ?? [] }
    }

    /// Returns once the worker has an ask to the client pending (at once if it has one), or
    /// when the calling task is cancelled.
    func firstAsk(of workerId: String) async {
        let id = state.withLock { state -> UInt64? in
            guard state.pending[workerId]?.isEmpty ?? true else { return nil }
            defer { state.nextWatcher += 1 }
            return state.nextWatcher
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    if !(state.pending[workerId]?.isEmpty ?? true) || Task.isCancelled { return true }
                    state.watchers[workerId, default: [:]][id] = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.watchers[workerId]?.removeValue(forKey: id) }?.resume()
        }
    }
}
