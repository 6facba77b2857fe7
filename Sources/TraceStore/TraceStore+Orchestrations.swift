import Foundation

/// One `orchestrate` call of a session: its goal, where it stands, and its ledger (the
/// plan, each subtask's status and workers, the decisions), which Orchestration owns and
/// stores as JSON text; the store only keeps it.
public struct OrchestrationRecord: Sendable, Hashable {
    public var id: String
    public var sessionId: String
    public var goal: String
    public var state: String
    public var ledgerJSON: String
    public var createdAt: Date
    public var endedAt: Date?

    public init(id: String, sessionId: String, goal: String, state: String, ledgerJSON: String, createdAt: Date,
                endedAt: Date? = nil) {
        self.id = id
        self.sessionId = sessionId
        self.goal = goal
        self.state = state
        self.ledgerJSON = ledgerJSON
        self.createdAt = createdAt
        self.endedAt = endedAt
    }
}

extension TraceStore {
    /// Writes the orchestration's row (a new one, or replacing it); committed when this returns.
    public func saveOrchestration(_ orchestration: OrchestrationRecord) async throws {
        let redactor = writer.redactor
        try await writer.performWrite { db throws(TraceStoreError) in
            try TraceSQL.save(orchestration, in: db, redactor: redactor)
        }
    }

    public func orchestration(id: String) async throws -> OrchestrationRecord? {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("SELECT \(TraceSQL.orchestrationColumns) FROM orchestrations WHERE id = ?")
            select.bind(1, id)
            return try select.rows(TraceSQL.orchestration).first
        }
    }

    /// The session's orchestrations in creation order.
    public func orchestrations(sessionId: String) async throws -> [OrchestrationRecord] {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("""
                SELECT \(TraceSQL.orchestrationColumns) FROM orchestrations WHERE session_id = ? ORDER BY created_at, id
                """)
            select.bind(1, sessionId)
            return try select.rows(TraceSQL.orchestration)
        }
    }
}

extension TraceSQL {
    static let orchestrationColumns = "id, session_id, goal, state, ledger_json, created_at, ended_at"

    static func orchestration(from row: SQLiteStatement) -> OrchestrationRecord {
        OrchestrationRecord(id: row.string(0), sessionId: row.string(1), goal: row.string(2), state: row.string(3),
                            ledgerJSON: row.string(4), createdAt: date(row.double(5)), endedAt: row.optionalDouble(6).map(date))
    }

    static func save(_ orchestration: OrchestrationRecord, in db: SQLiteConnection, redactor: Redactor) throws(TraceStoreError) {
        let upsert = try db.prepared("""
            INSERT OR REPLACE INTO orchestrations (id, session_id, goal, state, ledger_json, created_at, ended_at) \
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        upsert.bind(1, orchestration.id)
        upsert.bind(2, orchestration.sessionId)
        upsert.bind(3, redactor.redact(orchestration.goal))
        upsert.bind(4, orchestration.state)
        upsert.bind(5, redactor.redact(orchestration.ledgerJSON))
        upsert.bind(6, orchestration.createdAt.timeIntervalSince1970)
        upsert.bind(7, orchestration.endedAt?.timeIntervalSince1970)
        try upsert.run()
    }
}
