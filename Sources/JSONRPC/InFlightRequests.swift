import Foundation
import Synchronization

/// The requests whose handlers are running, so `$/cancelRequest` can find them by id and
/// shutdown can wait for all of them to answer.
final class InFlightRequests: Sendable {
    private struct Entry {
        var id: RequestID?
        var cancel: @Sendable () -> Void
        /// Cancelled by a client that wants no answer (MCP's `notifications/cancelled`).
        var silenced = false
    }

    private struct Table {
        var nextSerial = 0
        var entries: [Int: Entry] = [:]
        /// Continuations waiting for `entries` to empty, by waiter number.
        var drainWaiters: [Int: CheckedContinuation<Bool, Never>] = [:]
        var nextWaiter = 0
    }

    private let table = Mutex(Table())

    /// Starts `body` as a task and tracks it until it returns.
    @discardableResult
    func start<T: Sendable>(id: RequestID?, _ body: @escaping @Sendable () async -> T) -> Task<T, Never> {
        table.withLock { table in
            let serial = table.nextSerial
            table.nextSerial += 1
            // The task cannot remove itself before it is inserted: removal takes this lock.
            let task = Task { [self] in
                let result = await body()
                finished(serial)
                return result
            }
            table.entries[serial] = Entry(id: id, cancel: { task.cancel() })
            return task
        }
    }

    /// Runs a request: `produce` makes its answer, which `send` writes unless the request was
    /// cancelled silently in the meantime. The request counts as running until it was sent.
    func answer(id: RequestID?, produce: @escaping @Sendable () async -> Data, send: @escaping @Sendable (Data) -> Void) {
        table.withLock { locked in
            let serial = locked.nextSerial
            locked.nextSerial += 1
            let task = Task { [self] in
                let answer = await produce()
                if !isSilenced(serial) { send(answer) }
                finished(serial)
            }
            locked.entries[serial] = Entry(id: id, cancel: { task.cancel() })
        }
    }

    private func isSilenced(_ serial: Int) -> Bool {
        table.withLock { $0.entries[serial]?.silenced ?? false }
    }

    /// Cancels every running request with this id; false when none was running. `silently`:
    /// their answers are not sent.
    @discardableResult
    func cancel(id: RequestID, silently: Bool = false) -> Bool {
        let cancels = table.withLock { table in
            var cancels: [@Sendable () -> Void] = []
            for (serial, entry) in table.entries where entry.id == id {
                if silently { table.entries[serial]?.silenced = true }
                cancels.append(entry.cancel)
            }
            return cancels
        }
        cancels.forEach { $0() }
        return !cancels.isEmpty
    }

    func cancelAll() {
        table.withLock { $0.entries.values.map(\.cancel) }.forEach { $0() }
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

    private func finished(_ serial: Int) {
        let waiters = table.withLock { table -> [CheckedContinuation<Bool, Never>] in
            table.entries[serial] = nil
            guard table.entries.isEmpty else { return [] }
            defer { table.drainWaiters = [:] }
            return Array(table.drainWaiters.values)
        }
        waiters.forEach { $0.resume(returning: true) }
    }
}
