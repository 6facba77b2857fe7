import JSONRPC

/// bosun's own error codes (DESIGN §3), in JSON-RPC's server range -32000…-32099.
extension RPCError {
    /// No worker with that id in this session.
    public static let unknownWorker = -32010
    /// The worker's state does not allow this (steering a queued worker, …).
    public static let invalidWorkerState = -32011
    /// No role, model or provider by that name.
    public static let unknownName = -32012
    /// The session's cost budget is spent.
    public static let budgetExhausted = -32013
}
