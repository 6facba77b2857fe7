import Foundation
import Synchronization

/// The money a whole session may spend on model calls (`session.maxCostUSD`), shared by
/// every running worker of the session. Each loop charges a call's cost the moment the
/// reply arrives and checks the budget before it starts a call, under one lock and without
/// visiting the session actor. So a call starts only while the session is under budget,
/// and the spend can pass the budget only by the calls that were already in flight.
public final class SessionBudget: Sendable {
    /// Nil: the session has no budget, and nothing is ever refused.
    public let limitUSD: Double?
    private let spent: Mutex<Double>

    /// `spentUSD` is what the session spent before (a resumed session's stored costs).
    public init(limitUSD: Double?, spentUSD: Double = 0) {
        self.limitUSD = limitUSD
        spent = Mutex(spentUSD)
    }

    public var spentUSD: Double { spent.withLock { $0 } }

    /// Adds one call's cost, whatever happens to the worker afterwards: the money is spent.
    public func charge(_ costUSD: Double) {
        guard costUSD > 0 else { return }
        spent.withLock { $0 += costUSD }
    }

    /// Whether the session has spent its budget; then no model call may start.
    public var isSpent: Bool {
        guard let limitUSD else { return false }
        return spentUSD >= limitUSD
    }

    /// Why a worker stops: the session's budget is spent. Nil while it is not.
    public func exhaustion() -> WorkerFailure? {
        guard let limitUSD else { return nil }
        let spent = spentUSD
        guard spent >= limitUSD else { return nil }
        return WorkerFailure(code: .sessionBudget, message: """
            The session has spent $\(String(format: "%.4f", spent)) of its $\(limitUSD) budget (session.maxCostUSD), \
            so this worker makes no more model calls. Raise session.maxCostUSD in the config and resume the session, \
            then steer the worker to continue.
            """)
    }
}
