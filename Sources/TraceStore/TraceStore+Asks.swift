import Foundation

/// A worker's ask as the store keeps it: the ask itself (JSON text), who it went to, and,
/// once answered, the answer, who gave it and how long the worker waited.
public struct AskRecord: Sendable, Hashable {
    public var id: String
    public var sessionId: String
    public var workerId: String
    /// The `Ask` as JSON text.
    public var askJSON: String
    /// `parent`, `coordinator` or `client`.
    public var route: String
    /// The tool call the worker was making when it asked, whose result the answer becomes.
    public var toolCallId: String?
    public var createdAt: Date
    public var answeredAt: Date?
    /// `{askId, decision?, text?, answeredBy, waitedMs}` as JSON text.
    public var answerJSON: String?
    public var answeredBy: String?
    public var waitedMs: Int?

    public init(id: String, sessionId: String, workerId: String, askJSON: String, route: String, toolCallId: String?,
                createdAt: Date, answeredAt: Date? = nil, answerJSON: String? = nil, answeredBy: String? = nil,
                waitedMs: Int? = nil) {
        self.id = id
        self.sessionId = sessionId
        self.workerId = workerId
        self.askJSON = askJSON
        self.route = route
        self.toolCallId = toolCallId
        self.createdAt = createdAt
        self.answeredAt = answeredAt
        self.answerJSON = answerJSON
        self.answeredBy = answeredBy
        self.waitedMs = waitedMs
    }

    public var isPending: Bool { answeredAt == nil }
}

extension TraceStore {
    /// Stores a new ask with the event that announces it, in one transaction; committed
    /// when this returns, so both survive a crash from then on.
    public func insertAsk(_ ask: AskRecord, event: EventRecord) async throws {
        let redactor = writer.redactor
        try await writer.performWrite { db throws(TraceStoreError) in
            let insert = try db.prepared("""
                INSERT INTO asks (id, session_id, worker_id, ask_json, route, tool_call_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            insert.bind(1, ask.id)
            insert.bind(2, ask.sessionId)
            insert.bind(3, ask.workerId)
            insert.bind(4, redactor.redact(ask.askJSON))
            insert.bind(5, ask.route)
            insert.bind(6, ask.toolCallId)
            insert.bind(7, ask.createdAt.timeIntervalSince1970)
            try insert.run()
            try TraceSQL.bind(event, to: try db.prepared(TraceSQL.insertEvent), redactor: redactor)
        }
    }

    /// Records an ask's answer, and the event that announces it when given, in one
    /// transaction; committed when this returns. An ask already answered keeps its first answer.
    /// `sessionRule`, for an `allow_always` answer, is the digest of the call the session no
    /// longer asks about (`sessionRules`), kept in the same transaction as the answer.
    public func answerAsk(id: String, at: Date, answerJSON: String, answeredBy: String, waitedMs: Int,
                          event: EventRecord? = nil, sessionRule: (sessionId: String, callDigest: String)? = nil) async throws {
        let redactor = writer.redactor
        try await writer.performWrite { db throws(TraceStoreError) in
            let update = try db.prepared("""
                UPDATE asks SET answered_at = ?, answer_json = ?, answered_by = ?, waited_ms = ? WHERE id = ? AND answered_at IS NULL
                """)
            update.bind(1, at.timeIntervalSince1970)
            update.bind(2, redactor.redact(answerJSON))
            update.bind(3, answeredBy)
            update.bind(4, waitedMs)
            update.bind(5, id)
            try update.run()
            if let event { try TraceSQL.bind(event, to: try db.prepared(TraceSQL.insertEvent), redactor: redactor) }
            if let sessionRule {
                let rule = try db.prepared("""
                    INSERT OR IGNORE INTO session_approvals (session_id, call_digest, ask_id, created_at) VALUES (?, ?, ?, ?)
                    """)
                rule.bind(1, sessionRule.sessionId)
                rule.bind(2, sessionRule.callDigest)
                rule.bind(3, id)
                rule.bind(4, at.timeIntervalSince1970)
                try rule.run()
            }
        }
    }

    /// The digests of the calls answered `allow_always` in the session (`answerAsk`), which
    /// a resumed session runs without asking.
    public func sessionRules(sessionId: String) async throws -> [String] {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("SELECT call_digest FROM session_approvals WHERE session_id = ? ORDER BY created_at")
            select.bind(1, sessionId)
            return try select.rows { $0.string(0) }
        }
    }

    /// The session's asks, oldest first, answered or not.
    public func asks(sessionId: String) async throws -> [AskRecord] {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("""
                SELECT id, session_id, worker_id, ask_json, route, tool_call_id, created_at, answered_at, answer_json, \
                answered_by, waited_ms FROM asks WHERE session_id = ? ORDER BY created_at, id
                """)
            select.bind(1, sessionId)
            return try select.rows(TraceSQL.ask)
        }
    }
}

extension TraceSQL {
    /// An `asks` row, its columns in the order the selects above name them.
    static func ask(_ row: SQLiteStatement) -> AskRecord {
        AskRecord(id: row.string(0), sessionId: row.string(1), workerId: row.string(2), askJSON: row.string(3),
                  route: row.string(4), toolCallId: row.optionalString(5), createdAt: date(row.double(6)),
                  answeredAt: row.optionalDouble(7).map(date), answerJSON: row.optionalString(8),
                  answeredBy: row.optionalString(9), waitedMs: row.optionalDouble(10).map { Int($0) })
    }
}
