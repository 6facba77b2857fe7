import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport

@testable import Workspace

/// Blocking work never holds the cooperative pool (one thread per core): while many more
/// blocking calls than there are cores wait, ordinary tasks still run. Each blocked call
/// waits for a semaphore that only an ordinary task signals, and gives up after 10 s: on
/// Dispatch's queues (where this work ran before) the ordinary task got a thread only as
/// Dispatch added one a second, 14 s for 16 calls on 2 cores, so the calls gave up.
@Suite struct BlockingWorkTests {
    @Test func blockedCallsLeaveTheCooperativePoolFree() async throws {
        let blocked = max(ProcessInfo.processInfo.activeProcessorCount, 2) * 8
        let gate = DispatchSemaphore(value: 0)
        let waiting = WaitingCount()
        let signalled = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<blocked {
                group.addTask {
                    try await BlockingWork.run {
                        waiting.value.add(1, ordering: .sequentiallyConsistent)
                        return gate.wait(timeout: .now() + 10) == .success
                    }
                }
            }
            // An ordinary task on the cooperative pool: it runs only if the pool is free, and
            // signals once every blocked call is waiting.
            group.addTask {
                try await waitUntil(timeout: .seconds(10)) { waiting.value.load(ordering: .sequentiallyConsistent) == blocked }
                for _ in 0..<blocked { gate.signal() }
                return true
            }
            var signalled: [Bool] = []
            for try await result in group { signalled.append(result) }
            return signalled
        }
        #expect(signalled.count == blocked + 1)
        #expect(signalled.allSatisfy { $0 }, "\(signalled.filter { !$0 }.count) blocked calls were never released")
    }

    /// Jobs given one after another run on one kept thread, not on a thread started per job.
    @Test func aThreadIsKeptForTheNextJob() async throws {
        let threads = BlockingThreads()
        func threadId() async -> pthread_t {
            await withCheckedContinuation { continuation in threads.run { continuation.resume(returning: pthread_self()) } }
        }
        let first = await threadId()
        // The answer is resumed from the thread just before it waits for the next job.
        while threads.idleThreads == 0 {
            try await Task.sleep(for: .milliseconds(1))  // paces the polls of whether the thread waits yet
        }
        let second = await threadId()
        #expect(second == first)
        #expect(threads.idleThreads <= 1)
    }

    /// A call never waits behind another that blocks: calls that each wait for all the others
    /// to have started only finish if every one of them got a thread at once.
    @Test func everyCallGetsAThreadWhileTheOthersBlock() async throws {
        let calls = 12
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let released = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<calls {
                group.addTask {
                    try await BlockingWork.run {
                        started.signal()
                        return release.wait(timeout: .now() + 10) == .success
                    }
                }
            }
            group.addTask {
                try await BlockingWork.run {
                    // Every call has started, each holding its thread, before any is let go.
                    let all = (0..<calls).allSatisfy { _ in started.wait(timeout: .now() + 10) == .success }
                    for _ in 0..<calls { release.signal() }
                    return all
                }
            }
            var results: [Bool] = []
            for try await result in group { results.append(result) }
            return results
        }
        #expect(released.count == calls + 1)
        #expect(released.allSatisfy { $0 })
    }

    /// How many blocked calls are waiting, shared with the tasks that count and read it.
    final class WaitingCount: Sendable {
        let value = Atomic(0)
    }

    @Test func aCancelledCallerStopsWaitingAtOnce() async throws {
        let gate = DispatchSemaphore(value: 0)
        let task = Task { try await BlockingWork.run { gate.wait(); return 1 } }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        gate.signal()
    }
}
