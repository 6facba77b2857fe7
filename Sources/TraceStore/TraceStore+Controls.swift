import Foundation

/// What another process asks of the session that owns a worker.
public enum ControlAction: String, Sendable, Hashable {
    case cancel
    /// Answer one of the worker's asks; the request's `payload` is `{askId, decision?, text?}`.
    case answer
}

/// One request in the `controls` table: written by `bosun top` or `bosun cancel`, read and
/// answered by the `bosun serve` whose session owns the worker.
public struct ControlRequest: Sendable, Hashable {
    public var id: Int
    public var sessionId: String
    public var workerId: String
    public var action: ControlAction
    public var reason: String?
    public var requestedAt: Date
    /// What the action needs besides the worker, as JSON text (an answer).
    public var payload: String?
}

/// How a control request stands, as its requester sees it.
public enum ControlStatus: Sendable, Hashable {
    /// No session has taken it yet.
    case pending
    /// The owning session handled it and said what happened (`cancelled`, or why not).
    case handled(outcome: String)
    /// The request is not in the store (withdrawn or pruned).
    case missing
}

extension TraceStore {
    /// Asks the session that owns `workerId` to act on it; throws `.unknownId` for an
    /// unknown worker. The owning `bosun serve` picks the request up within a second.
    public func requestControl(workerId: String, action: ControlAction, reason: String?) async throws -> ControlRequest {
        let redactor = writer.redactor
        let now = Date()
        return try await writer.performWrite { db throws(TraceStoreError) in
            let owner = try db.prepared("SELECT session_id FROM workers WHERE id = ?")
            owner.bind(1, workerId)
            guard let sessionId = try owner.rows({ $0.string(0) }).first else { throw .unknownId(id: workerId) }
            let insert = try db.prepared("""
                INSERT INTO controls (session_id, worker_id, action, reason, requested_at) VALUES (?, ?, ?, ?, ?) RETURNING id
                """)
            insert.bind(1, sessionId)
            insert.bind(2, workerId)
            insert.bind(3, action.rawValue)
            insert.bind(4, reason.map(redactor.redact))
            insert.bind(5, now.timeIntervalSince1970)
            let id = try insert.rows { $0.int(0) }.first ?? 0
            return ControlRequest(id: id, sessionId: sessionId, workerId: workerId, action: action, reason: reason,
                                  requestedAt: TraceSQL.date(now.timeIntervalSince1970))
        }
    }

    /// Asks the session that owns ask `askId` to answer it with `payload` (`{askId,
    /// decision?, text?}` as JSON text); throws `.unknownId` for an ask the store does not
    /// have. The owning `bosun serve` picks the request up within a second.
    public func requestAnswer(askId: String, payload: String) async throws -> ControlRequest {
        let redactor = writer.redactor
        let now = Date()
        return try await writer.performWrite { db throws(TraceStoreError) in
            let owner = try db.prepared("SELECT session_id, worker_id FROM asks WHERE id = ?")
            owner.bind(1, askId)
            guard let (sessionId, workerId) = try owner.rows({ ($0.string(0), $0.string(1)) }).first else {
                throw .unknownId(id: askId)
            }
            let insert = try db.prepared("""
                INSERT INTO controls (session_id, worker_id, action, requested_at, payload) VALUES (?, ?, ?, ?, ?) RETURNING id
                """)
            insert.bind(1, sessionId)
            insert.bind(2, workerId)
            insert.bind(3, ControlAction.answer.rawValue)
            insert.bind(4, now.timeIntervalSince1970)
            insert.bind(5, redactor.redact(payload))
            let id = try insert.rows { $0.int(0) }.first ?? 0
            return ControlRequest(id: id, sessionId: sessionId, workerId: workerId, action: .answer, reason: nil,
                                  requestedAt: TraceSQL.date(now.timeIntervalSince1970), payload: payload)
        }
    }

    /// An ask as the store has it: pending or answered (`answeredBy`); nil when unknown.
    public func ask(id: String) async throws -> AskRecord? {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("""
                SELECT id, session_id, worker_id, ask_json, route, tool_call_id, created_at, answered_at, answer_json, \
                answered_by, waited_ms FROM asks WHERE id = ?
                """)
            select.bind(1, id)
            return try select.rows(TraceSQL.ask).first
        }
    }

    /// The session's requests nobody has handled yet, oldest first. An index holds only
    /// these rows, so the owning session's poll reads nothing when there are none.
    public func pendingControls(sessionId: String) async throws -> [ControlRequest] {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("""
                SELECT id, session_id, worker_id, action, reason, requested_at, payload FROM controls \
                WHERE session_id = ? AND handled_at IS NULL ORDER BY id
                """)
            select.bind(1, sessionId)
            return try select.rows { row in
                (row.int(0), row.string(1), row.string(2), row.string(3), row.optionalString(4), row.double(5),
                 row.optionalString(6))
            }.compactMap { id, session, worker, action, reason, at, payload in
                // A request of an action this bosun does not know is left for one that does.
                ControlAction(rawValue: action).map {
                    ControlRequest(id: id, sessionId: session, workerId: worker, action: $0, reason: reason,
                                   requestedAt: TraceSQL.date(at), payload: payload)
                }
            }
        }
    }

    /// Records what the owning session did with a request; a request already handled or
    /// withdrawn is left as it is.
    public func finishControl(id: Int, outcome: String) async throws {
        try await writer.performWrite { db throws(TraceStoreError) in
            let update = try db.prepared("UPDATE controls SET handled_at = ?, outcome = ? WHERE id = ? AND handled_at IS NULL")
            update.bind(1, Date().timeIntervalSince1970)
            update.bind(2, outcome)
            update.bind(3, id)
            try update.run()
        }
    }

    public func controlStatus(id: Int) async throws -> ControlStatus {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("SELECT handled_at IS NOT NULL, outcome FROM controls WHERE id = ?")
            select.bind(1, id)
            guard let row = try select.rows({ ($0.int(0) != 0, $0.optionalString(1)) }).first else { return .missing }
            return row.0 ? .handled(outcome: row.1 ?? "") : .pending
        }
    }

    /// Takes back a request no session has handled, so a stale one never fires later.
    /// Returns its status: `.missing` when it was withdrawn, `.handled` when an owner was
    /// quicker.
    public func withdrawControl(id: Int) async throws -> ControlStatus {
        try await writer.performWrite { db throws(TraceStoreError) in
            let delete = try db.prepared("DELETE FROM controls WHERE id = ? AND handled_at IS NULL")
            delete.bind(1, id)
            try delete.run()
            let select = try db.prepared("SELECT outcome FROM controls WHERE id = ?")
            select.bind(1, id)
            guard let outcome = try select.rows({ $0.optionalString(0) }).first else { return .missing }
            return .handled(outcome: outcome ?? "")
        }
    }
}
