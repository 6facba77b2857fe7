import BosunJSON
import Config
import Foundation
import Testing
import TestSupport
import TraceStore
import Workers
import Workspace
@testable import SessionRuntime

/// The tools a session's workers get: their path claims live in the session's trace store,
/// and its directory is hidden from sandboxed commands.
@Suite struct RegistryToolsTests {
    @Test func aSessionsToolsClaimInItsStoreAndHideItsDirectory() async throws {
        try #require(Sandbox.bwrapPath != nil, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let workspace = TemporaryDirectory(prefix: "bosun-ws")
        defer { workspace.remove() }
        // The store inside the workspace, where a sandboxed command would otherwise see it.
        let store = try TraceStore(path: workspace.file(".state/bosun.sqlite"))
        let tools = try OrchestrationOpener.registryTools(BosunConfig.builtIn, store)(
            try BosunConfig.builtIn.role(named: "coder"), ["write_file", "run_command"])
        let context = ToolContext(sessionId: "s_1", workerId: "w_1", workspaceRoot: workspace.path,
                                  permissions: ToolPermissions(write: true, exec: true))
        func run(_ name: String, _ input: JSONValue) async throws -> ToolOutput {
            try await #require(tools.first { $0.spec.name == name }).run(input, context: context)
        }

        let written = try await run("write_file", ["path": "a.txt", "content": "x"])
        #expect(!written.isError, "\(written.text)")
        let other = try await StoreClaims(store: store).claim(path: workspace.file("a.txt"), holder: "w_2", sessionId: "s_2", lease: 60)
        guard case .heldBy(let holder, let sessionId, _) = other else {
            Issue.record("write_file's claim must be in the store, where another process sees it; got \(other)")
            return
        }
        #expect(holder == "w_1" && sessionId == "s_1")

        let probe = try await run("run_command", ["command": ["test", "-e", .string(workspace.file(".state/bosun.sqlite"))]])
        #expect(probe.text.contains("exit code: 1"), "the store's directory must be hidden: \(probe.text)")
        // The control: the workspace itself is visible, so the probe above can tell.
        let control = try await run("run_command", ["command": ["test", "-e", .string(workspace.file("a.txt"))]])
        #expect(control.text.contains("exit code: 0"), "\(control.text)")
        await store.close()
    }
}
