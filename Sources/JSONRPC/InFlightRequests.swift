import Foundation
import Synchronization

/// The requests read and not yet answered, so `$/cancelRequest` can find them by id and
/// shutdown can wait for all of them to answer.
///
/// At most `maxRunning` requests (`answer`) have a task at once; the others wait, first in
/// first out, as the little their answer needs (the message and a closure), and start as
/// running ones end. A waiting request that is cancelled starts at once and answers
/// -32800. A client that sends faster than requests end therefore costs a bounded number
/// of tasks, and `hasRoom` tells the reader to stop reading past `maxWaiting` waiting ones.
final class InFlightRequests: Sendable {
    private struct Entry {
        var id: RequestID?
        /// Cancels its task; nil while it waits for a turn.
        var cancel: (@Sendable () -> Void)?
        /// Starts its task, while it waits for a turn.
        var launch: (@Sendable () -> Task<Void, Never>)?
        /// Cancelled while it waited: it is cancelled as soon as it starts.
        var cancelled = false
        /// Cancelled by a client that wants no answer (MCP's `notifications/cancelled`).
        var silenced = false
    }

    private struct Table {
        var nextSerial = 0
        var entries: [Int: Entry] = [:]
        /// Continuations waiting for `entries` to empty, by waiter number.
        var drainWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter = 0
        /// Requests with a task (`answer`'s, not `start`'s, which are never held back).
        var running = 0
        /// Requests waiting for a turn, oldest first from `head` (one that started early,
        /// being cancelled, is skipped when its turn comes).
        var waiting: [Int] = []
        var head = 0
        var waitingCount: Int { waiting.count - head }
    }

    private let table = Mutex(Table())
    /// Where the reader sleeps while the waiting requests are at `maxWaiting`; signalled by
    /// the request end that makes room, so a paused reader costs no CPU.
    private let room = NSCondition()
    let maxRunning: Int
    let maxWaiting: Int

    init(maxRunning: Int = 1024, maxWaiting: Int = 16384) {
        self.maxRunning = maxRunning
        self.maxWaiting = maxWaiting
    }

    /// Whether fewer than `maxWaiting` requests wait for a turn: the reader reads on only then.
    var hasRoom: Bool { table.withLock { $0.waitingCount < maxWaiting } }

    /// Blocks the calling thread (the reader's) until `hasRoom`.
    func waitForRoom() {
        room.lock()
        while !hasRoom { room.wait() }
        room.unlock()
    }

    /// Starts `body` as a task and tracks it until it returns.
    @discardableResult
    func start<T: Sendable>(id: RequestID?, _ body: @escaping @Sendable () async -> T) -> Task<T, Never> {
        table.withLock { table in
            let serial = table.nextSerial
            table.nextSerial += 1
            // The task cannot remove itself before it is inserted: removal takes this lock.
            let task = Task { [self] in
                let result = await body()
                finished(serial, wasRunning: false)
                return result
            }
            table.entries[serial] = Entry(id: id, cancel: { task.cancel() })
            return task
        }
    }

    /// Runs a request: `produce` makes its answer, which `send` writes unless the request was
    /// cancelled silently in the meantime. It starts now, or when a running one ends if
    /// `maxRunning` run already. The request counts as in flight until it was sent.
    func answer(id: RequestID?, produce: @escaping @Sendable () async -> Data, send: @escaping @Sendable (Data) -> Void) {
        table.withLock { locked in
            let serial = locked.nextSerial
            locked.nextSerial += 1
            let launch: @Sendable () -> Task<Void, Never> = { [self] in
                Task { [self] in
                    // Cancelled before it had a task: it must see so from its first line, not
                    // only once `begin` gets to cancel it (by then it may be waiting on work).
                    if wasCancelled(serial) { withUnsafeCurrentTask { $0?.cancel() } }
                    let answer = await produce()
                    if !isSilenced(serial) { send(answer) }
                    finished(serial, wasRunning: true)
                }
            }
            locked.entries[serial] = Entry(id: id, launch: launch)
            if locked.running < maxRunning {
                Self.begin(serial, in: &locked)
            } else {
                locked.waiting.append(serial)
            }
        }
    }

    /// Gives a request its task (under the lock: the task's end takes the lock, so it cannot
    /// finish before it is recorded).
    private static func begin(_ serial: Int, in table: inout Table) {
        guard let launch = table.entries[serial]?.launch else { return }
        let task = launch()
        table.running += 1
        table.entries[serial]?.launch = nil
        table.entries[serial]?.cancel = { task.cancel() }
        if table.entries[serial]?.cancelled == true { task.cancel() }
    }

    /// Starts the oldest waiting requests while there is room.
    private static func startWaiting(in table: inout Table, maxRunning: Int) {
        while table.head < table.waiting.count {
            let serial = table.waiting[table.head]
            guard table.entries[serial]?.launch != nil else { table.head += 1; continue }
            guard table.running < maxRunning else { break }
            table.head += 1
            begin(serial, in: &table)
        }
        if table.head > 1024, table.head * 2 > table.waiting.count {
            table.waiting.removeFirst(table.head)
            table.head = 0
        }
    }

    private func wasCancelled(_ serial: Int) -> Bool {
        table.withLock { $0.entries[serial]?.cancelled ?? false }
    }

    private func isSilenced(_ serial: Int) -> Bool {
        table.withLock { $0.entries[serial]?.silenced ?? false }
    }

    /// Cancels every request with this id, running or waiting (which then starts at once to
    /// answer -32800); false when there was none. `silently`: their answers are not sent.
    @discardableResult
    func cancel(id: RequestID, silently: Bool = false) -> Bool {
        let cancels = table.withLock { table -> [@Sendable () -> Void]? in
            var cancels: [@Sendable () -> Void] = []
            var found = false
            for (serial, entry) in table.entries where entry.id == id {
                found = true
                if silently { table.entries[serial]?.silenced = true }
                table.entries[serial]?.cancelled = true
                if let cancel = entry.cancel { cancels.append(cancel) }
                // A waiting one starts now, beyond `maxRunning`, and answers at once.
                if entry.launch != nil { Self.begin(serial, in: &table) }
            }
            return found ? cancels : nil
        }
        cancels?.forEach { $0() }
        return cancels != nil
    }

    func cancelAll() {
        let cancels = table.withLock { table -> [@Sendable () -> Void] in
            for serial in Array(table.entries.keys) {
                table.entries[serial]?.cancelled = true
                if table.entries[serial]?.launch != nil { Self.begin(serial, in: &table) }
            }
            return table.entries.values.compactMap(\.cancel)
        }
        cancels.forEach { $0() }
    }

    var count: Int { table.withLock { $0.entries.count } }

    /// Waits until no request is running; false if `timeout` passed first.
    func drain(timeout: Duration) async -> Bool {
        await withCheckedContinuation { continuation in
            let waiter: Int? = table.withLock { table in
                guard !table.entries.isEmpty else { return nil }
                let waiter = table.nextWaiter
                table.nextWaiter += 1
                table.drainWaiters[waiter] = continuation
                return waiter
            }
            guard let waiter else { return continuation.resume(returning: true) }
            Task { [self] in
                try? await Task.sleep(for: timeout)
                table.withLock { $0.drainWaiters.removeValue(forKey: waiter) }?.resume(returning: false)
            }
        }
    }

    private func finished(_ serial: Int, wasRunning: Bool) {
        let (waiters, madeRoom) = table.withLock { table -> ([CheckedContinuation<Bool, Never>], Bool) in
            table.entries[serial] = nil
            let wasFull = table.waitingCount >= maxWaiting
            if wasRunning {
                table.running -= 1
                Self.startWaiting(in: &table, maxRunning: maxRunning)
            }
            let madeRoom = wasFull && table.waitingCount < maxWaiting
            guard table.entries.isEmpty else { return ([], madeRoom) }
            defer { table.drainWaiters = [:] }
            return (Array(table.drainWaiters.values), madeRoom)
        }
        if madeRoom {
            room.lock()
            room.broadcast()
            room.unlock()
        }
        waiters.forEach { $0.resume(returning: true) }
    }
}
