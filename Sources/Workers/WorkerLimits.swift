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
    /// How long one ask may wait for an answer before it is answered `deny`. Waiting does
    /// not count against `timeoutSeconds`.
    public var maxWaitSeconds: Double

    public static let defaultMaxWaitSeconds = 3600.0

    public init(timeoutSeconds: Double, maxSteps: Int, maxTokens: Int, maxCostUSD: Double,
                maxWaitSeconds: Double = defaultMaxWaitSeconds) {
        self.timeoutSeconds = timeoutSeconds
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.maxCostUSD = maxCostUSD
        self.maxWaitSeconds = maxWaitSeconds
    }

    private enum CodingKeys: String, CodingKey { case timeoutSeconds, maxSteps, maxTokens, maxCostUSD, maxWaitSeconds }

    /// Briefs stored before workers could ask have no `maxWaitSeconds`: they get the default.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        timeoutSeconds = try container.decode(Double.self, forKey: .timeoutSeconds)
        maxSteps = try container.decode(Int.self, forKey: .maxSteps)
        maxTokens = try container.decode(Int.self, forKey: .maxTokens)
        maxCostUSD = try container.decode(Double.self, forKey: .maxCostUSD)
        maxWaitSeconds = try container.decodeIfPresent(Double.self, forKey: .maxWaitSeconds) ?? Self.defaultMaxWaitSeconds
    }
}

/// What a worker produced: the input of its accepted `submit_result`.
public typealias WorkerResult = Worker.Result

/// Why a worker ended without a result: a worker's `error` on the wire (`WorkerError`).
public typealias WorkerFailure = Worker.Failure
