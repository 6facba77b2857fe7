import Foundation

/// The durable memory of every orchestration: sessions, workers, their events and
/// conversations, and path claims, in one SQLite file that several bosun processes may share.
///
/// One connection, used only by a dedicated writer thread (`TraceWriter`). Event appends are
/// queued and written in batches without making the caller wait; everything else is a job on
/// that thread that the caller awaits, ordered after every event appended before it.
/// Every error thrown is a `TraceStoreError`. All text is passed through the `Redactor`
/// before it is written.
public final class TraceStore: Sendable {
    public let path: String
    let writer: TraceWriter

    /// `$XDG_STATE_HOME/bosun/bosun.sqlite`, else `~/.local/state/bosun/bosun.sqlite`.
    public static func defaultPath(environment: [String: String]) -> String {
        StoreLocation.defaultPath(environment: environment)
    }

    /// Opens (creating it, 0600 in 0700 directories, if absent) and migrates the store at `path`.
    public convenience init(path: String, redactor: Redactor = Redactor(secrets: [])) throws {
        try self.init(path: path, redactor: redactor, schemaVersion: Migrations.latestVersion, create: true)
    }

    /// Opens a store that must already exist, as `bosun trace` does: reading a trace never
    /// leaves a new empty file behind a mistyped path.
    public static func openExisting(path: String) throws -> TraceStore {
        try TraceStore(path: path, redactor: Redactor(secrets: []), schemaVersion: Migrations.latestVersion, create: false)
    }

    /// `schemaVersion` below the latest exists for migration tests, which build an old file.
    init(path: String, redactor: Redactor, schemaVersion: Int, create: Bool) throws(TraceStoreError) {
        let path = StoreLocation.normalize(path)
        if create {
            try StoreLocation.prepare(path)
        } else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw .missingStore(path: path) }
            if isDirectory.boolValue { throw .badPath(path: path, reason: "it is a directory") }
        }
        let connection = try SQLiteConnection(path: path)
        try Self.setUp(connection, schemaVersion: schemaVersion)
        self.path = path
        writer = TraceWriter(connection: connection, redactor: redactor)
    }

    /// WAL mode and migrations. The WAL is copied back into the file every 4,000 pages (16 MiB)
    /// rather than SQLite's 1,000: a worker's steps rewrite the same few pages, so a longer
    /// interval copies each of them, and syncs, less often. While a brand-new file is still in rollback-journal mode, two
    /// processes opening it at once can deadlock on its locks, and SQLite then reports busy
    /// without waiting; such a clash is retried for up to about five seconds.
    private static func setUp(_ connection: SQLiteConnection, schemaVersion: Int) throws(TraceStoreError) {
        var attempt = 0
        while true {
            do {
                try connection.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 4000; PRAGMA foreign_keys = OFF")
                try Migrations.migrate(connection, to: schemaVersion)
                return
            } catch .locked(let path) {
                attempt += 1
                if attempt >= 50 { throw .locked(path: path) }
                Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.15))
            }
        }
    }

    /// Writes queued events and closes the file. Further calls fail with `.closed`.
    public func close() async {
        await writer.close()
    }

    // MARK: Sessions

    /// Opens session `id`, creating it when `id` is nil (with a fresh `s_…` id) or unknown.
    /// A resumed session gets this process's workspace root, cap and open time.
    public func openSession(id: String?, workspaceRoot: String, maxConcurrentWorkers: Int) async throws -> (session: SessionRecord, resumed: Bool) {
        let id = id ?? Self.makeSessionId()
        let now = Date()
        return try await writer.performWrite { db throws(TraceStoreError) in
            let select = try db.prepared("SELECT \(TraceSQL.sessionColumns) FROM sessions WHERE id = ?")
            select.bind(1, id)
            if var existing = try select.rows(TraceSQL.session).first {
                let update = try db.prepared("UPDATE sessions SET last_opened_at = ?, workspace_root = ?, max_concurrent_workers = ? WHERE id = ?")
                update.bind(1, now.timeIntervalSince1970)
                update.bind(2, workspaceRoot)
                update.bind(3, maxConcurrentWorkers)
                update.bind(4, id)
                try update.run()
                existing.lastOpenedAt = TraceSQL.date(now.timeIntervalSince1970)
                existing.workspaceRoot = workspaceRoot
                existing.maxConcurrentWorkers = maxConcurrentWorkers
                return (existing, true)
            }
            let insert = try db.prepared("INSERT INTO sessions (\(TraceSQL.sessionColumns)) VALUES (?, ?, ?, ?, ?)")
            insert.bind(1, id)
            insert.bind(2, now.timeIntervalSince1970)
            insert.bind(3, now.timeIntervalSince1970)
            insert.bind(4, workspaceRoot)
            insert.bind(5, maxConcurrentWorkers)
            try insert.run()
            let stamp = TraceSQL.date(now.timeIntervalSince1970)
            return (SessionRecord(id: id, createdAt: stamp, lastOpenedAt: stamp, workspaceRoot: workspaceRoot,
                                  maxConcurrentWorkers: maxConcurrentWorkers), false)
        }
    }

    /// Every session, most recently opened first.
    public func sessions() async throws -> [SessionRecord] {
        try await writer.perform { db throws(TraceStoreError) in
            try db.prepared("SELECT \(TraceSQL.sessionColumns) FROM sessions ORDER BY last_opened_at DESC, rowid DESC")
                .rows(TraceSQL.session)
        }
    }

    public func session(id: String) async throws -> SessionRecord? {
        try await writer.perform { db throws(TraceStoreError) in
            let select = try db.prepared("SELECT \(TraceSQL.sessionColumns) FROM sessions WHERE id = ?")
            select.bind(1, id)
            return try select.rows(TraceSQL.session).first
        }
    }

    /// Marks the session's queued and running workers `interrupted` (as after a crash) and
    /// returns their ids. A worker with an ask still pending (stored, never answered) is
    /// `waiting` instead, whatever its state said: its ask outlives the process and is asked
    /// again. Writes no events: the caller reports them as it sees fit.
    public func markInterrupted(sessionId: String) async throws -> [String] {
        let now = Date().timeIntervalSince1970
        return try await writer.performWrite { db throws(TraceStoreError) in
            let wait = try db.prepared("""
                UPDATE workers SET state = 'waiting' WHERE session_id = ? AND state IN ('queued', 'running', 'waiting') \
                AND id IN (SELECT worker_id FROM asks WHERE session_id = ? AND answered_at IS NULL)
                """)
            wait.bind(1, sessionId)
            wait.bind(2, sessionId)
            try wait.run()
            let update = try db.prepared("""
                UPDATE workers SET state = 'interrupted', ended_at = ? \
                WHERE session_id = ? AND state IN ('queued', 'running', 'waiting') \
                AND id NOT IN (SELECT worker_id FROM asks WHERE session_id = ? AND answered_at IS NULL) RETURNING id
                """)
            update.bind(1, now)
            update.bind(2, sessionId)
            update.bind(3, sessionId)
            return try update.rows { $0.string(0) }.sorted()
        }
    }

    /// A fresh `s_` id; a session gets its row only when its first worker is stored.
    public static func makeSessionId() -> String { makeId(prefix: "s_") }

    /// A fresh id of a stored record: `prefix` (`s_`, `w_`, `o_`, `a_`) and 16 random hex digits.
    public static func makeId(prefix: String) -> String {
        prefix + String(UInt64.random(in: 1...UInt64.max), radix: 16).leftPadded(to: 16)
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
