import Foundation
import Testing
@testable import TraceStore
import TestSupport

@Suite struct MigrationTests {
    @Test func emptyFileGetsEverySchemaVersion() async throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        let store = try TraceStore(path: dir.file("nested/deeper/trace.sqlite"))
        #expect(try await store.integrityCheck() == ["ok"])
        await store.close()
        let connection = try SQLiteConnection(path: dir.file("nested/deeper/trace.sqlite"))
        #expect(try Migrations.currentVersion(connection) == Migrations.latestVersion)
        let tables = try connection.prepared("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").rows { $0.string(0) }
        #expect(Set(tables).isSuperset(of: ["sessions", "workers", "events", "messages", "claims", "schema_migrations"]))
    }

    @Test func createsPrivateDirectoriesAndFile() throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        _ = try TraceStore(path: dir.file("a/b/trace.sqlite"))
        let manager = FileManager.default
        for directory in ["a", "a/b"] {
            let mode = try manager.attributesOfItem(atPath: dir.file(directory))[.posixPermissions] as? Int
            #expect(mode == 0o700, "\(directory)")
        }
        let mode = try manager.attributesOfItem(atPath: dir.file("a/b/trace.sqlite"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func previousVersionUpgradesInPlaceKeepingRows() async throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        let path = dir.file("old.sqlite")
        let old = try TraceStore(path: path, redactor: Redactor(secrets: []), schemaVersion: 1, create: true)
        let session = try await old.openSession(id: "s_old", workspaceRoot: "/w", maxConcurrentWorkers: 2).session
        old.submit(.event(Fixture.event(session.id, "w_old", 1)))
        try await old.flush()
        await old.close()
        let connection = try SQLiteConnection(path: path)
        // Written with version 1's columns: today's insert names columns added since.
        try connection.execute("""
            INSERT INTO workers (id, session_id, role, model, state, task, brief_json, priority, created_at, steps, \
            input_tokens, output_tokens, cache_read_tokens, cost_usd) \
            VALUES ('w_old', '\(session.id)', 'researcher', 'fast', 'succeeded', 'Find facts for w_old', '{}', 0, 0, 3, 1, 1, 0, 0)
            """)
        #expect(try Migrations.currentVersion(connection) == 1)

        let upgraded = try TraceStore(path: path)
        #expect(try await upgraded.worker(id: "w_old")?.task == "Find facts for w_old")
        #expect(try await upgraded.worker(id: "w_old")?.verification == "unverified")
        #expect(try await upgraded.worker(id: "w_old")?.cacheWriteTokens == 0)
        #expect(try await upgraded.lastSeq(workerId: "w_old") == 1)
        let claim = try await upgraded.claim(path: "a.txt", holder: "w_old", sessionId: "s_old", lease: 60)
        guard case .granted = claim else { Issue.record("claim on upgraded store: \(claim)"); return }
        await upgraded.close()
        #expect(try Migrations.currentVersion(connection) == Migrations.latestVersion)
    }

    @Test func newerSchemaIsRefused() async throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        let path = dir.file("new.sqlite")
        await (try TraceStore(path: path)).close()
        try SQLiteConnection(path: path).execute("INSERT INTO schema_migrations VALUES (99, 0)")
        #expect(throws: TraceStoreError.newerSchema(path: path, found: 99, supported: Migrations.latestVersion)) {
            try TraceStore(path: path)
        }
    }

    @Test func corruptFileIsReportedNotCrashed() throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        let path = dir.file("junk.sqlite")
        try Data(repeating: 0x42, count: 8_192).write(to: URL(fileURLWithPath: path))
        do {
            _ = try TraceStore(path: path)
            Issue.record("a file of junk opened as a store")
        } catch let error as TraceStoreError {
            guard case .corrupt = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains("junk.sqlite"))
        }
    }

    @Test func unusablePathsAreReported() throws {
        let dir = TemporaryDirectory(prefix: "bosun-store-tests")
        #expect(throws: TraceStoreError.badPath(path: dir.path, reason: "it is a directory")) {
            try TraceStore(path: dir.path)
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.file("plain")))
        #expect(throws: TraceStoreError.badPath(path: dir.file("plain"), reason: "it is a file, not a directory")) {
            try TraceStore(path: dir.file("plain/trace.sqlite"))
        }
        #expect(throws: TraceStoreError.missingStore(path: dir.file("absent.sqlite"))) {
            try TraceStore.openExisting(path: dir.file("absent.sqlite"))
        }
    }

    @Test func defaultPathFollowsXDG() {
        #expect(TraceStore.defaultPath(environment: ["XDG_STATE_HOME": "/x/state", "HOME": "/home/u"]) == "/x/state/bosun/bosun.sqlite")
        #expect(TraceStore.defaultPath(environment: ["HOME": "/home/u"]) == "/home/u/.local/state/bosun/bosun.sqlite")
        #expect(TraceStore.defaultPath(environment: ["XDG_STATE_HOME": "relative", "HOME": "/home/u"]) == "/home/u/.local/state/bosun/bosun.sqlite")
    }
}
