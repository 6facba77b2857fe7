import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Who holds a session lease: this process, named so that another process on the same
/// machine can tell whether it still runs.
///
/// A holder is `<machine>/<pid>/<start time>`: the machine is the kernel's boot id and
/// the PID namespace, so a pid is only ever judged in the namespace it belongs to, and the
/// start time (in clock ticks since boot) tells a reused pid from the process that held the
/// lease. A holder on another machine or namespace cannot be checked and counts as alive
/// until its lease expires.
struct LeaseHolder: Hashable, Sendable {
    let machine: String
    let pid: Int32
    let startTime: UInt64

    /// This process.
    static let current: LeaseHolder = {
        let pid = getpid()
        return LeaseHolder(machine: thisMachine, pid: pid, startTime: startTime(of: pid) ?? 0)
    }()

    var text: String { "\(machine)/\(pid)/\(startTime)" }

    init(machine: String, pid: Int32, startTime: UInt64) {
        self.machine = machine
        self.pid = pid
        self.startTime = startTime
    }

    init?(text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), let start = UInt64(parts[parts.count - 1]) else {
            return nil
        }
        self.init(machine: parts.dropLast(2).joined(separator: "/"), pid: pid, startTime: start)
    }

    /// Whether a lease of this holder that expires at `expiresAt` holds at `now`. On this
    /// machine, exactly while the holder runs (even past expiry: it may be stopped, or slow
    /// to renew); elsewhere, until it expires.
    func holds(expiringAt expiresAt: Date, now: Date) -> Bool {
        if !machine.isEmpty, machine == Self.thisMachine { return Self.startTime(of: pid) == startTime }
        return expiresAt > now
    }

    /// The boot id and the PID namespace of this process; empty when either is unknown,
    /// which makes every holder count as alive until its lease expires.
    private static let thisMachine: String = {
        guard let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
              let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid") else { return "" }
        return boot.trimmingCharacters(in: .whitespacesAndNewlines) + ":" + namespace
    }()

    /// Field 22 of `/proc/PID/stat`, after the command name (which may hold spaces and parentheses).
    private static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so the start time (field 22) is the 20th.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}

/// What `prune` did: how many sessions went, and which old ones it kept because a live
/// process holds them.
public struct PruneReport: Sendable, Hashable {
    public var removed: Int
    /// Session ids, sorted.
    public var skippedHeld: [String]
}

extension TraceStore {
    /// How long a lease lasts without renewal: a killed holder's sessions become prunable
    /// this long after its last renewal (at once, on the same machine).
    public static let sessionLeaseSeconds: TimeInterval = 60

    /// Takes or renews this process's lease on session `id` for `sessionLeaseSeconds`. A
    /// new session needs none until it is stored: `insertWorker(_:creating:)` takes it then.
    public func holdSession(id: String) async throws {
        try await writer.performWrite { db throws(TraceStoreError) in
            try Self.writeLease(on: id, in: db)
        }
    }

    static func writeLease(on sessionId: String, in db: SQLiteConnection) throws(TraceStoreError) {
        let upsert = try db.prepared("INSERT OR REPLACE INTO session_leases (session_id, holder, expires_at) VALUES (?, ?, ?)")
        upsert.bind(1, sessionId)
        upsert.bind(2, LeaseHolder.current.text)
        upsert.bind(3, Date().addingTimeInterval(sessionLeaseSeconds).timeIntervalSince1970)
        try upsert.run()
    }

    /// Gives up this process's lease on session `id`.
    public func releaseSession(id: String) async throws {
        try await writer.performWrite { db throws(TraceStoreError) in
            let delete = try db.prepared("DELETE FROM session_leases WHERE session_id = ? AND holder = ?")
            delete.bind(1, id)
            delete.bind(2, LeaseHolder.current.text)
            try delete.run()
        }
    }

    /// The sessions some live process holds; drops every other lease.
    static func heldSessions(in db: SQLiteConnection, now: Date) throws(TraceStoreError) -> Set<String> {
        let leases = try db.prepared("SELECT session_id, holder, expires_at FROM session_leases")
            .rows { ($0.string(0), $0.string(1), $0.double(2)) }
        var held: Set<String> = []
        let drop = try db.prepared("DELETE FROM session_leases WHERE session_id = ? AND holder = ?")
        for (session, holder, expires) in leases {
            let expiresAt = Date(timeIntervalSince1970: expires)
            let live = LeaseHolder(text: holder)?.holds(expiringAt: expiresAt, now: now) ?? (expiresAt > now)
            if live {
                held.insert(session)
            } else {
                drop.bind(1, session)
                drop.bind(2, holder)
                try drop.run()
            }
        }
        return held
    }
}
