import Foundation

/// A session with totals over its workers, for listings.
public struct SessionSummary: Sendable, Hashable {
    public var session: SessionRecord
    public var workerCount: Int
    /// Worker count per state, e.g. `["succeeded": 3, "failed": 1]`.
    public var countsByState: [String: Int]
    public var inputTokens: Int
    public var outputTokens: Int
    public var costUSD: Double
    /// The session's `orchestrate` calls per state, e.g. `["failed": 1]`: the outcome a reader
    /// wants first, which its workers' states do not tell.
    public var orchestrationsByState: [String: Int] = [:]
}

extension TraceStore {
    /// Every session with its worker totals, most recently opened first.
    public func sessionSummaries() async throws -> [SessionSummary] {
        try await writer.perform { db throws(TraceStoreError) in
            let sessions = try db.prepared("SELECT \(TraceSQL.sessionColumns) FROM sessions ORDER BY last_opened_at DESC, rowid DESC")
                .rows(TraceSQL.session)
            let totals = try db.prepared("""
                SELECT session_id, state, COUNT(*), SUM(input_tokens), SUM(output_tokens), SUM(cost_usd) \
                FROM workers GROUP BY session_id, state
                """)
            var summaries = Dictionary(uniqueKeysWithValues: sessions.map {
                ($0.id, SessionSummary(session: $0, workerCount: 0, countsByState: [:], inputTokens: 0, outputTokens: 0, costUSD: 0))
            })
            for row in try totals.rows({ ($0.string(0), $0.string(1), $0.int(2), $0.int(3), $0.int(4), $0.double(5)) }) {
                guard var summary = summaries[row.0] else { continue }
                summary.countsByState[row.1] = row.2
                summary.workerCount += row.2
                summary.inputTokens += row.3
                summary.outputTokens += row.4
                summary.costUSD += row.5
                summaries[row.0] = summary
            }
            let orchestrations = try db.prepared("SELECT session_id, state, COUNT(*) FROM orchestrations GROUP BY session_id, state")
            for row in try orchestrations.rows({ ($0.string(0), $0.string(1), $0.int(2)) }) {
                summaries[row.0]?.orchestrationsByState[row.1] = row.2
            }
            return sessions.compactMap { summaries[$0.id] }
        }
    }

    /// Deletes sessions not opened since `olderThan`, with their workers, events, messages
    /// and claims, except those a live process holds (`holdSession`): a running server's
    /// session stays whole however old it is.
    public func prune(olderThan: Date) async throws -> PruneReport {
        let cutoff = olderThan.timeIntervalSince1970
        return try await writer.perform { db throws(TraceStoreError) in
            let report = try db.writeTransaction { () throws(TraceStoreError) -> PruneReport in
                let held = try Self.heldSessions(in: db, now: Date())
                let old = try db.prepared("SELECT id FROM sessions WHERE last_opened_at < ?")
                old.bind(1, cutoff)
                let candidates = try old.rows { $0.string(0) }
                try db.execute("CREATE TEMP TABLE IF NOT EXISTS pruned (id TEXT PRIMARY KEY); DELETE FROM temp.pruned")
                let mark = try db.prepared("INSERT INTO temp.pruned VALUES (?)")
                for id in candidates where !held.contains(id) {
                    mark.bind(1, id)
                    try mark.run()
                }
                try db.execute("""
                    DELETE FROM messages WHERE worker_id IN (SELECT id FROM workers WHERE session_id IN (SELECT id FROM temp.pruned));
                    DELETE FROM events WHERE session_id IN (SELECT id FROM temp.pruned);
                    DELETE FROM claims WHERE session_id IN (SELECT id FROM temp.pruned);
                    DELETE FROM controls WHERE session_id IN (SELECT id FROM temp.pruned);
                    DELETE FROM asks WHERE session_id IN (SELECT id FROM temp.pruned);
                    DELETE FROM session_approvals WHERE session_id IN (SELECT id FROM temp.pruned);
                    DELETE FROM orchestrations WHERE session_id IN (SELECT id FROM temp.pruned);
                    DELETE FROM workers WHERE session_id IN (SELECT id FROM temp.pruned);
                    DELETE FROM sessions WHERE id IN (SELECT id FROM temp.pruned);
                    DELETE FROM temp.pruned;
                    """)
                let skipped = candidates.filter(held.contains).sorted()
                return PruneReport(removed: candidates.count - skipped.count, skippedHeld: skipped)
            }
            if report.removed > 0 { try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
            return report
        }
    }

    /// Runs SQLite's `integrity_check` and returns its report lines (`["ok"]` when sound).
    public func integrityCheck() async throws -> [String] {
        try await writer.perform { db throws(TraceStoreError) in
            try db.prepared("PRAGMA integrity_check").rows { $0.string(0) }
        }
    }
}
