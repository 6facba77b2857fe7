import BosunJSON
import Config
import Foundation
import Testing
import TraceStore
@testable import Workers
import Workspace

@Suite(.serialized) struct WriteFileTests {
    let policy = ToolPolicy()
    let writer = ToolPermissions(write: true)

    @Test func writesNeedThePermissionAndStayInTheWorkspace() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let tool = WriteFileTool(policy: policy, claims: InMemoryClaims())
        let denied = await call(tool, ["path": "a.txt", "content": "x"], workspace.context())
        #expect(denied.isError && denied.text.contains("write permission"))
        #expect(workspace.read("a.txt") == nil)

        let ok = await call(tool, ["path": "new/dir/a.txt", "content": "hello"], workspace.context(permissions: writer))
        #expect(!ok.isError, "\(ok.text)")
        #expect(workspace.read("new/dir/a.txt") == "hello")
        let appended = await call(tool, ["path": "new/dir/a.txt", "content": " world", "append": true], workspace.context(permissions: writer))
        #expect(!appended.isError && workspace.read("new/dir/a.txt") == "hello world")
        let tooBig = await call(WriteFileTool(policy: ToolPolicy(writeMaxBytes: 3), claims: InMemoryClaims()),
                                ["path": "b.txt", "content": "four"], workspace.context(permissions: writer))
        #expect(tooBig.isError && workspace.read("b.txt") == nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: "\(workspace.root)/new/dir")
        #expect(leftovers == ["a.txt"], "no temporary files are left behind")
    }

    @Test func twoWorkersConflictOnOnePathInOneStore() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let store = try TraceStore(path: "\(workspace.root)/.state/bosun.sqlite")
        let registry = ToolRegistry(policy: policy, store: store)
        let coder = try BosunConfig.builtIn.role(named: "coder")
        let tool = try #require(try registry.tools(for: coder, requested: ["write_file"]).first)

        let first = await call(tool, ["path": "shared.txt", "content": "from w_1"], workspace.context(worker: "w_1", permissions: writer))
        #expect(!first.isError, "\(first.text)")
        let second = await call(tool, ["path": "./shared.txt", "content": "from w_2"], workspace.context(worker: "w_2", permissions: writer))
        #expect(second.isError && second.text.contains("claimed by worker w_1"), "\(second.text)")
        #expect(workspace.read("shared.txt") == "from w_1", "the refused write changed nothing")
        let again = await call(tool, ["path": "shared.txt", "content": "w_1 again"], workspace.context(worker: "w_1", permissions: writer))
        #expect(!again.isError, "the holder keeps writing its own path")

        try await registry.releaseClaims(holder: "w_1")
        let afterRelease = await call(tool, ["path": "shared.txt", "content": "from w_2"], workspace.context(worker: "w_2", permissions: writer))
        #expect(!afterRelease.isError && workspace.read("shared.txt") == "from w_2", "\(afterRelease.text)")
        await store.close()
    }

    @Test func twoStoresOnOneFileConflictAsTwoProcessesDo() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let path = "\(workspace.root)/.state/bosun.sqlite"
        let storeA = try TraceStore(path: path)
        let storeB = try TraceStore(path: path)
        let toolA = WriteFileTool(policy: policy, claims: StoreClaims(store: storeA))
        let toolB = WriteFileTool(policy: policy, claims: StoreClaims(store: storeB))
        // Race both at once: exactly one wins.
        async let a = call(toolA, ["path": "race.txt", "content": "A"], workspace.context(worker: "w_a", session: "s_a", permissions: writer))
        async let b = call(toolB, ["path": "race.txt", "content": "B"], workspace.context(worker: "w_b", session: "s_b", permissions: writer))
        let (outA, outB) = await (a, b)
        #expect(outA.isError != outB.isError, "A: \(outA.text)\nB: \(outB.text)")
        let loser = outA.isError ? outA : outB
        #expect(loser.text.contains("is claimed by worker w_"), "\(loser.text)")
        #expect(workspace.read("race.txt") == (outA.isError ? "B" : "A"))
        await storeA.close()
        await storeB.close()
    }

    @Test func aClaimHeldByAnotherOSProcessIsRespected() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let path = "\(workspace.root)/.state/bosun.sqlite"
        let store = try TraceStore(path: path)
        let target = "\(workspace.root)/held.txt"
        // Another process writes a live claim into the shared file, as another bosun would.
        let script = """
            import sqlite3, sys, time
            db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO claims VALUES (?, 'w_elsewhere', 's_other', ?)", (sys.argv[2], time.time() + 600))
            db.execute("COMMIT")
            """
        let outcome = try await ProcessRunner.run(["python3", "-c", script, path, target], cwd: nil,
                                                  environment: ProcessInfo.processInfo.environment, timeout: 60, outputCap: 10_000)
        #expect(outcome.exitCode == 0, "\(String(decoding: outcome.output, as: UTF8.self))")
        let tool = WriteFileTool(policy: policy, claims: StoreClaims(store: store))
        let refused = await call(tool, ["path": "held.txt", "content": "x"], workspace.context(permissions: writer))
        #expect(refused.isError && refused.text.contains("w_elsewhere") && refused.text.contains("s_other"), "\(refused.text)")
        #expect(workspace.read("held.txt") == nil)
        await store.close()
    }
}
