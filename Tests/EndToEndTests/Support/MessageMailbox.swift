import BosunJSON
import Synchronization

/// Messages from the server, sorted into responses (by id) and notifications, each
/// awaitable with a timeout. Filled by a reader thread, drained by async tests.
final class MessageMailbox: Sendable {
    private struct Waiter {
        let number: Int
        let continuation: CheckedContinuation<JSONValue?, Never>
    }

    private struct State {
        var responses: [JSONValue: JSONValue] = [:]
        var notifications: [JSONValue] = []
        var responseWaiters: [JSONValue: Waiter] = [:]
        var notificationWaiters: [(method: String?, waiter: Waiter)] = []
        var nextWaiter = 0
        var closed = false
    }

    private let state = Mutex(State())

    func deliver(_ message: JSONValue) {
        let waiter: Waiter? = state.withLock { state in
            if message["method"] == nil {
                let id = message["id"] ?? .null
                if let waiter = state.responseWaiters.removeValue(forKey: id) { return waiter }
                state.responses[id] = message
                return nil
            }
            let method = message["method"]?.stringValue
            if let index = state.notificationWaiters.firstIndex(where: { $0.method == nil || $0.method == method }) {
                return state.notificationWaiters.remove(at: index).waiter
            }
            state.notifications.append(message)
            return nil
        }
        waiter?.continuation.resume(returning: message)
    }

    /// Wakes every waiter with nil: the server's output ended.
    func close() {
        let waiters: [Waiter] = state.withLock { state in
            state.closed = true
            defer {
                state.responseWaiters = [:]
                state.notificationWaiters = []
            }
            return Array(state.responseWaiters.values) + state.notificationWaiters.map(\.waiter)
        }
        waiters.forEach { $0.continuation.resume(returning: nil) }
    }

    func response(id: JSONValue, timeout: Duration) async -> JSONValue? {
        await wait(timeout: timeout) { state, waiter in
            if let message = state.responses.removeValue(forKey: id) { return message }
            if let waiter { state.responseWaiters[id] = waiter }
            return nil
        } expire: { state, number in
            guard state.responseWaiters[id]?.number == number else { return nil }
            return state.responseWaiters.removeValue(forKey: id)
        }
    }

    func notification(method: String?, timeout: Duration) async -> JSONValue? {
        await wait(timeout: timeout) { state, waiter in
            if let index = state.notifications.firstIndex(where: { method == nil || $0["method"]?.stringValue == method }) {
                return state.notifications.remove(at: index)
            }
            if let waiter { state.notificationWaiters.append((method, waiter)) }
            return nil
        } expire: { state, number in
            guard let index = state.notificationWaiters.firstIndex(where: { $0.waiter.number == number }) else { return nil }
            return state.notificationWaiters.remove(at: index).waiter
        }
    }

    /// Every notification received and not yet taken.
    var pendingNotifications: [JSONValue] { state.withLock { $0.notifications } }

    /// `take` returns a message that is already there, or registers the waiter (when given)
    /// and returns nil; `expire` removes the waiter again if it is still registered.
    private func wait(
        timeout: Duration,
        take: @escaping @Sendable (inout State, Waiter?) -> JSONValue?,
        expire: @escaping @Sendable (inout State, Int) -> Waiter?
    ) async -> JSONValue? {
        await withCheckedContinuation { continuation in
            let outcome: (message: JSONValue?, number: Int?) = state.withLock { state in
                if let message = take(&state, nil) { return (message, nil) }
                if state.closed { return (nil, nil) }
                state.nextWaiter += 1
                _ = take(&state, Waiter(number: state.nextWaiter, continuation: continuation))
                return (nil, state.nextWaiter)
            }
            guard let number = outcome.number else { return continuation.resume(returning: outcome.message) }
            Task {
                try? await Task.sleep(for: timeout) // the deadline, not a wait: the message comes first
                state.withLock { expire(&$0, number) }?.continuation.resume(returning: nil)
            }
        }
    }
}
