import Synchronization

/// A value set once and awaited by any number of tasks: the first `fulfil` wins, every
/// waiter (before or after it) gets that value, and later `fulfil`s change nothing. For an
/// outcome raced by several sources (a result against a cancellation, the first of several
/// signals), use a `Result` or `Void` value.
public final class Promise<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [CheckedContinuation<Value, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Sets the value unless it is set already; says whether this call set it.
    @discardableResult
    public func fulfil(_ value: Value) -> Bool {
        let waiters = state.withLock { state -> [CheckedContinuation<Value, Never>]? in
            guard state.value == nil else { return nil }
            state.value = value
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: value) }
        return true
    }

    /// The value, once it is set. Cancelling the waiting task does not end the wait.
    public var value: Value {
        get async {
            await withCheckedContinuation { continuation in
                let known = state.withLock { state -> Value? in
                    if let value = state.value { return value }
                    state.waiters.append(continuation)
                    return nil
                }
                if let known { continuation.resume(returning: known) }
            }
        }
    }
}
