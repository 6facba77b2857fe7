/// Why a worker ended without a result: `error.code` of a `Worker` (`FailureCode` in
/// protocol/bosun-1.schema.json). A closed set: every site that makes or matches a code uses
/// this enum, so a client's advice for a code and the code the server writes cannot drift.
public enum FailureCode: String, Codable, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The step limit was reached without an accepted submission.
    case maxSteps = "max_steps"
    /// The run's input, output and cache tokens passed `maxTokens`.
    case maxTokens = "max_tokens"
    /// The run's cost passed `maxCostUSD`.
    case maxCost = "max_cost"
    /// The session spent its budget (`session.maxCostUSD`).
    case sessionBudget = "session_budget"
    /// The model call failed for good, after the client's retries.
    case providerError = "provider_error"
    /// The worker's submission never matched its output schema.
    case invalidOutput = "invalid_output"
    /// A worker in `after` ended without succeeding.
    case dependencyFailed = "dependency_failed"
    /// A tool broke in a way the model cannot act on.
    case toolError = "tool_error"
    /// The worker repeated the same tool call after it was told.
    case stalled
    /// A sandboxed command named a program that is not installed: a configuration error.
    case commandNotFound = "command_not_found"
    /// The worker's role or model is no longer configured.
    case configError = "config_error"
    /// A resumed worker's conversation could not be read back.
    case storeError = "store_error"
    /// The run passed `timeoutSeconds` (the worker's state is `timed_out`).
    case timeout
    /// `cancel`, a cancelled `wait: true` spawn, or a stopped orchestration.
    case cancelled
    /// The server stopped while the worker was queued or running.
    case interrupted

    /// The wire's spelling, so a message that interpolates a code says `max_steps`.
    public var description: String { rawValue }
}
