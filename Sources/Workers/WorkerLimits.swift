import BosunJSON
import Foundation

/// The bounds of one run of a worker (a spawn, or a resume by `steer`). Usage reported to
/// clients keeps counting across runs; these bounds apply afresh to each run, so a worker
/// stopped by a limit can be steered on.
public struct WorkerLimits: Sendable, Hashable, Codable {
    public var timeoutSeconds: Double
    /// Model calls, an invalid `submit_result` included; provider retries are not steps.
    public var maxSteps: Int
    /// Input, output and cache-read tokens summed over every call of the run.
    public var maxTokens: Int
    public var maxCostUSD: Double

    public init(timeoutSeconds: Double, maxSteps: Int, maxTokens: Int, maxCostUSD: Double) {
        self.timeoutSeconds = timeoutSeconds
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.maxCostUSD = maxCostUSD
    }
}

/// What a worker produced: the input of its accepted `submit_result`.
public struct WorkerResult: Sendable, Hashable, Codable {
    public var text: String
    /// The whole submission, when the brief asked for a JSON Schema.
    public var structured: JSONValue?
    public var sources: [String]?

    public init(text: String, structured: JSONValue? = nil, sources: [String]? = nil) {
        self.text = text
        self.structured = structured
        self.sources = sources
    }
}

/// Why a worker ended without a result: a worker's `error` on the wire (`WorkerError`).
public struct WorkerFailure: Error, Sendable, Hashable, Codable {
    /// `max_steps`, `max_tokens`, `max_cost`, `session_budget`, `provider_error`, `tool_error`, `dependency_failed`, …
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// A program a command names is nowhere on the sandbox's PATH: the setup's problem, so the
    /// worker ends with it instead of being told it erred, and no retry runs it again.
    public static let commandNotFound = "command_not_found"
}
