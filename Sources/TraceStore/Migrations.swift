import Foundation

/// The store's schema history. Each step runs once, in order, inside the same write
/// transaction that records it in `schema_migrations`, so a crash mid-upgrade leaves the
/// old version intact and two processes opening one file never both migrate it.
enum Migrations {
    /// Index i holds the SQL that takes the schema from version i to i + 1.
    static let steps: [String] = [
        // 1: sessions, workers, their events and conversations.
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            created_at REAL NOT NULL,
            last_opened_at REAL NOT NULL,
            workspace_root TEXT NOT NULL,
            max_concurrent_workers INTEGER NOT NULL
        );
        CREATE INDEX sessions_by_last_opened ON sessions(last_opened_at);
        CREATE TABLE workers (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            parent_id TEXT,
            role TEXT NOT NULL,
            model TEXT NOT NULL,
            state TEXT NOT NULL,
            task TEXT NOT NULL,
            brief_json TEXT NOT NULL,
            priority INTEGER NOT NULL,
            created_at REAL NOT NULL,
            started_at REAL,
            ended_at REAL,
            steps INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cost_usd REAL NOT NULL,
            result_json TEXT,
            error_json TEXT
        );
        CREATE INDEX workers_by_session ON workers(session_id, created_at);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT NOT NULL,
            at REAL NOT NULL,
            data_json TEXT NOT NULL
        );
        CREATE INDEX events_by_worker ON events(worker_id, seq);
        CREATE INDEX events_by_session ON events(session_id, id);
        CREATE TABLE messages (
            worker_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            role TEXT NOT NULL,
            content_json TEXT NOT NULL,
            origin TEXT NOT NULL,
            PRIMARY KEY (worker_id, idx)
        ) WITHOUT ROWID;
        """,
        // 2: path claims shared by every process using the file.
        """
        CREATE TABLE claims (
            path TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            session_id TEXT NOT NULL,
            lease_expires_at REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX claims_by_holder ON claims(holder);
        """,
        // 3: requests from other processes (`bosun top`, `bosun cancel`) to the session that
        // owns a worker; the owner polls the pending ones and records what it did.
        """
        CREATE TABLE controls (
            id INTEGER PRIMARY KEY,
            session_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            action TEXT NOT NULL,
            reason TEXT,
            requested_at REAL NOT NULL,
            handled_at REAL,
            outcome TEXT
        );
        CREATE INDEX controls_pending ON controls(session_id) WHERE handled_at IS NULL;
        """,
        // 4: what the last `verify` of each worker found.
        """
        ALTER TABLE workers ADD COLUMN verification TEXT NOT NULL DEFAULT 'unverified';
        """,
        // 5: orchestrations: the goal, where each stands, and the ledger (plan, subtasks and
        // their workers, decisions) that a restarted server resumes from.
        """
        CREATE TABLE orchestrations (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            goal TEXT NOT NULL,
            state TEXT NOT NULL,
            ledger_json TEXT NOT NULL,
            created_at REAL NOT NULL,
            ended_at REAL
        );
        CREATE INDEX orchestrations_by_session ON orchestrations(session_id, created_at);
        """,
        // 6: which live processes hold which sessions, so that `bosun trace prune` leaves
        // them alone. A holder renews its lease while the session is open and deletes it
        // when the session closes; a killed holder's lease expires.
        """
        CREATE TABLE session_leases (
            session_id TEXT NOT NULL,
            holder TEXT NOT NULL,
            expires_at REAL NOT NULL,
            PRIMARY KEY (session_id, holder)
        ) WITHOUT ROWID;
        """,
        // 7: prompt-cache writes, counted apart from input like cache reads.
        """
        ALTER TABLE workers ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
        """,
        // 8: workers' asks, stored before anyone hears of them so a pending one survives a
        // crash and is asked again; answered ones keep who answered and how long it took.
        // A control request may carry a payload (an answer from `bosun answer`).
        """
        CREATE TABLE asks (
            id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            worker_id TEXT NOT NULL,
            ask_json TEXT NOT NULL,
            route TEXT NOT NULL,
            tool_call_id TEXT,
            created_at REAL NOT NULL,
            answered_at REAL,
            answer_json TEXT,
            answered_by TEXT,
            waited_ms INTEGER
        );
        CREATE INDEX asks_by_session ON asks(session_id, created_at);
        CREATE INDEX asks_by_worker ON asks(worker_id);
        ALTER TABLE controls ADD COLUMN payload TEXT;
        """,
        // 9: the calls a person answered `allow_always` for, so a resumed session does not
        // ask them again. A call is kept as the SHA-256 of what identifies it, never its input.
        """
        CREATE TABLE session_approvals (
            session_id TEXT NOT NULL,
            call_digest TEXT NOT NULL,
            ask_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (session_id, call_digest)
        ) WITHOUT ROWID;
        """,
    ]

    static var latestVersion: Int { steps.count }

    /// Brings the file up to `targetVersion` (the latest unless a test asks for an older one).
    static func migrate(_ db: SQLiteConnection, to targetVersion: Int = latestVersion) throws(TraceStoreError) {
        try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL NOT NULL)")
        if try currentVersion(db) == targetVersion { return }
        try db.writeTransaction { () throws(TraceStoreError) in
            let found = try currentVersion(db)
            if found > latestVersion {
                throw .newerSchema(path: db.path, found: found, supported: latestVersion)
            }
            guard found < targetVersion else { return }
            for version in found..<targetVersion {
                try db.execute(steps[version])
                let record = try db.prepared("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
                record.bind(1, version + 1)
                record.bind(2, Date().timeIntervalSince1970)
                try record.run()
            }
        }
    }

    static func currentVersion(_ db: SQLiteConnection) throws(TraceStoreError) -> Int {
        let query = try db.prepared("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return try query.rows { $0.int(0) }.first ?? 0
    }
}
