import Foundation

/// The one thread that talks to SQLite for a `TraceStore`.
///
/// Callers hand it two kinds of work: events, which `append` only queues (it never waits on
/// I/O), and jobs, which run in submission order and resume an awaiting caller. Queued events
/// are written in batches — when `batchSize` are waiting or `maxDelay` after the oldest arrived —
/// and always before the next job runs, so a job sees (and orders after) every earlier event.
///
/// `@unchecked Sendable` is sound because every mutable property below is read and written only
/// while `condition` is locked, and `connection` is used only on `thread` after `init`.
final class TraceWriter: @unchecked Sendable {
    typealias Job = @Sendable (TraceWriter) -> Void

    let connection: SQLiteConnection
    let redactor: Redactor
    /// A batch this big is written at once rather than waiting for `maxDelay`.
    let batchSize = 2_048
    /// The most events one transaction holds the write lock for (about 50 ms of writing).
    let eventsPerTransaction = 8_192
    /// The longest an appended event waits before its batch is written.
    let maxDelay: Duration = .milliseconds(4)

    private let condition = NSCondition()
    private var pending: [EventRecord] = []
    private var oldestPendingAt: ContinuousClock.Instant?
    private var jobs: [Job] = []
    private var jobsHead = 0
    private var isClosing = false
    private var isClosed = false
    private var finished: [CheckedContinuation<Void, Never>] = []

    init(connection: SQLiteConnection, redactor: Redactor) {
        self.connection = connection
        self.redactor = redactor
        let thread = Thread { [self] in runLoop() }
        thread.name = "bosun.trace-writer"
        thread.start()
    }

    /// Queues an event; returns at once. Ignored after `close`.
    func append(_ event: EventRecord) {
        condition.lock()
        defer { condition.unlock() }
        guard !isClosing else { return }
        if pending.isEmpty { oldestPendingAt = .now }
        pending.append(event)
        if pending.count == 1 || pending.count >= batchSize { condition.signal() }
    }

    /// Runs `body` on the writer thread after every event appended so far is written.
    func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(TraceStoreError) -> T) async throws(TraceStoreError) -> T {
        try await perform(body, eventsInTransaction: false)
    }

    private func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(TraceStoreError) -> T,
                                      eventsInTransaction: Bool) async throws(TraceStoreError) -> T {
        let result: Result<T, TraceStoreError> = await withCheckedContinuation { continuation in
            let job: Job = { writer in
                continuation.resume(returning: Result { () throws(TraceStoreError) -> T in
                    if eventsInTransaction { return try writer.writePendingEvents(with: body) }
                    try writer.writePendingEvents()
                    return try body(writer.connection)
                })
            }
            if !enqueue(job) { continuation.resume(returning: .failure(.closed(path: connection.path))) }
        }
        return try result.get()
    }

    /// Runs `body` on the writer thread in the same write transaction as every event appended
    /// so far (one transaction and one thread hop instead of two or three). If the
    /// transaction fails, nothing of it is kept and the events stay queued for the next write.
    func performWithPendingEvents(_ body: @escaping @Sendable (SQLiteConnection) throws(TraceStoreError) -> Void) async throws(TraceStoreError) {
        try await perform(body, eventsInTransaction: true)
    }

    /// Writes what is queued, stops the thread and waits for it. Later calls return at once.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            if isClosed {
                condition.unlock()
                continuation.resume()
                return
            }
            finished.append(continuation)
            isClosing = true
            condition.signal()
            condition.unlock()
        }
    }

    private func enqueue(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !isClosing else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    private enum Work { case job(Job), writeEvents, stop }

    private func runLoop() {
        while true {
            switch nextWork() {
            case .job(let job):
                job(self)
            case .writeEvents:
                do {
                    try writePendingEvents()
                } catch {
                    // Nobody awaits these events; they stay queued and are retried, and the
                    // next job or flush reports the failure to its caller.
                    Thread.sleep(forTimeInterval: 0.05)
                }
            case .stop:
                do {
                    try writePendingEvents()
                } catch {
                    FileHandle.standardError.write(Data("bosun: trace store lost \(pendingCount()) events on close: \(error)\n".utf8))
                }
                connection.close()
                condition.lock()
                isClosed = true
                let waiting = finished
                finished = []
                condition.unlock()
                waiting.forEach { $0.resume() }
                return
            }
        }
    }

    private func nextWork() -> Work {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if jobsHead < jobs.count {
                let job = jobs[jobsHead]
                jobsHead += 1
                if jobsHead == jobs.count { jobs.removeAll(keepingCapacity: true); jobsHead = 0 }
                return .job(job)
            }
            if isClosing { return .stop }
            if pending.count >= batchSize { return .writeEvents }
            if let oldest = oldestPendingAt, !pending.isEmpty {
                let due = oldest + maxDelay
                if ContinuousClock.now >= due { return .writeEvents }
                let wait = ContinuousClock.now.duration(to: due)
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18))
            } else {
                condition.wait()
            }
        }
    }

    private func pendingCount() -> Int {
        condition.lock()
        defer { condition.unlock() }
        return pending.count
    }

    /// Writes every queued event and then `body` in one transaction (two if there are more
    /// events than `eventsPerTransaction`); on failure the events go back to the queue.
    private func writePendingEvents<T>(with body: (SQLiteConnection) throws(TraceStoreError) -> T) throws(TraceStoreError) -> T {
        condition.lock()
        let batch = pending
        let fits = batch.count <= eventsPerTransaction
        if fits {
            pending = []
            oldestPendingAt = nil
        }
        condition.unlock()
        guard fits else {
            try writePendingEvents()
            return try connection.writeTransaction { () throws(TraceStoreError) in try body(connection) }
        }
        do {
            return try connection.writeTransaction { () throws(TraceStoreError) in
                if !batch.isEmpty {
                    let insert = try connection.prepared(TraceSQL.insertEvent)
                    for event in batch { try TraceSQL.bind(event, to: insert, redactor: redactor) }
                }
                return try body(connection)
            }
        } catch {
            condition.lock()
            pending.insert(contentsOf: batch, at: 0)
            oldestPendingAt = .now
            condition.unlock()
            throw error
        }
    }

    /// Writes every queued event, at most `eventsPerTransaction` per transaction so another
    /// process sharing the file never waits long for the write lock. On failure the unwritten
    /// events go back to the front of the queue, so a transient error drops nothing.
    func writePendingEvents() throws(TraceStoreError) {
        condition.lock()
        let batch = pending
        pending = []
        oldestPendingAt = nil
        condition.unlock()
        var written = 0
        do {
            while written < batch.count {
                let chunk = batch[written..<min(written + eventsPerTransaction, batch.count)]
                try connection.writeTransaction { () throws(TraceStoreError) in
                    let insert = try connection.prepared(TraceSQL.insertEvent)
                    for event in chunk { try TraceSQL.bind(event, to: insert, redactor: redactor) }
                }
                written = chunk.endIndex
            }
        } catch {
            condition.lock()
            pending.insert(contentsOf: batch[written...], at: 0)
            oldestPendingAt = .now
            condition.unlock()
            throw error
        }
    }
}
