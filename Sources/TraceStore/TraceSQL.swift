import Foundation

/// The SQL the store runs, and the mapping between rows and records.
enum TraceSQL {
    static let workerColumns = """
        id, session_id, parent_id, role, model, state, task, brief_json, priority, created_at, started_at, \
        ended_at, steps, input_tokens, output_tokens, cache_read_tokens, cost_usd, result_json, error_json, verification, \
        cache_write_tokens
        """
    static let insertWorker = "INSERT INTO workers (\(workerColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    /// What changes after a worker is inserted (the model too: escalation moves a worker up
    /// a tier). The columns of its indexes (id, session, creation time) are not among them,
    /// so an update touches the row's page only.
    static let updateProgress = """
        UPDATE workers SET state = ?, started_at = ?, ended_at = ?, steps = ?, input_tokens = ?, output_tokens = ?, \
        cache_read_tokens = ?, cost_usd = ?, result_json = ?, error_json = ?, model = ?, verification = ?, \
        cache_write_tokens = ? WHERE id = ?
        """
    static let selectWorker = "SELECT \(workerColumns) FROM workers WHERE id = ?"
    static let selectWorkers = "SELECT \(workerColumns) FROM workers WHERE session_id = ? ORDER BY created_at, rowid"

    static let insertEvent = "INSERT INTO events (session_id, worker_id, seq, kind, at, data_json) VALUES (?, ?, ?, ?, ?, ?)"
    static let eventColumns = "session_id, worker_id, seq, kind, at, data_json"

    static let sessionColumns = "id, created_at, last_opened_at, workspace_root, max_concurrent_workers"

    /// Binds all worker columns in `workerColumns` order, redacting the free text.
    static func bind(_ worker: WorkerRecord, to statement: SQLiteStatement, redactor: Redactor) {
        statement.bind(1, worker.id)
        statement.bind(2, worker.sessionId)
        statement.bind(3, worker.parentId)
        statement.bind(4, worker.role)
        statement.bind(5, worker.model)
        statement.bind(6, worker.state)
        statement.bind(7, redactor.redact(worker.task))
        statement.bind(8, redactor.redact(worker.briefJSON))
        statement.bind(9, worker.priority)
        statement.bind(10, worker.createdAt.timeIntervalSince1970)
        statement.bind(11, worker.startedAt?.timeIntervalSince1970)
        statement.bind(12, worker.endedAt?.timeIntervalSince1970)
        statement.bind(13, worker.steps)
        statement.bind(14, worker.inputTokens)
        statement.bind(15, worker.outputTokens)
        statement.bind(16, worker.cacheReadTokens)
        statement.bind(17, worker.costUSD)
        statement.bind(18, worker.resultJSON.map(redactor.redact))
        statement.bind(19, worker.errorJSON.map(redactor.redact))
        statement.bind(20, worker.verification)
        statement.bind(21, worker.cacheWriteTokens)
    }

    /// Updates an existing worker's run state and usage; `missingWorker` if there is none.
    static func updateProgress(of worker: WorkerRecord, in db: SQLiteConnection, redactor: Redactor) throws(TraceStoreError) {
        let update = try db.prepared(updateProgress)
        update.bind(1, worker.state)
        update.bind(2, worker.startedAt?.timeIntervalSince1970)
        update.bind(3, worker.endedAt?.timeIntervalSince1970)
        update.bind(4, worker.steps)
        update.bind(5, worker.inputTokens)
        update.bind(6, worker.outputTokens)
        update.bind(7, worker.cacheReadTokens)
        update.bind(8, worker.costUSD)
        update.bind(9, worker.resultJSON.map(redactor.redact))
        update.bind(10, worker.errorJSON.map(redactor.redact))
        update.bind(11, worker.model)
        update.bind(12, worker.verification)
        update.bind(13, worker.cacheWriteTokens)
        update.bind(14, worker.id)
        try update.run()
        if db.changes == 0 { throw .missingWorker(id: worker.id) }
    }

    static func releaseClaims(holder: String, in db: SQLiteConnection) throws(TraceStoreError) {
        let delete = try db.prepared("DELETE FROM claims WHERE holder = ?")
        delete.bind(1, holder)
        try delete.run()
    }

    /// Stores messages at their index, replacing any already there.
    static func insert(_ messages: [MessageRecord], into db: SQLiteConnection, redactor: Redactor) throws(TraceStoreError) {
        guard !messages.isEmpty else { return }
        let insert = try db.prepared("INSERT OR REPLACE INTO messages (worker_id, idx, role, content_json, origin) VALUES (?, ?, ?, ?, ?)")
        for message in messages {
            insert.bind(1, message.workerId)
            insert.bind(2, message.index)
            insert.bind(3, message.role)
            insert.bind(4, redactor.redact(message.contentJSON))
            insert.bind(5, message.origin)
            try insert.run()
        }
    }

    static func worker(from row: SQLiteStatement) -> WorkerRecord {
        WorkerRecord(
            id: row.string(0), sessionId: row.string(1), parentId: row.optionalString(2), role: row.string(3),
            model: row.string(4), state: row.string(5), task: row.string(6), briefJSON: row.string(7),
            priority: row.int(8), createdAt: date(row.double(9)), startedAt: row.optionalDouble(10).map(date),
            endedAt: row.optionalDouble(11).map(date), steps: row.int(12), inputTokens: row.int(13),
            outputTokens: row.int(14), cacheReadTokens: row.int(15), cacheWriteTokens: row.int(20), costUSD: row.double(16),
            resultJSON: row.optionalString(17), errorJSON: row.optionalString(18), verification: row.string(19))
    }

    /// Inserts one event with its data redacted.
    static func bind(_ event: EventRecord, to insert: SQLiteStatement, redactor: Redactor) throws(TraceStoreError) {
        insert.bind(1, event.sessionId)
        insert.bind(2, event.workerId)
        insert.bind(3, event.seq)
        insert.bind(4, event.kind)
        insert.bind(5, event.at.timeIntervalSince1970)
        insert.bind(6, redactor.redact(event.dataJSON))
        try insert.run()
    }

    static func event(from row: SQLiteStatement) -> EventRecord {
        EventRecord(sessionId: row.string(0), workerId: row.string(1), seq: row.int(2), kind: row.string(3),
                    at: date(row.double(4)), dataJSON: row.string(5))
    }

    static func session(from row: SQLiteStatement) -> SessionRecord {
        SessionRecord(id: row.string(0), createdAt: date(row.double(1)), lastOpenedAt: date(row.double(2)),
                      workspaceRoot: row.string(3), maxConcurrentWorkers: row.int(4))
    }

    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }
}
