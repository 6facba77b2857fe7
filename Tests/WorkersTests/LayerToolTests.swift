import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers
import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// A writing worker's tools through its layer: it sees its own changes, the workspace does
/// not, and neither it nor its commands can write a protected path.
@Suite(.serialized) struct LayerToolTests {
    let policy = ToolPolicy(commandTimeoutSeconds: 60)
    let writer = ToolPermissions(write: true, exec: true)

    /// A workspace, and a layer for worker `w_1` outside `/tmp`.
    static func setUp() throws -> (TestWorkspace, Layer, String) {
        let workspace = try TestWorkspace()
        let layers = "/var/tmp/bosun-layers-\(UUID().uuidString)"
        let layer = try Layer.open(workerId: "w_1", layersRoot: layers, workspaceRoot: workspace.root)
        return (workspace, layer, layers)
    }

    func context(_ workspace: TestWorkspace, _ layer: Layer?) -> ToolContext {
        ToolContext(sessionId: "s_1", workerId: "w_1", workspaceRoot: workspace.root, permissions: writer, layer: layer)
    }

    /// The plant of issue 21: `core.fsmonitor` in `.git/config` and a pre-commit hook, through
    /// `write_file`, with a layer and without one (`isolation: none`).
    @Test func writeFileRefusesProtectedPaths() async throws {
        let (workspace, layer, layers) = try Self.setUp()
        defer { workspace.remove(); try? FileManager.default.removeItem(atPath: layers) }
        try workspace.write(".git/config", "[core]\n")
        try workspace.write(".git/hooks/pre-commit", "#!/bin/sh\n")
        let tool = WriteFileTool(policy: ToolPolicy(protectedPaths: ["deploy"]), claims: InMemoryClaims())
        for candidate in [layer, nil] as [Layer?] {
            for path in [".git/config", "./.git/hooks/pre-commit", ".envrc", ".mcp.json", ".vscode/tasks.json", "deploy/run.sh",
                         "src/../.git/config", workspace.root + "/.git/config"] {
                let output = await call(tool, ["path": .string(path), "content": "[core]\n\tfsmonitor = touch /tmp/pwned\n"],
                                        context(workspace, candidate))
                #expect(output.isError && output.text.contains("protected path"), "\(path): \(output.text)")
            }
        }
        // A symlink in the workspace that leads into .git does not get around it.
        try workspace.symlink("innocent", to: ".git")
        let through = await call(tool, ["path": "innocent/config", "content": "x"], context(workspace, nil))
        #expect(through.isError && through.text.contains("protected path"), "\(through.text)")
        #expect(workspace.read(".git/config") == "[core]\n")
        #expect(workspace.read(".git/hooks/pre-commit") == "#!/bin/sh\n")
        #expect(workspace.read(".envrc") == nil)
    }

    @Test func runCommandCannotPlantInGitEvenWithALayer() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let (workspace, layer, layers) = try Self.setUp()
        defer { workspace.remove(); try? FileManager.default.removeItem(atPath: layers) }
        try workspace.write(".git/config", "[core]\n")
        try workspace.write(".git/hooks/pre-commit", "#!/bin/sh\n")
        let tool = RunCommandTool(policy: policy, bwrap: bwrap)
        for candidate in [layer, nil] as [Layer?] {
            let plant = await call(tool, ["command": ["sh", "-c", "git config --file .git/config core.fsmonitor 'touch /tmp/pwned' || printf '\\tfsmonitor = x\\n' >> .git/config"]],
                                   context(workspace, candidate))
            #expect(plant.isError, "\(plant.text)")
            let hook = await call(tool, ["command": ["sh", "-c", "echo evil > .git/hooks/pre-commit"]], context(workspace, candidate))
            #expect(hook.isError && hook.text.contains("Read-only"), "\(hook.text)")
        }
        #expect(workspace.read(".git/config") == "[core]\n")
        #expect(workspace.read(".git/hooks/pre-commit") == "#!/bin/sh\n")
    }

    /// The worker edits a file, runs "the tests" (a command that reads the edit and writes a
    /// result), and sees both; the workspace sees neither until apply.
    @Test func aWorkerTestsItsOwnEditInItsLayer() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let (workspace, layer, layers) = try Self.setUp()
        defer { workspace.remove(); try? FileManager.default.removeItem(atPath: layers) }
        try workspace.write("Makefile", "test:\n\tgrep -q fixed src/code.txt && echo PASS > report.txt\n")
        try workspace.write("src/code.txt", "broken\n")
        let context = context(workspace, layer)

        let wrote = await call(WriteFileTool(policy: policy, claims: InMemoryClaims()), ["path": "src/code.txt", "content": "fixed\n"], context)
        #expect(!wrote.isError && wrote.text.contains("layer"), "\(wrote.text)")
        let test = await call(RunCommandTool(policy: policy, bwrap: bwrap), ["command": ["sh", "-c", "grep -q fixed src/code.txt && echo PASS > report.txt"]], context)
        #expect(!test.isError, "\(test.text)")

        let read = await call(ReadFileTool(policy: policy), ["path": "report.txt"], context)
        #expect(read.text == "PASS", "\(read.text)")
        let listed = await call(ListFilesTool(policy: policy), [:], context)
        #expect(listed.text == "Makefile\nreport.txt\nsrc/code.txt", "\(listed.text)")
        let found = await call(SearchTool(policy: policy, bwrap: bwrap), ["pattern": "^fixed"], context)
        #expect(found.text == "src/code.txt:1: fixed", "\(found.text)")

        #expect(workspace.read("src/code.txt") == "broken\n")
        #expect(workspace.read("report.txt") == nil)
        let other = await call(ReadFileTool(policy: policy), ["path": "src/code.txt"], workspace.context())
        #expect(other.text == "broken", "another worker sees the edit: \(other.text)")
        #expect(try layer.summary().files == ["report.txt", "src/code.txt"])
    }

    /// A program the worker made in its layer is found, also from a directory only the layer
    /// has; one it wrote without execute permission is a tool error it can fix, never
    /// `command_not_found` (which ends the task as the setup's problem).
    @Test func aProgramMadeInTheLayerIsFound() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let (workspace, layer, layers) = try Self.setUp()
        defer { workspace.remove(); try? FileManager.default.removeItem(atPath: layers) }
        let context = context(workspace, layer)
        let run = RunCommandTool(policy: policy, bwrap: bwrap)

        let wrote = await call(WriteFileTool(policy: policy, claims: InMemoryClaims()),
                               ["path": "build.sh", "content": "#!/bin/sh\necho BUILT\n"], context)
        #expect(!wrote.isError, "\(wrote.text)")
        let notExecutable = await call(run, ["command": ["./build.sh"]], context)
        #expect(notExecutable.isError && notExecutable.text.contains("is not executable") && notExecutable.text.contains("chmod"),
                "\(notExecutable.text)")
        let made = await call(run, ["command": ["chmod", "+x", "build.sh"]], context)
        #expect(!made.isError, "\(made.text)")
        let built = await call(run, ["command": ["./build.sh"]], context)
        #expect(!built.isError && built.text.contains("BUILT"), "\(built.text)")

        let tools = await call(run, ["command": ["sh", "-c", "mkdir -p tools && printf '#!/bin/sh\\necho RAN in $PWD\\n' > tools/run.sh && chmod +x tools/run.sh"]], context)
        #expect(!tools.isError, "\(tools.text)")
        let ran = await call(run, ["command": ["./run.sh"], "cwd": "tools"], context)
        #expect(!ran.isError && ran.text.contains("RAN in \(workspace.root)/tools"), "\(ran.text)")
        #expect(workspace.read("build.sh") == nil && workspace.read("tools/run.sh") == nil)

        // A program the worker deleted in its layer is gone for it.
        try workspace.write("old.sh", "#!/bin/sh\necho OLD\n")
        chmod(workspace.root + "/old.sh", 0o755)
        _ = await call(run, ["command": ["rm", "old.sh"]], context)
        do {
            _ = try await run.run(["command": ["./old.sh"]], context: context)
            Issue.record("a program the worker deleted was found")
        } catch let failure as WorkerFailure {
            #expect(failure.code == .commandNotFound)
        }
    }

    @Test func aLayerMeetsItsLimitsNotTheDisk() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let (workspace, layer, layers) = try Self.setUp()
        defer { workspace.remove(); try? FileManager.default.removeItem(atPath: layers) }
        let small = ToolPolicy(commandTimeoutSeconds: 60, layerMaxBytes: 10_000, layerMaxFiles: 20)
        let context = context(workspace, layer)
        let flood = await call(RunCommandTool(policy: small, bwrap: bwrap), ["command": ["sh", "-c", "for i in $(seq 1 50); do echo $i > f$i; done"]], context)
        #expect(flood.isError && flood.text.contains("tools.layerMaxFiles"), "\(flood.text)")
        let next = await call(WriteFileTool(policy: small, claims: InMemoryClaims()), ["path": "more.txt", "content": "x"], context)
        #expect(next.isError && next.text.contains("tools.layerMaxFiles"), "\(next.text)")
        let big = String(repeating: "x", count: 20_000)
        let layer2 = try Layer.open(workerId: "w_2", layersRoot: layers, workspaceRoot: workspace.root)
        var context2 = context
        context2.layer = layer2
        let tooBig = await call(WriteFileTool(policy: small, claims: InMemoryClaims()), ["path": "big.txt", "content": .string(big)], context2)
        #expect(tooBig.isError && tooBig.text.contains("tools.layerMaxBytes"), "\(tooBig.text)")
    }
}
