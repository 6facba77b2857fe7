import BosunJSON
import BosunProtocol
import Foundation
import Testing
import TestSupport
@testable import Orchestration

/// `statusJSON` reuses its last whole-session answer until the state changes, and
/// `readyStatusJSON` hands it out without the actor only while it is current; both must
/// always say what `status` says at that moment.
@Suite(.serialized) struct StatusCacheTests {
    @Test func theEncodedStatusFollowsEveryChange() async throws {
        let harness = try SessionHarness()
        // Every model call waits until the checks of a live session are done, so the session
        // does not change between the two reads each check compares.
        let release = AsyncStream<Void>.makeStream()
        let model = FakeModelClient.synthetic(toolSteps: 1, latency: .milliseconds(30))
        let client = FakeModelClient { request in
            for await _ in release.stream { break }
            return try await model.complete(request, progress: nil)
        }
        let session = try await harness.open(client, cap: 1)

        func expectCurrent(_ when: String) async throws {
            let encoded = try JSONValue.parse(try await session.statusJSON(StatusParams()).data)
            let fresh = try JSONValue(encoding: try await session.status(StatusParams()))
            #expect(encoded == fresh, "\(when)")
        }

        #expect(session.readyStatusJSON(StatusParams()) == nil, "nothing was encoded yet")
        try await expectCurrent("empty session")
        let empty = try await session.statusJSON(StatusParams())
        #expect(try await session.statusJSON(StatusParams()) == empty)
        // What the reader thread answers with, without a visit to the actor: the same bytes.
        #expect(session.readyStatusJSON(StatusParams()) == empty)
        #expect(session.readyStatusJSON(StatusParams(workerId: "w_1")) == nil, "only the whole session is kept")

        let running = try await session.spawn(SpawnParams(task: "First"))
        #expect(session.readyStatusJSON(StatusParams()) == nil, "a spawn changed the state")
        let queued = try await session.spawn(SpawnParams(task: "Second"))
        #expect(try await waitUntil { client.calls == 1 }, "the running worker's first model call started")
        let afterSpawns = try JSONValue.parse(try await session.statusJSON(StatusParams()).data)
        #expect(afterSpawns["workers"]?.arrayValue?.count == 2)
        #expect(afterSpawns["session"]?["counts"]?["queued"] == 1)
        try await expectCurrent("one running, one queued")

        _ = try await session.cancel(CancelParams(workerId: queued.id))
        try await expectCurrent("after a cancel")
        release.continuation.finish()
        _ = try await session.awaitAll()
        let done = try JSONValue.parse(try await session.statusJSON(StatusParams()).data)
        #expect(done["session"]?["counts"]?["succeeded"] == 1)
        #expect(done["session"]?["counts"]?["cancelled"] == 1)
        #expect(done["usage"]?["inputTokens"] == 200)
        try await expectCurrent("every worker ended")
        #expect(session.readyStatusJSON(StatusParams()) == (try await session.statusJSON(StatusParams())))

        let one = try JSONValue.parse(try await session.statusJSON(StatusParams(workerId: running.id)).data)
        #expect(one == (try JSONValue(encoding: try await session.status(StatusParams(workerId: running.id)))))
        #expect(one["result"]?["text"] == "done")
        await session.close()
        await harness.cleanUp()
    }
}
