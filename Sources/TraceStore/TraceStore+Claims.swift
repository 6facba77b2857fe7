import Foundation

extension TraceStore {
    public enum ClaimResult: Sendable, Hashable {
        case granted(ClaimRecord)
        case heldBy(ClaimRecord)
    }

    /// Claims `path` for `holder` for `lease` seconds. Exclusive across workers and across
    /// processes sharing the file: the check and the write happen in one BEGIN IMMEDIATE
    /// transaction. An expired claim is taken over; the same holder claiming again renews.
    public func claim(path: String, holder: String, sessionId: String, lease: TimeInterval) async throws -> ClaimResult {
        try await writer.performWrite { db throws(TraceStoreError) in
            let now = Date()
            let select = try db.prepared("SELECT path, holder, session_id, lease_expires_at FROM claims WHERE path = ?")
            select.bind(1, path)
            let current = try select.rows {
                ClaimRecord(path: $0.string(0), holder: $0.string(1), sessionId: $0.string(2),
                            leaseExpiresAt: TraceSQL.date($0.double(3)))
            }.first
            if let current, current.holder != holder, current.leaseExpiresAt > now {
                return .heldBy(current)
            }
            let expires = TraceSQL.date(now.addingTimeInterval(max(lease, 0)).timeIntervalSince1970)
            let upsert = try db.prepared("INSERT OR REPLACE INTO claims (path, holder, session_id, lease_expires_at) VALUES (?, ?, ?, ?)")
            upsert.bind(1, path)
            upsert.bind(2, holder)
            upsert.bind(3, sessionId)
            upsert.bind(4, expires.timeIntervalSince1970)
            try upsert.run()
            return .granted(ClaimRecord(path: path, holder: holder, sessionId: sessionId, leaseExpiresAt: expires))
        }
    }

    /// Drops every claim `holder` has, expired or not.
    public func releaseClaims(holder: String) async throws {
        try await writer.performWrite { db throws(TraceStoreError) in try TraceSQL.releaseClaims(holder: holder, in: db) }
    }
}
