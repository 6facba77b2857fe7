import Foundation
import Synchronization

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
        let once = OnceContinuation<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
                once.install(continuation)
                let thread = Thread { once.resume(with: Result { try work() }) }
                thread.stackSize = 1 << 20
                thread.start()
            }
        } onCancel: {
            once.resume(with: .failure(CancellationError()))
        }
    }
}

/// A continuation resumed exactly once, by whichever comes first: the answer or a cancellation.
private final class OnceContinuation<T: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<T, Error>?, early: Result<T, Error>?)>((nil, nil))

    func install(_ continuation: CheckedContinuation<T, Error>) {
        let early = state.withLock { s -> Result<T, Error>? in
            if let early = s.early { return early }
            s.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(with result: Result<T, Error>) {
        let continuation = state.withLock { s -> CheckedContinuation<T, Error>? in
            if let c = s.continuation { s.continuation = nil; s.early = result; return c }
            if s.early == nil { s.early = result }
            return nil
        }
        continuation?.resume(with: result)
    }
}
