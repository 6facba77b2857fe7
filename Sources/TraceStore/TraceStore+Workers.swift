import Foundation

extension TraceStore {
    /// Inserts a new worker; committed when this returns.
    public func insertWorker(_ worker: WorkerRecord) async throws {
        let redactor = writer.redactor
        try await writer.perform { db throws(TraceStoreError) in
            try db.writeTransaction { () throws(TraceStoreError) in
                let exists = try db.prepared("SELECT 1 FROM workers WHERE id = ?")
                exists.bind(1, worker.id)
                if try !exists.rows({ _ in true }).isEmpty { throw .duplicateWorker(id: worker.id) }
                let insert = try db.prepared(TraceSQL.insertWorker)
                TraceSQL.bind(worker, to: insert, redactor: redactor)
                try insert.run()
            }
        }
    }

    /// Records progress of an existing worker (state, steps, usage). Use `commitTerminal`
    /// for a terminal state, so its event lands in the same transaction.
    public func updateWorker(_ worker: WorkerRecord) async throws {
        let redactor = writer.redactor
        try await writer.perform { db throws(TraceStoreError) in
            try db.writeTransaction { () throws(TraceStoreError) in
                let exists = try db.prepared("SELECT 1 FROM workers WHERE id = ?")
                exists.bind(1, worker.id)
                if try exists.rows({ _ in true }).isEmpty { throw .missingWorker(id: worker.id) }
                let upsert = try db.prepared(TraceSQL.upsertWorker)
                TraceSQL.bind(worker, to: upsert, redactor: redactor)
                try upsert.run()
            }
        }
    }

    /// A step's progress in one transaction: every pending event, then `events`, the rows of
    /// existing workers (as `updateWorker` writes them) and messages (as `appendMessages`).
    /// If any part fails (a worker that does not exist: `missingWorker`), none of it is
    /// written; `append`ed events stay queued, and `events` are the caller's to retry.
    /// Passing events here rather than to `append` spares the writer thread a wake-up.
    public func recordProgress(events: [EventRecord] = [], workers: [WorkerRecord], messages: [MessageRecord]) async throws {
        let redactor = writer.redactor
        try await writer.performWithPendingEvents { db throws(TraceStoreError) in
            if !events.isEmpty {
                let insert = try db.prepared(TraceSQL.insertEvent)
                for event in events { try TraceSQL.bind(event, to: insert, redactor: redactor) }
            }
            for worker in workers {
                let exists = try db.prepared("SELECT 1 FROM workers WHERE id = ?")
                exists.bind(1, worker.id)
                if try exists.rows({ _ in true }).isEmpty { throw .missingWorker(id: worker.id) }
                let upsert = try db.prepared(TraceSQL.upsertWorker)
                TraceSQL.bind(worker, to: upsert, redactor: redactor)
                try upsert.run()
            }
            try Self.insert(messages, into: db, redactor: redactor)
        }
    }

    /// Writes every pending event, then the worker row and its terminal event in one
    /// transaction. Returns only after COMMIT: once it returns, a `kill -9` cannot lose it.
    public func commitTerminal(_ worker: WorkerRecord, event: EventRecord) async throws {
        let redactor = writer.redactor
        try await writer.perform { db throws(TraceStoreError) in
            try db.writeTransaction { () throws(TraceStoreError) in
                let upsert = try db.prepared(TraceSQL.upsertWorker)
                TraceSQL.bind(worker, to: upsert, redactor: redactor)
                try upsert.run()
                try TraceSQL.bind(event, to: try db.prepared(TraceSQL.insertEvent), redactor: redactor)
            }
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

    /// Queues an event and returns at once; it is written with its batch within a few
    /// milliseconds, and before any later awaited call runs. Ignored after `close`.
    public func append(_ event: EventRecord) {
        writer.append(event)
    }

    /// Waits until every event appended so far is committed.
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
        try await writer.perform { db throws(TraceStoreError) in
            try db.writeTransaction { () throws(TraceStoreError) in try Self.insert(messages, into: db, redactor: redactor) }
        }
    }

    private static func insert(_ messages: [MessageRecord], into db: SQLiteConnection, redactor: Redactor) throws(TraceStoreError) {
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
