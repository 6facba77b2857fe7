import CSQLite
import Foundation

/// One SQLite connection with its prepared statements cached by SQL text.
///
/// Not thread-safe on purpose: the `TraceWriter` thread is its only user after `open`,
/// so there is no lock here and SQLite is opened with `SQLITE_OPEN_NOMUTEX`.
final class SQLiteConnection {
    let path: String
    private let handle: OpaquePointer
    private var statements: [StatementKey: SQLiteStatement] = [:]
    private var isClosed = false

    /// How long SQLite itself waits for another process's lock before reporting busy.
    static let busyTimeoutMilliseconds: Int32 = 5_000
    /// How many busy timeouts in a row a write transaction sits out before giving up.
    static let beginAttempts = 3

    init(path: String) throws(TraceStoreError) {
        self.path = path
        var pointer: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &pointer, flags, nil)
        guard code == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(pointer)
            throw .cannotOpen(path: path, reason: message)
        }
        handle = pointer
        sqlite3_extended_result_codes(handle, 0)
        sqlite3_busy_timeout(handle, Self.busyTimeoutMilliseconds)
    }

    deinit { close() }

    /// Finalizes the statements and closes the file; the last connection to close also
    /// checkpoints the WAL into the main file. Nothing may use the connection afterwards.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements that take no parameters.
    func execute(_ sql: String) throws(TraceStoreError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard code == SQLITE_OK else {
            throw error(code: code, message: message.map { String(cString: $0) })
        }
    }

    /// The cached statement for `sql`, prepared on first use.
    func prepared(_ sql: String) throws(TraceStoreError) -> SQLiteStatement {
        if let statement = statements[StatementKey(sql: sql)] { return statement }
        var pointer: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &pointer, nil)
        guard code == SQLITE_OK, let pointer else { throw error(code: code) }
        let statement = SQLiteStatement(handle: pointer, connection: self)
        statements[StatementKey(sql: sql)] = statement
        return statement
    }

    /// The statement cache's key: SQL text hashed by its length alone. Every write looks its
    /// statement up, and hashing the whole text (up to a few hundred bytes) each time was ~2%
    /// of the writer thread. The store's SQL texts are fixed, a few dozen that mostly differ in
    /// length; those that do not are told apart by comparing their text.
    private struct StatementKey: Hashable {
        let sql: String

        func hash(into hasher: inout Hasher) { hasher.combine(sql.utf8.count) }
    }

    /// Write transactions committed on this connection.
    private(set) var commits = 0

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back if it throws.
    ///
    /// IMMEDIATE takes the write lock up front, so two processes never both read, then both
    /// try to upgrade and deadlock; a busy lock is waited out (busy_timeout) a few times over.
    func writeTransaction<T>(_ body: () throws(TraceStoreError) -> T) throws(TraceStoreError) -> T {
        try begin()
        do {
            let result = try body()
            try commit()
            commits += 1
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    // BEGIN and COMMIT run as cached statements: `sqlite3_exec` would parse them every time.
    private func begin() throws(TraceStoreError) {
        try runRetryingBusy(try prepared("BEGIN IMMEDIATE"))
    }

    private func commit() throws(TraceStoreError) {
        try runRetryingBusy(try prepared("COMMIT"))
    }

    /// Runs `statement`, sitting out a busy lock (each attempt waits up to the busy timeout).
    private func runRetryingBusy(_ statement: SQLiteStatement) throws(TraceStoreError) {
        for _ in 0..<Self.beginAttempts {
            do {
                try statement.run()
                return
            } catch .locked {
                continue
            }
        }
        throw .locked(path: path)
    }

    /// Maps an SQLite result code to the error a user can act on.
    func error(code: Int32, message: String? = nil) -> TraceStoreError {
        let text = message ?? String(cString: sqlite3_errmsg(handle))
        switch code & 0xff {
        case SQLITE_BUSY, SQLITE_LOCKED: return .locked(path: path)
        case SQLITE_CORRUPT, SQLITE_NOTADB: return .corrupt(path: path, reason: text)
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH: return .cannotOpen(path: path, reason: text)
        case SQLITE_FULL: return .full(path: path)
        default: return .sqlite(path: path, code: code, message: text)
        }
    }
}
