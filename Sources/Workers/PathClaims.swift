import Foundation

/// The answer to a write claim.
public enum ClaimOutcome: Sendable, Hashable {
    case granted
    /// Another worker holds the path until `until`.
    case heldBy(holder: String, sessionId: String, until: Date)
}

/// Exclusive, leased claims on paths, so two workers never write the same file.
public protocol PathClaims: Sendable {
    func claim(path: String, holder: String, sessionId: String, lease: TimeInterval) async throws -> ClaimOutcome
    /// Drops every claim of `holder` (a worker that ended).
    func releaseClaims(holder: String) async throws
}

/// Claims held in this process only, for a registry without a trace store (exclusive
/// between this process's workers, invisible to other processes).
public actor InMemoryClaims: PathClaims {
    private var claims: [String: (holder: String, sessionId: String, until: Date)] = [:]

    public init() {}

    public func claim(path: String, holder: String, sessionId: String, lease: TimeInterval) -> ClaimOutcome {
        let now = Date()
        if let current = claims[path], current.holder != holder, current.until > now {
            return .heldBy(holder: current.holder, sessionId: current.sessionId, until: current.until)
        }
        claims[path] = (holder, sessionId, now.addingTimeInterval(max(lease, 0)))
        return .granted
    }

    public func releaseClaims(holder: String) {
        claims = claims.filter { $0.value.holder != holder }
    }
}
