import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers

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

    @Test func twoWorkersConflictOnOnePath() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let registry = ToolRegistry(policy: policy, claims: InMemoryClaims())
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
    }
}
