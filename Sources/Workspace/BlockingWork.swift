import Foundation
import Promises

/// Runs blocking work (file reads and writes, directory walks, name lookups) on a thread of
/// its own, never on Swift's cooperative pool: that pool has one thread per core, so a few
/// tools blocked in system calls would stall every task of the process, `status` and the
/// deadline timers included. Not on Dispatch's queues either: on Linux their threads share
/// the cooperative pool's per-core budget, and Dispatch adds a thread about once a second
/// when they block, so two blocked calls there held every task back for seconds
/// (`BlockingWorkTests`). A thread costs tens of microseconds, little beside a system call
/// worth moving off the pool. A cancelled caller stops waiting at once; the work finishes on
/// its own thread and its result is dropped.
public enum BlockingWork {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let outcome = Promise<Result<T, Error>>()
        return try await withTaskCancellationHandler {
            let thread = Thread { outcome.fulfil(Result { try work() }) }
            thread.stackSize = 1 << 20
            thread.start()
            return try await outcome.value.get()
        } onCancel: {
            outcome.fulfil(.failure(CancellationError()))
        }
    }
}
