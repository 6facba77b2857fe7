import Foundation
import Promises

/// Runs blocking work (file reads and writes, directory walks, name lookups) on a thread of
/// its own, never on Swift's cooperative pool: that pool has one thread per core, so a few
/// tools blocked in system calls would stall every task of the process, `status` and the
/// deadline timers included. Not on Dispatch's queues either: on Linux their threads share
/// the cooperative pool's per-core budget, and Dispatch adds a thread about once a second
/// when they block, so two blocked calls there held every task back for seconds
/// (`BlockingWorkTests`). The threads are kept for the next call (`BlockingThreads`):
/// starting and ending one per call cost more than a small tool's whole run. A cancelled
/// caller stops waiting at once; the work finishes on its own thread and its result is dropped.
public enum BlockingWork {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome = Promise<Result<T, Error>>()
        return try await withTaskCancellationHandler {
            BlockingThreads.shared.run { outcome.fulfil(Result { try work() }) }
            return try await outcome.value.get()
        } onCancel: {
            outcome.fulfil(.failure(CancellationError()))
        }
    }
}

/// The threads blocking work runs on. A job goes to an idle thread if there is one, else to a
/// new thread, so a job never waits behind another that blocks; a thread idle for
/// `idleLifetime` ends, so a burst of calls leaves no threads behind.
///
/// `@unchecked Sendable`: `jobs` and `idle` are only accessed while `condition` is locked.
final class BlockingThreads: @unchecked Sendable {
    static let shared = BlockingThreads()

    let idleLifetime: TimeInterval = 10
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var nextJob = 0
    private var idle = 0

    /// Threads waiting for a job.
    var idleThreads: Int { condition.withLock { idle } }

    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        // More jobs waiting than idle threads to take them: one more thread.
        let startsThread = jobs.count - nextJob > idle
        condition.unlock()
        if startsThread {
            let thread = Thread { [self] in work() }
            thread.stackSize = 1 << 20
            thread.start()
        } else {
            condition.signal()
        }
    }

    private func work() {
        condition.lock()
        while true {
            if nextJob < jobs.count {
                let job = jobs[nextJob]
                nextJob += 1
                if nextJob == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    nextJob = 0
                }
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            idle += 1
            let signalled = condition.wait(until: Date(timeIntervalSinceNow: idleLifetime))
            idle -= 1
            if !signalled, nextJob == jobs.count { break }
        }
        condition.unlock()
    }
}
