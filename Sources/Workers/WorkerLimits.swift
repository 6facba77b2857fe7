import BosunJSON
import BosunProtocol
import Foundation

/// The bounds of one run of a worker (a spawn, or a resume by `steer`). Usage reported to
/// clients keeps counting across runs; these bounds apply afresh to each run, so a worker
/// stopped by a limit can be steered on.
public struct WorkerLimits: Sendable, Hashable, Codable {
    public var timeoutSeconds: Double
    /// Model calls, an invalid `submit_result` included; provider retries are not steps.
    public var maxSteps: Int
    /// Input, output, cache-read and cache-write tokens summed over every call of the run.
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
public typealias WorkerResult = Worker.Result

/// Why a worker ended without a result: a worker's `error` on the wire (`WorkerError`).
public typealias WorkerFailure = Worker.Failure
