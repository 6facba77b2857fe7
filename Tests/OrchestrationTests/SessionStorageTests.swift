import BosunJSON
import BosunProtocol
import Foundation
import Orchestration
import Testing
import TraceStore

/// A session reaches the trace store with its first worker: a client that only looks leaves
/// nothing behind, and a session id that was never stored cannot be resumed.
@Suite(.timeLimit(.minutes(1))) struct SessionStorage {
    @Test func aSessionWithoutWorkersLeavesNoRow() async throws {
        let harness = try SessionHarness()
        let session = try await harness.open(.synthetic(toolSteps: 0))
        _ = try await session.statusJSON(StatusParams())
        _ = await session.roles()
        _ = try await session.trace(TraceParams())
        _ = try? await session.spawn(SpawnParams(task: "x", role: "pirate"))
        await session.close()
        #expect(try await harness.store.sessions().isEmpty)
        #expect(try await harness.store.session(id: session.id) == nil)
        await #expect(throws: SessionError.self) {
            _ = try await harness.open(.synthetic(toolSteps: 0), resume: session.id)
        }
        await harness.cleanUp()
    }

    @Test func theFirstWorkerStoresTheSessionOnceEvenWhenSpawnsRace() async throws {
        let harness = try SessionHarness()
        let session = try await harness.open(.synthetic(toolSteps: 0), cap: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<3 {
                group.addTask { _ = try await session.spawn(SpawnParams(task: "Report \(index)")) }
            }
            try await group.waitForAll()
        }
        _ = try await session.awaitAll()
        await session.close()
        let stored = try await harness.store.sessions()
        #expect(stored.map(\.id) == [session.id])
        #expect(try await harness.store.workers(sessionId: session.id).count == 3)
        let resumed = try await harness.open(.synthetic(toolSteps: 0), resume: session.id)
        #expect(resumed.resumed)
        await resumed.close()
        await harness.cleanUp()
    }
}
