import Foundation
import Testing
@testable import TraceStore
import TestSupport

/// The `controls` table: how `bosun top` and `bosun cancel` ask another process's session
/// to act on one of its workers.
@Suite struct ControlTests {
    let dir = TemporaryDirectory(prefix: "bosun-store-tests")

    func store(with workers: [WorkerRecord]) async throws -> TraceStore {
        let store = try TraceStore(path: dir.file("controls.sqlite"))
        _ = try await store.openSession(id: "s_owner", workspaceRoot: "/w", maxConcurrentWorkers: 2)
        _ = try await store.openSession(id: "s_other", workspaceRoot: "/w", maxConcurrentWorkers: 2)
        for worker in workers { try await store.insertWorker(worker) }
        return store
    }

    @Test func aRequestReachesOnlyTheOwningSessionUntilHandled() async throws {
        let store = try await store(with: [Fixture.worker("w_a", session: "s_owner"), Fixture.worker("w_b", session: "s_other")])
        let request = try await store.requestControl(workerId: "w_a", action: .cancel, reason: "from a test")
        #expect(request.sessionId == "s_owner")
        #expect(try await store.pendingControls(sessionId: "s_other").isEmpty)
        #expect(try await store.pendingControls(sessionId: "s_owner").map(\.id) == [request.id])
        #expect(try await store.controlStatus(id: request.id) == .pending)
        try await store.finishControl(id: request.id, outcome: "cancelled")
        #expect(try await store.pendingControls(sessionId: "s_owner").isEmpty)
        #expect(try await store.controlStatus(id: request.id) == .handled(outcome: "cancelled"))
        // Withdrawing a handled request leaves its answer.
        #expect(try await store.withdrawControl(id: request.id) == .handled(outcome: "cancelled"))
        await store.close()
    }

    @Test func aWithdrawnRequestNeverFires() async throws {
        let store = try await store(with: [Fixture.worker("w_a", session: "s_owner")])
        let request = try await store.requestControl(workerId: "w_a", action: .cancel, reason: nil)
        #expect(try await store.withdrawControl(id: request.id) == .missing)
        #expect(try await store.pendingControls(sessionId: "s_owner").isEmpty)
        try await store.finishControl(id: request.id, outcome: "cancelled")
        #expect(try await store.controlStatus(id: request.id) == .missing)
        await store.close()
    }

    @Test func anUnknownWorkerIsRefused() async throws {
        let store = try await store(with: [])
        await #expect(throws: TraceStoreError.unknownId(id: "w_nope")) {
            _ = try await store.requestControl(workerId: "w_nope", action: .cancel, reason: nil)
        }
        await store.close()
    }

    @Test func pruneTakesASessionsRequestsWithIt() async throws {
        let store = try await store(with: [Fixture.worker("w_a", session: "s_owner")])
        _ = try await store.requestControl(workerId: "w_a", action: .cancel, reason: nil)
        #expect(try await store.prune(olderThan: Date().addingTimeInterval(60)).removed == 2)
        #expect(try await store.pendingControls(sessionId: "s_owner").isEmpty)
        await store.close()
    }
}
