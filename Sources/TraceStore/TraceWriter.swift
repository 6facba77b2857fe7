import CSQLite
import Foundation

/// A write nobody waits for: a worker's events, the progress of its row, its conversation.
/// Queued without waiting on I/O and committed with its batch within a few milliseconds.
public enum DeferredWrite: Sendable {
    case event(EventRecord)
    /// The run state and usage of an existing worker (see `TraceStore.updateWorker`).
    case workerProgress(WorkerRecord)
    /// Messages stored at their index, replacing one already there.
    case messages([MessageRecord])
    /// An orchestration's row, inserted or replaced whole.
    case orchestration(OrchestrationRecord)
}

/// The one thread that talks to SQLite for a `TraceStore`.
///
/// Callers hand it two kinds of work, in one first-in-first-out queue: deferred writes, which
/// `submit` only queues, and jobs, which resume an awaiting caller. Deferred writes are
/// committed in batches — one transaction for everything queued, when `batchSize` are
/// waiting, or when the thread's clock (`wakesAt`) runs out, at most `maxDelay` after the
/// oldest arrived — and always before a job queued after them runs, so every job sees (and
/// orders after) every write submitted before it.
///
/// Batching lives here, on the thread that would be woken anyway, so that a worker's step
/// (an event, its row, a message or two, from several calls) costs one transaction, and its
/// caller never waits. The thread's clock is started by the first write that finds none
/// running, which wakes the thread to start it, and when the thread takes a write job:
/// writes follow such a call (a spawn's `queued` event, the `started` event of the worker
/// that takes an ended one's slot), and those that come while the clock runs ride on it or
/// on the next job, without waking the thread. A write thus waits at most `maxDelay`
/// (longer only while the thread is busy), whichever clock it rides on.
///
/// `@unchecked Sendable` is sound because every mutable property below is read and written only
/// while `condition` is locked, and `connection` is used only on `thread` after `init`.
final class TraceWriter: @unchecked Sendable {
    /// A call's work on the writer thread.
    struct Job: Sendable {
        /// Whether `body` writes: it then runs inside a write transaction, shared with the
        /// writes and write jobs queued next to it (group commit).
        let writes: Bool
        /// Does the work and returns how to tell the caller, which happens only once the
        /// work is committed.
        let body: @Sendable (SQLiteConnection) throws(TraceStoreError) -> @Sendable () -> Void
        /// Tells the caller it failed: its own error, or that of the writes queued before it,
        /// which stay queued.
        let fail: @Sendable (TraceStoreError) -> Void
    }

    let connection: SQLiteConnection
    let redactor: Redactor
    /// A batch this big is written at once rather than waiting for `maxDelay`.
    let batchSize = 2_048
    /// The most writes one transaction holds the write lock for (about 50 ms of writing).
    let writesPerTransaction = 8_192
    /// The longest a deferred write waits before its batch is written, and how long the
    /// thread's clock runs after a write job.
    /// 10 ms lets the writes of a step, and of other workers' steps near it, share a transaction
    /// (a quarter fewer transactions than 4 ms in bench/orchestration_bench.py).
    let maxDelay: Duration = .milliseconds(10)

    private enum Queued {
        case write(DeferredWrite)
        case job(Job)
    }

    private let condition = NSCondition()
    private var queue: [Queued] = []
    private var queuedWrites = 0
    private var queuedJobs = 0
    private var wakeSignals = 0
    /// When the thread looks at the queue again by itself, if it is to: never later than
    /// `maxDelay` after the oldest queued write (nil only while no write is queued).
    private var wakesAt: ContinuousClock.Instant?
    private var isClosing = false
    private var isClosed = false
    private var finished: [CheckedContinuation<Void, Never>] = []

    init(connection: SQLiteConnection, redactor: Redactor) {
        self.connection = connection
        self.redactor = redactor
        let thread = Thread { [self] in
            // Named from inside: a name set before start never reaches the OS.
            bosun_name_this_thread("bosun-trace")
            runLoop()
        }
        thread.start()
    }

    /// Queues a write; returns at once. Ignored after `close`.
    func submit(_ write: DeferredWrite) {
        condition.lock()
        guard !isClosing else {
            condition.unlock()
            return
        }
        queue.append(.write(write))
        queuedWrites += 1
        // The thread needs waking only to start its clock, if none runs, or to write a full batch.
        var wake = queuedWrites == batchSize
        if wakesAt == nil {
            wakesAt = .now + maxDelay
            wake = true
        }
        if wake { wakeSignals += 1 }
        condition.unlock()
        // Signalled after unlocking: woken under the lock, the thread would at once block on
        // it again (two more futex calls and a context switch per wake-up).
        if wake { condition.signal() }
    }

    /// Runs `body` on the writer thread after every write submitted so far is committed.
    ///
    /// `nonisolated(nonsending)` (the module's default): the job is queued on the caller's
    /// executor before the call first suspends, so calls made in order from one actor reach
    /// the thread in that order.
    func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(TraceStoreError) -> T) async throws(TraceStoreError) -> T {
        try await run(body, writes: false)
    }

    /// Runs `body` in a write transaction on the writer thread, together with the writes
    /// submitted before it; returns once that transaction is committed.
    func performWrite<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(TraceStoreError) -> T) async throws(TraceStoreError) -> T {
        try await run(body, writes: true)
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(TraceStoreError) -> T,
                                  writes: Bool) async throws(TraceStoreError) -> T {
        let result: Result<T, TraceStoreError> = await withCheckedContinuation { continuation in
            let job = Job(writes: writes, body: { db throws(TraceStoreError) in
                let value = try body(db)
                return { continuation.resume(returning: .success(value)) }
            }, fail: { error in
                continuation.resume(returning: .failure(error))
            })
            if !enqueue(job) { continuation.resume(returning: .failure(.closed(path: connection.path))) }
        }
        return try result.get()
    }

    /// Calls queued and not yet taken up by the thread.
    var queuedJobCount: Int { condition.withLock { queuedJobs } }

    /// How many times `submit` has woken the thread.
    var wakeSignalCount: Int { condition.withLock { wakeSignals } }

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

    private func enqueue(_ job: Job) -> Bool {
        condition.lock()
        guard !isClosing else {
            condition.unlock()
            return false
        }
        queue.append(.job(job))
        queuedJobs += 1
        condition.unlock()
        condition.signal()
        return true
    }

    // MARK: - The thread

    private func runLoop() {
        // The queue's second buffer: the thread swaps it for the queue and gives it back
        // emptied, so neither side's appends reallocate once both have grown to a batch.
        var work: [Queued] = []
        while true {
            let stopping = nextWork(swappingWith: &work)
            let unwritten = process(work)
            work.removeAll(keepingCapacity: work.capacity <= Self.keptQueueCapacity)
            if stopping {
                stop(unwritten: unwritten)
                return
            }
            if !unwritten.isEmpty {
                // Not written for a reason that may pass (another process holds the lock, the
                // disk is full): back to the front of the queue, retried after a pause. The
                // next job or flush reports the failure to its caller.
                requeue(unwritten)
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
    }

    /// The most items an emptied queue buffer keeps room for: a burst (a full batch) does not
    /// hold its memory for the life of the store.
    private static let keptQueueCapacity = 256

    /// Swaps everything queued into `work` (empty) once a job waits, a batch is full or due,
    /// or the store closes; returns whether it closes.
    private func nextWork(swappingWith work: inout [Queued]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while true {
            let due = wakesAt.map { ContinuousClock.now >= $0 } ?? false
            if queuedJobs > 0 || isClosing || queuedWrites >= batchSize || (due && queuedWrites > 0) {
                swap(&work, &queue)
                queuedWrites = 0
                queuedJobs = 0
                // Writes follow a write job (a spawn's `queued` event, the `started` event of
                // the worker that takes an ended one's slot): they ride on this clock.
                wakesAt = work.contains { if case .job(let job) = $0 { return job.writes }; return false } ? .now + maxDelay : nil
                return isClosing
            }
            // A clock that ran out with nothing queued (a write job nothing followed) stops.
            if due { wakesAt = nil }
            if let wakesAt {
                let wait = ContinuousClock.now.duration(to: wakesAt)
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18))
            } else {
                condition.wait()
            }
        }
    }

    /// Commits each run of writes and runs each job, in queue order. Writes and write jobs
    /// queued together share one transaction (group commit). Returns the writes left
    /// unwritten by a failure that may pass; every job after such a failure hears of it,
    /// except reads after a full disk. Groups and runs of writes are slices of `work`: no
    /// write is copied on its way to SQLite.
    private func process(_ work: [Queued]) -> [DeferredWrite] {
        var unwritten: [DeferredWrite] = []
        var failure: TraceStoreError?
        var groupStart = work.startIndex
        func commitTheGroup(upTo end: Int) {
            let (left, stopped) = commitGroup(work[groupStart..<end], after: failure)
            unwritten += left
            failure = stopped
        }
        for index in work.indices {
            guard case .job(let job) = work[index], !job.writes else { continue }
            commitTheGroup(upTo: index)
            groupStart = index + 1
            // A read after writes that a full disk refused still runs, on what is
            // committed: a store that cannot grow keeps answering reads.
            if let failure, failure != .full(path: connection.path) { job.fail(failure) } else { execute(job) }
        }
        commitTheGroup(upTo: work.endIndex)
        return unwritten
    }

    /// Writes and write jobs in one transaction, in their order; if that fails, nothing of it
    /// is kept and they are written apart, so that each failure reaches its own owner.
    private func commitGroup(_ group: ArraySlice<Queued>, after failure: TraceStoreError?) -> ([DeferredWrite], TraceStoreError?) {
        if let failure {
            for case .job(let job) in group { job.fail(failure) }
            return (Self.writes(in: group), failure)
        }
        let jobs = group.count { if case .job = $0 { true } else { false } }
        if jobs > 0, group.count - jobs <= writesPerTransaction, let done = try? commitTogether(group) {
            done.forEach { $0() }
            return ([], nil)
        }
        return processApart(group)
    }

    private func commitTogether(_ group: ArraySlice<Queued>) throws(TraceStoreError) -> [@Sendable () -> Void] {
        try connection.writeTransaction { () throws(TraceStoreError) in
            var done: [@Sendable () -> Void] = []
            var runStart = group.startIndex
            for index in group.indices {
                guard case .job(let job) = group[index] else { continue }
                try applyCoalesced(group[runStart..<index])
                runStart = index + 1
                done.append(try job.body(connection))
            }
            try applyCoalesced(group[runStart...])
            return done
        }
    }

    /// Each job in its own transaction, each run of writes between them in its own.
    private func processApart(_ group: ArraySlice<Queued>) -> ([DeferredWrite], TraceStoreError?) {
        var runStart = group.startIndex
        // Where the writes stopped: that write and every write after it are unwritten.
        var stopped: (index: Int, error: TraceStoreError)?
        for index in group.indices {
            guard case .job(let job) = group[index] else { continue }
            if let stopped {
                job.fail(stopped.error)
                continue
            }
            stopped = write(group[runStart..<index])
            runStart = index + 1
            if let stopped {
                job.fail(stopped.error)
                continue
            }
            execute(job)
        }
        // Refused writes that end the group stop what follows them as they stop a job here:
        // a later group in the batch (after a read) must not commit ahead of them.
        if stopped == nil { stopped = write(group[runStart...]) }
        guard let stopped else { return ([], nil) }
        return (Self.writes(in: group[stopped.index...]), stopped.error)
    }

    /// The deferred writes among `items`, in order.
    private static func writes(in items: ArraySlice<Queued>) -> [DeferredWrite] {
        items.compactMap { if case .write(let write) = $0 { write } else { nil } }
    }

    private func execute(_ job: Job) {
        do {
            let done = job.writes
                ? try connection.writeTransaction { () throws(TraceStoreError) in try job.body(connection) }
                : try job.body(connection)
            done()
        } catch {
            job.fail(error)
        }
    }

    private func requeue(_ writes: [DeferredWrite]) {
        condition.lock()
        defer { condition.unlock() }
        queue.insert(contentsOf: writes.map(Queued.write), at: 0)
        queuedWrites += writes.count
        wakesAt = .now + maxDelay
    }

    private func stop(unwritten: [DeferredWrite]) {
        if !unwritten.isEmpty {
            FileHandle.standardError.write(Data("bosun: trace store lost \(unwritten.count) writes on close\n".utf8))
        }
        connection.close()
        condition.lock()
        isClosed = true
        let waiting = finished
        finished = []
        condition.unlock()
        waiting.forEach { $0.resume() }
    }

    // MARK: - Writing

    /// Commits the writes in `writes`, at most `writesPerTransaction` per transaction so
    /// another process sharing the file never waits long for the write lock. A chunk that
    /// fails is written again one write per transaction, so one bad write (a worker that does
    /// not exist) is dropped with a line on stderr and loses nothing else. Stopped by an error
    /// that may pass, returns it with the index of the write it stopped at: those before it
    /// are committed, and must not be written again (an event would be there twice).
    private func write(_ writes: ArraySlice<Queued>) -> (index: Int, error: TraceStoreError)? {
        var start = writes.startIndex
        while start < writes.endIndex {
            let chunk = writes[start..<min(start + writesPerTransaction, writes.endIndex)]
            do {
                try connection.writeTransaction { () throws(TraceStoreError) in try applyCoalesced(chunk) }
            } catch {
                if let stopped = writeOneByOne(chunk) { return stopped }
            }
            start = chunk.endIndex
        }
        return nil
    }

    /// The index of the write that failed for a reason that may pass, and the error.
    private func writeOneByOne(_ chunk: ArraySlice<Queued>) -> (index: Int, error: TraceStoreError)? {
        for index in chunk.indices {
            guard case .write(let write) = chunk[index] else { continue }
            do {
                try connection.writeTransaction { () throws(TraceStoreError) in try apply(write) }
            } catch where error.mayPass {
                return (index, error)
            } catch {
                FileHandle.standardError.write(Data("bosun: trace store dropped a write: \(error)\n".utf8))
            }
        }
        return nil
    }

    /// Applies the writes in `writes` with every worker row but the last of each worker left
    /// out: in one transaction only the last one is seen.
    private func applyCoalesced(_ writes: ArraySlice<Queued>) throws(TraceStoreError) {
        var lastRow: [String: Int] = [:]
        for index in writes.indices {
            if case .write(.workerProgress(let worker)) = writes[index] { lastRow[worker.id] = index }
        }
        for index in writes.indices {
            guard case .write(let write) = writes[index] else { continue }
            if case .workerProgress(let worker) = write, lastRow[worker.id] != index { continue }
            try apply(write)
        }
    }

    private func apply(_ write: DeferredWrite) throws(TraceStoreError) {
        switch write {
        case .event(let event):
            try TraceSQL.bind(event, to: connection.prepared(TraceSQL.insertEvent), redactor: redactor)
        case .workerProgress(let worker):
            try TraceSQL.updateProgress(of: worker, in: connection, redactor: redactor)
        case .messages(let messages):
            try TraceSQL.insert(messages, into: connection, redactor: redactor)
        case .orchestration(let orchestration):
            try TraceSQL.save(orchestration, in: connection, redactor: redactor)
        }
    }
}

extension TraceStoreError {
    /// Whether trying again later may succeed (a lock held by another process, a full disk),
    /// rather than never (a worker that does not exist, a constraint).
    public var mayPass: Bool {
        switch self {
        case .missingWorker, .duplicateWorker, .missingSession, .unknownId, .closed: return false
        case .sqlite(_, let code, _): return code != SQLITE_TOOBIG && code != SQLITE_CONSTRAINT && code != SQLITE_MISMATCH
        default: return true
        }
    }
}
