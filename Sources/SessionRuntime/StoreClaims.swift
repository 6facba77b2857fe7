import Foundation
import TraceStore
import Workers

/// Path claims in the trace store: exclusive across workers and across bosun processes that
/// share the store file. The session's tool registry gets these; Workers itself knows only
/// `PathClaims`.
struct StoreClaims: PathClaims {
    let store: TraceStore

    func claim(path: String, holder: String, sessionId: String, lease: TimeInterval) async throws -> ClaimOutcome {
        switch try await store.claim(path: path, holder: holder, sessionId: sessionId, lease: lease) {
        case .granted: return .granted
        case .heldBy(let record): return .heldBy(holder: record.holder, sessionId: record.sessionId, until: record.leaseExpiresAt)
        }
    }

    func releaseClaims(holder: String) async throws {
        try await store.releaseClaims(holder: holder)
    }
}
