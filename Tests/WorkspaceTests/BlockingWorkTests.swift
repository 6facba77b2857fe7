import Dispatch
import Foundation
import Testing

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
        let signalled = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<blocked {
                group.addTask {
                    try await BlockingWork.run { gate.wait(timeout: .now() + 10) == .success }
                }
            }
            // An ordinary task on the cooperative pool: it runs only if the pool is free.
            group.addTask {
                try await Task.sleep(for: .milliseconds(20))
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

    @Test func aCancelledCallerStopsWaitingAtOnce() async throws {
        let gate = DispatchSemaphore(value: 0)
        let task = Task { try await BlockingWork.run { gate.wait(); return 1 } }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        gate.signal()
    }
}
