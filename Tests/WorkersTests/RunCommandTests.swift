import BosunJSON
import Config
import Foundation
import Testing
import TestSupport
@testable import Workers
import Workspace
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct RunCommandTests {
    let policy = ToolPolicy(commandTimeoutSeconds: 60)

    /// A bash line that connects to a TCP port and sends one HTTP request.
    static func probe(port: Int) -> JSONValue {
        ["command": ["/usr/bin/bash", "-c", .string("exec 3<>/dev/tcp/127.0.0.1/\(port) && printf 'GET /probe HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3")]]
    }

    @Test func execIsDeniedWithoutThePermission() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let marker = "/tmp/bosun-denied-\(UUID().uuidString)"
        let output = await call(RunCommandTool(policy: policy), ["command": ["touch", .string(marker)]], workspace.context())
        #expect(output.isError && output.text.contains("exec permission"), "\(output.text)")
        #expect(!FileManager.default.fileExists(atPath: marker))

        let reader = RoleConfig(name: "reader")
        let registry = ToolRegistry(policy: policy, claims: InMemoryClaims())
        #expect(throws: ToolError.self) { try registry.tools(for: reader, requested: ["run_command"]) }
        #expect(try registry.tools(for: reader, requested: nil).map(\.spec.name) == RoleConfig.readOnlyTools)
        let forged = RoleConfig(name: "forged", tools: ["run_command"])
        #expect(throws: ToolError.self) { try registry.tools(for: forged, requested: nil) }
    }

    /// Making a role's tools (on the session's actor, in a spawn) must not probe bubblewrap,
    /// which runs a process and waits for it: the tools find it when they run.
    @Test func theRolesToolsLeaveBubblewrapToBeFoundWhenTheyRun() throws {
        let registry = ToolRegistry(policy: policy, claims: InMemoryClaims())
        let all = RoleConfig(name: "all", tools: RoleConfig.toolNames, permissions: ToolPermissions(write: true, exec: true))
        let tools = try registry.tools(for: all, requested: ["search", "run_command"])
        #expect((tools[0] as? SearchTool)?.bubblewrap == .probedWhenRun)
        #expect((tools[1] as? RunCommandTool)?.bubblewrap == .probedWhenRun)
    }

    @Test func theSandboxPreventsWritesAndNetwork() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let context = workspace.context(permissions: ToolPermissions(exec: true))
        let sandboxed = RunCommandTool(policy: policy, bwrap: bwrap)
        let unsandboxed = RunCommandTool(policy: ToolPolicy(commandTimeoutSeconds: 60, sandbox: .allowUnsandboxed), bwrap: nil)

        // Writes: the workspace and the rest of the filesystem are read-only; /tmp is private.
        let outsideMarker = "/var/tmp/bosun-sandbox-\(UUID().uuidString)"
        let tmpMarker = "/tmp/bosun-sandbox-\(UUID().uuidString)"
        var output = await call(sandboxed, ["command": ["touch", .string("\(workspace.root)/created")]], context)
        #expect(output.isError && output.text.contains("Read-only file system"), "\(output.text)")
        output = await call(sandboxed, ["command": ["touch", .string(outsideMarker)]], context)
        #expect(output.isError, "\(output.text)")
        output = await call(sandboxed, ["command": ["touch", .string(tmpMarker)]], context)
        #expect(!output.isError && output.text.contains("exit code: 0"), "\(output.text)")
        #expect(!FileManager.default.fileExists(atPath: "\(workspace.root)/created"))
        #expect(!FileManager.default.fileExists(atPath: outsideMarker))
        #expect(!FileManager.default.fileExists(atPath: tmpMarker), "the sandbox's /tmp must not be the host's")
        // The control: without the sandbox the same write lands, so the check above can fail.
        output = await call(unsandboxed, ["command": ["touch", .string("\(workspace.root)/created")]], context)
        #expect(!output.isError && FileManager.default.fileExists(atPath: "\(workspace.root)/created"), "\(output.text)")

        // Network: a server on loopback is unreachable from inside, reachable from outside.
        let server = try LoopbackHTTPServer { _ in .init(body: "reached") }
        defer { server.stop() }
        output = await call(sandboxed, Self.probe(port: server.port), context)
        #expect(output.isError && !output.text.contains("reached"), "\(output.text)")
        #expect(server.requestedPaths.isEmpty)
        output = await call(unsandboxed, Self.probe(port: server.port), context)
        #expect(output.text.contains("reached"), "\(output.text)")
        #expect(server.requestedPaths == ["/probe"])
    }

    @Test func withoutBubblewrapCommandsAreRefusedUnlessConfigOptsOut() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let context = workspace.context(permissions: ToolPermissions(exec: true))
        let refused = await call(RunCommandTool(policy: policy, bwrap: nil), ["command": ["true"]], context)
        #expect(refused.isError && refused.text.contains("bubblewrap") && refused.text.contains("allowUnsandboxed"))
        let allowed = await call(RunCommandTool(policy: ToolPolicy(sandbox: .allowUnsandboxed), bwrap: nil), ["command": ["true"]], context)
        #expect(!allowed.isError && allowed.text.contains("sandbox: none"), "\(allowed.text)")
    }

    @Test func argvIsNeverAShellAndSecretsStayOut() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        setenv("BOSUN_TEST_API_KEY", "sk-should-not-leak", 1)
        let tool = RunCommandTool(policy: policy)
        let context = workspace.context(permissions: ToolPermissions(exec: true))
        let echo = await call(tool, ["command": ["echo", "$HOME; touch pwned", "`id`"]], context)
        #expect(echo.text.contains("$HOME; touch pwned `id`"), "\(echo.text)")
        let env = await call(tool, ["command": ["env"]], context)
        #expect(!env.isError && env.text.contains("PATH=") && !env.text.contains("sk-should-not-leak"), "\(env.text)")
        let missing = await call(tool, ["command": ["no-such-program-bosun"]], context)
        #expect(missing.isError)
        let empty = await call(tool, ["command": []], context)
        #expect(empty.isError && empty.text.contains("non-empty"))
    }

    @Test func outputIsCapped() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let tool = RunCommandTool(policy: ToolPolicy(commandOutputMaxBytes: 1000))
        let output = await call(tool, ["command": ["seq", "1", "100000"]], workspace.context(permissions: ToolPermissions(exec: true)))
        #expect(output.text.contains("[output truncated: first 1000 of 588895 bytes shown]"), "\(output.text.suffix(200))")
    }

    @Test func cancellingASandboxedCommandEndsItPromptly() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let seconds = markerSleepSeconds()
        let started = Date()
        let task = Task {
            await call(RunCommandTool(policy: policy, bwrap: bwrap), ["command": ["sh", "-c", .string("sleep \(seconds) & sleep \(seconds)")]],
                       workspace.context(permissions: ToolPermissions(exec: true)))
        }
        #expect(try await waitUntil(pace: .milliseconds(20)) { sleepers(of: seconds) == 2 }, "the sandboxed command never started")
        task.cancel()
        _ = await task.value
        #expect(Date().timeIntervalSince(started) < 30)
        let timedOut = await call(RunCommandTool(policy: policy, bwrap: bwrap), ["command": ["sleep", "300"], "timeoutSeconds": 1],
                                  workspace.context(permissions: ToolPermissions(exec: true)))
        #expect(timedOut.isError && timedOut.text.contains("timed out after 1.0 s"), "\(timedOut.text)")
    }
}
