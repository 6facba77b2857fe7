/// What happens to a message that arrived, decided in arrival order.
public enum Admission: Sendable {
    case proceed
    /// Answer a request with this error (a rejected notification is dropped).
    case reject(RPCError)
    /// First await this on the request's own task, then proceed, or answer with the error
    /// it returns. Lets requests sent right behind `initialize` wait for it to finish.
    case proceedAfter(@Sendable () async -> RPCError?)
}

/// A policy consulted for every request and notification before it is dispatched: the
/// server's lifecycle (nothing before `initialize`, nothing after `shutdown`) lives here,
/// outside the transport.
public protocol RequestGate: Sendable {
    /// Called on the reader thread in the order messages arrived; must not block.
    func admit(method: String, isNotification: Bool) -> Admission

    /// Called once for every request the gate admitted, when its answer is ready and before
    /// it is written, however it ended: a handler that threw, params that did not decode, a
    /// cancellation. A gate that waits for one request's outcome (the lifecycle waiting for
    /// `initialize`) learns it here, so no failure can leave it waiting forever.
    func answered(method: String, succeeded: Bool)
}
