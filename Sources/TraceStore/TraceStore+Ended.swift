import Foundation

extension TraceStore {
    /// The session's workers that ended at or after `since`, by end time: what a live
    /// exporter has not sent yet. A worker that ended, was resumed and ended again shows up
    /// again with its new end.
    public func workersEnded(sessionId: String, since: Date) async throws -> [WorkerRecord] {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("""
                SELECT \(TraceSQL.workerColumns) FROM workers WHERE session_id = ? AND ended_at >= ? ORDER BY ended_at, rowid
                """)
            select.bind(1, sessionId)
            select.bind(2, since.timeIntervalSince1970)
            return try select.rows(TraceSQL.worker)
        }
    }
}
