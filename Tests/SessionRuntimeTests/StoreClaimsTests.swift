import Foundation
import Testing
import TestSupport
import TraceStore
import Workers
@testable import SessionRuntime

/// Path claims kept in the trace store: a held path is refused to everyone else, in this
/// process and in any other on the same store file, until its holder lets it go.
@Suite struct StoreClaimsTests {
    @Test func aHeldPathIsRefusedToOthersUntilItsHolderReleasesIt() async throws {
        let directory = TemporaryDirectory(prefix: "bosun-claims")
        defer { directory.remove() }
        let store = try TraceStore(path: directory.file("bosun.sqlite"))
        let claims = StoreClaims(store: store)
        #expect(try await claims.claim(path: "/w/a.txt", holder: "w_1", sessionId: "s_1", lease: 600) == .granted)
        #expect(try await claims.claim(path: "/w/a.txt", holder: "w_1", sessionId: "s_1", lease: 600) == .granted,
                "the holder keeps claiming its own path")
        let refused = try await claims.claim(path: "/w/a.txt", holder: "w_2", sessionId: "s_1", lease: 600)
        guard case .heldBy(let holder, let sessionId, let until) = refused else {
            Issue.record("expected the path held by w_1, got \(refused)")
            return
        }
        #expect(holder == "w_1" && sessionId == "s_1" && until > Date())
        try await claims.releaseClaims(holder: "w_1")
        #expect(try await claims.claim(path: "/w/a.txt", holder: "w_2", sessionId: "s_1", lease: 600) == .granted)
        await store.close()
    }

    @Test func twoStoresOnOneFileConflictAsTwoProcessesDo() async throws {
        let directory = TemporaryDirectory(prefix: "bosun-claims")
        defer { directory.remove() }
        let storeA = try TraceStore(path: directory.file("bosun.sqlite"))
        let storeB = try TraceStore(path: directory.file("bosun.sqlite"))
        // Race both at once: exactly one wins, and the other is told who holds the path.
        async let a = StoreClaims(store: storeA).claim(path: "/w/race.txt", holder: "w_a", sessionId: "s_a", lease: 600)
        async let b = StoreClaims(store: storeB).claim(path: "/w/race.txt", holder: "w_b", sessionId: "s_b", lease: 600)
        let (outA, outB) = try await (a, b)
        #expect((outA == .granted) != (outB == .granted), "A: \(outA), B: \(outB)")
        let (loser, winner) = outA == .granted ? (outB, ("w_a", "s_a")) : (outA, ("w_b", "s_b"))
        guard case .heldBy(let holder, let sessionId, _) = loser else {
            Issue.record("expected the loser to see the path held, got \(loser)")
            return
        }
        #expect(holder == winner.0 && sessionId == winner.1)
        await storeA.close()
        await storeB.close()
    }

    @Test func aClaimHeldByAnotherOSProcessIsRespected() async throws {
        let directory = TemporaryDirectory(prefix: "bosun-claims")
        defer { directory.remove() }
        let path = directory.file("bosun.sqlite")
        let store = try TraceStore(path: path)
        // Another process writes a live claim into the shared file, as another bosun would.
        let script = """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO claims VALUES (?, 'w_elsewhere', 's_other', ?)", (sys.argv[2], time.time() + 600))
            db.execute("COMMIT")
            """
        let outcome = try runProcess("/usr/bin/env", ["python3", "-c", script, path, "/w/held.txt"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let refused = try await StoreClaims(store: store).claim(path: "/w/held.txt", holder: "w_1", sessionId: "s_1", lease: 600)
        guard case .heldBy(let holder, let sessionId, _) = refused else {
            Issue.record("expected the path held by the other process's worker, got \(refused)")
            return
        }
        #expect(holder == "w_elsewhere" && sessionId == "s_other")
        await store.close()
    }
}
