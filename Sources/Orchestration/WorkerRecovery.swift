import BosunProtocol
import Config
import Workers

/// What a role's recovery settings make of a run that ended badly: run it again, run it on
/// the next fallback model, or let it end. A value type with no effects, so every case is a
/// row in a table test; `Session+Recovery` carries the decision out.
///
/// Fallback comes first: a provider error on the role's model is an outage of that model,
/// and the next model in `fallbackModels` takes the worker over without spending a retry.
/// When the fallbacks are spent, a provider error can still earn a retry like any other
/// listed reason.
struct WorkerRecovery: Sendable, Hashable {
    enum Decision: Sendable, Hashable {
        /// Run again on the same model; `attempt` counts retries from 1.
        case retry(attempt: Int, of: Int)
        /// Run again on this model alias (or tier).
        case fallback(model: String)
    }

    let retry: RetrySetting?
    let fallbackModels: [String]
    /// Retries already spent by this worker.
    private(set) var retriesUsed = 0
    /// Fallback models already moved to.
    private(set) var fallbacksUsed = 0

    init(retry: RetrySetting?, fallbackModels: [String]) {
        self.retry = retry
        self.fallbackModels = fallbackModels
    }

    init(role: RoleConfig) {
        self.init(retry: role.retry, fallbackModels: role.fallbackModels)
    }

    /// The reason a run's ending goes by in `retry.on`: `timed_out` for a timeout, the
    /// error code of a failure; nil for endings no retry follows (success, cancel, shutdown).
    static func reason(state: WorkerState, failure: WorkerFailure?) -> String? {
        switch state {
        case .timedOut: return "timed_out"
        case .failed: return failure?.code.rawValue
        default: return nil
        }
    }

    /// Decides, and counts what it decided.
    mutating func decide(state: WorkerState, failure: WorkerFailure?) -> Decision? {
        guard let reason = Self.reason(state: state, failure: failure),
              failure?.code != .dependencyFailed, failure?.code != .commandNotFound else { return nil }
        if failure?.code == .providerError, state == .failed, fallbacksUsed < fallbackModels.count {
            fallbacksUsed += 1
            return .fallback(model: fallbackModels[fallbacksUsed - 1])
        }
        guard let retry, retry.on.contains(reason), retriesUsed < retry.attempts else { return nil }
        retriesUsed += 1
        return .retry(attempt: retriesUsed, of: retry.attempts)
    }
}
