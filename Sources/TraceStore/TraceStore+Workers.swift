import Foundation

extension TraceStore {
    /// Inserts a new worker; committed when this returns.
    /// `session`: also write this session's row first, if it is not stored yet (a session is
    /// stored with its first worker), with this process's lease on it (`holdSession`), in the
    /// same transaction and in the same place in the queue: no prune ever sees the row unheld.
    public func insertWorker(_ worker: WorkerRecord, creating session: SessionRecord? = nil) async throws {
        let redactor = writer.redactor
        try await writer.performWrite { db throws(TraceStoreError) in
            if let session {
                try Self.writeLease(on: session.id, in: db)
                let insert = try db.prepared("INSERT OR IGNORE INTO sessions (\(TraceSQL.sessionColumns)) VALUES (?, ?, ?, ?, ?)")
                insert.bind(1, session.id)
                insert.bind(2, session.createdAt.timeIntervalSince1970)
                insert.bind(3, session.lastOpenedAt.timeIntervalSince1970)
                insert.bind(4, session.workspaceRoot)
                insert.bind(5, session.maxConcurrentWorkers)
                try insert.run()
            }
            let exists = try db.prepared("SELECT 1 FROM workers WHERE id = ?")
            exists.bind(1, worker.id)
            if try !exists.rows({ _ in true }).isEmpty { throw .duplicateWorker(id: worker.id) }
            let insert = try db.prepared(TraceSQL.insertWorker)
            TraceSQL.bind(worker, to: insert, redactor: redactor)
            try insert.run()
        }
    }

    /// Records the run state and usage of an existing worker (state, start and end times,
    /// steps, tokens, cost, result, error); committed when this returns. A worker's id,
    /// session, role, model, task, brief and priority are fixed when it is inserted. Use
    /// `commitTerminal` for a terminal state, so its event lands in the same transaction.
    public func updateWorker(_ worker: WorkerRecord) async throws {
        let redactor = writer.redactor
        try await writer.performWrite { db throws(TraceStoreError) in
            try TraceSQL.updateProgress(of: worker, in: db, redactor: redactor)
        }
    }

    /// Queues a write nobody waits for and returns at once: it is committed with its batch
    /// within a few milliseconds, and before any call made after it runs. A write that can
    /// never succeed (the progress of a worker that was never inserted) is dropped with a
    /// line on stderr; one that may (the file locked by another process) is retried.
    /// Ignored after `close`.
    public func submit(_ write: DeferredWrite) {
        writer.submit(write)
    }

    /// Writes the worker's run state (as `updateWorker` does; the whole row if the worker is
    /// not stored yet) and its terminal event, and drops every path claim it holds, in one
    /// transaction with every write queued before it. Returns only after COMMIT: once it
    /// returns, a `kill -9` cannot lose it.
    public func commitTerminal(_ worker: WorkerRecord, event: EventRecord) async throws {
        let redactor = writer.redactor
        try await writer.performWrite { db throws(TraceStoreError) in
            do throws(TraceStoreError) {
                try TraceSQL.updateProgress(of: worker, in: db, redactor: redactor)
            } catch .missingWorker {
                let insert = try db.prepared(TraceSQL.insertWorker)
                TraceSQL.bind(worker, to: insert, redactor: redactor)
                try insert.run()
            } catch {
                throw error
            }
            try TraceSQL.bind(event, to: try db.prepared(TraceSQL.insertEvent), redactor: redactor)
            try TraceSQL.releaseClaims(holder: worker.id, in: db)
        }
    }

    public func worker(id: String) async throws -> WorkerRecord? {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared(TraceSQL.selectWorker)
            select.bind(1, id)
            return try select.rows(TraceSQL.worker).first
        }
    }

    /// The session's workers in creation order.
    public func workers(sessionId: String) async throws -> [WorkerRecord] {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared(TraceSQL.selectWorkers)
            select.bind(1, sessionId)
            return try select.rows(TraceSQL.worker)
        }
    }

    // MARK: Events

    /// Waits until every write submitted so far is committed.
    public func flush() async throws {
        try await writer.perform { _ throws(TraceStoreError) in }
    }

    /// The highest seq stored for the worker, 0 when it has no events.
    public func lastSeq(workerId: String) async throws -> Int {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("SELECT COALESCE(MAX(seq), 0) FROM events WHERE worker_id = ?")
            select.bind(1, workerId)
            return try select.rows { $0.int(0) }.first ?? 0
        }
    }

    /// Events of one worker in seq order, or of the whole session in the order they were
    /// written. `afterSeq` keeps events with a larger seq; `limit` ≤ 0 means no limit.
    public func events(sessionId: String, workerId: String?, afterSeq: Int?, limit: Int) async throws -> [EventRecord] {
        try await writer.perform { db throws(TraceStoreError) in
            let select: SQLiteStatement
            if let workerId {
                select = try db.prepared("""
                    SELECT \(TraceSQL.eventColumns) FROM events WHERE session_id = ? AND worker_id = ? AND seq > ? \
                    ORDER BY seq, id LIMIT ?
                    """)
                select.bind(1, sessionId)
                select.bind(2, workerId)
            } else {
                select = try db.prepared("""
                    SELECT \(TraceSQL.eventColumns) FROM events WHERE session_id = ? AND seq > ? ORDER BY id LIMIT ?
                    """)
                select.bind(1, sessionId)
            }
            let next: Int32 = workerId == nil ? 2 : 3
            select.bind(next, afterSeq ?? 0)
            select.bind(next + 1, limit > 0 ? limit : -1)
            return try select.rows(TraceSQL.event)
        }
    }

    // MARK: Messages

    /// Stores conversation messages; a message at an index already stored replaces it.
    public func appendMessages(_ messages: [MessageRecord]) async throws {
        guard !messages.isEmpty else { return }
        let redactor = writer.redactor
        try await writer.performWrite { db throws(TraceStoreError) in
            try TraceSQL.insert(messages, into: db, redactor: redactor)
        }
    }

    /// The worker's conversation in order.
    public func messages(workerId: String) async throws -> [MessageRecord] {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("SELECT worker_id, idx, role, content_json, origin FROM messages WHERE worker_id = ? ORDER BY idx")
            select.bind(1, workerId)
            return try select.rows {
                MessageRecord(workerId: $0.string(0), index: $0.int(1), role: $0.string(2), contentJSON: $0.string(3), origin: $0.string(4))
            }
        }
    }
}
