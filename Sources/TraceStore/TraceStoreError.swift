/// Everything that can go wrong with the trace store, each with what was wrong and what to do.
public enum TraceStoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The path cannot hold a database: empty, a directory, or under something that is not a directory.
    case badPath(path: String, reason: String)
    /// SQLite could not open or create the file (permissions, missing disk, …).
    case cannotOpen(path: String, reason: String)
    /// Another process held the write lock for longer than the busy timeout, several times over.
    case locked(path: String)
    /// The file is not an SQLite database, or its pages are damaged.
    case corrupt(path: String, reason: String)
    /// The file was written by a newer bosun whose schema this one does not know.
    case newerSchema(path: String, found: Int, supported: Int)
    /// `bosun trace` was pointed at a file that does not exist.
    case missingStore(path: String)
    case missingSession(id: String)
    case missingWorker(id: String)
    case duplicateWorker(id: String)
    /// Neither a session nor a worker has this id.
    case unknownId(id: String)
    /// The store was closed; nothing more can be read or written through this instance.
    case closed(path: String)
    /// The disk holding the store has no room left (SQLite's `SQLITE_FULL`).
    case full(path: String)
    /// Any other SQLite failure, with its result code and message.
    case sqlite(path: String, code: Int32, message: String)

    public var description: String {
        switch self {
        case .badPath(let path, let reason):
            return "trace store path '\(path)' is unusable: \(reason). Pass --db with a file path in a writable directory, or set store.path in the config."
        case .cannotOpen(let path, let reason):
            return "cannot open trace store '\(path)': \(reason). Check that the directory exists and is writable by this user."
        case .locked(let path):
            return "trace store '\(path)' stayed locked by another process past the busy timeout. Retry when the other bosun process is idle, or use a separate --db file."
        case .corrupt(let path, let reason):
            return "trace store '\(path)' is not a readable bosun database (\(reason)). Move it aside and bosun will create a fresh one, or point --db at another file."
        case .newerSchema(let path, let found, let supported):
            return "trace store '\(path)' has schema version \(found) but this bosun understands up to \(supported). Upgrade bosun, or point --db at another file."
        case .missingStore(let path):
            return "no trace store at '\(path)'. Run bosun once to create it, or pass --db with the path of an existing store."
        case .missingSession(let id):
            return "no session '\(id)' in the trace store. List sessions with `bosun trace sessions`."
        case .missingWorker(let id):
            return "no worker '\(id)' in the trace store. Insert the worker before updating it, or check the id with `bosun trace show SESSION`."
        case .duplicateWorker(let id):
            return "worker '\(id)' is already in the trace store. Use updateWorker to change it, or give the new worker a fresh id."
        case .unknownId(let id):
            return "'\(id)' is no session, worker or orchestration in the trace store. List sessions with `bosun trace sessions`."
        case .closed(let path):
            return "trace store '\(path)' is closed. Open a new TraceStore to keep using the file."
        case .full(let path):
            return "trace store '\(path)' is full: its disk has no room left. Free space on that disk; bosun keeps serving reads and finishes the writes it holds when space returns."
        case .sqlite(let path, let code, let message):
            return "trace store '\(path)' failed: \(message) (SQLite code \(code)). Check free disk space and file permissions."
        }
    }
}
