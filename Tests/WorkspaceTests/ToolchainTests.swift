import Foundation
import Testing
@testable import Workspace
import TestSupport

/// The user's toolchain in the sandbox: which directories of PATH are shown, and that a
/// program from one of them runs inside.
@Suite struct ToolchainTests {
    /// A home with a virtualenv, a cargo bin and a pip `--user` bin; a workspace with a venv of its own.
    static func machine() throws -> (root: TemporaryDirectory, home: String, workspace: String) {
        let root = TemporaryDirectory(prefix: "bosun-toolchain")
        let home = root.path + "/home", workspace = home + "/project"
        for directory in ["/venv/bin", "/venv/lib", "/.cargo/bin", "/.rustup", "/.local/bin", "/.local/lib", "/project/.venv/bin"] {
            try FileManager.default.createDirectory(atPath: home + directory, withIntermediateDirectories: true)
        }
        try "home = /usr/bin\n".write(toFile: home + "/venv/pyvenv.cfg", atomically: true, encoding: .utf8)
        try "#!/bin/sh\necho tool from the venv\n".write(toFile: home + "/venv/bin/venvtool", atomically: true, encoding: .utf8)
        chmod(home + "/venv/bin/venvtool", 0o755)
        return (root, home, workspace)
    }

    @Test func pathEntriesAndThePrefixesTheirProgramsNeedAreShownOnce() throws {
        let (root, home, workspace) = try Self.machine()
        defer { root.remove() }
        let path = ["\(home)/venv/bin", "\(home)/.cargo/bin/", "\(home)/.local/bin", "\(workspace)/.venv/bin", "\(home)/missing/bin",
                    "/usr/bin", "/bin", "relative/bin", home, "\(home)/venv/bin"].joined(separator: ":")
        let toolchain = Toolchain(path: path, home: home, workspaceRoot: workspace)
        #expect(toolchain.directories == ["\(home)/venv/bin", "\(home)/venv", "\(home)/.cargo/bin", "\(home)/.cargo", "\(home)/.rustup",
                                          "\(home)/.local/bin", "\(home)/.local/lib"])
        #expect(!toolchain.searchPath.contains("relative/bin"))
        #expect(toolchain.locate("venvtool", cwd: workspace) == "\(home)/venv/bin/venvtool")
        #expect(toolchain.locate("sh", cwd: workspace) != nil)
        #expect(toolchain.locate("no-such-program", cwd: workspace) == nil)
        #expect(toolchain.locate("./missing.sh", cwd: workspace) == nil)
        #expect(toolchain.notFound("no-such-program").contains("\(home)/venv/bin:\(home)/.cargo/bin/"))
    }

    @Test func aProgramFromAVirtualenvRunsInTheSandboxAndAMissingOneIsRecognised() async throws {
        let bwrap = try SandboxTests.bwrap()
        let (root, home, workspace) = try Self.machine()
        defer { root.remove() }
        let path = "\(home)/venv/bin:/usr/bin:/bin"
        let toolchain = Toolchain(path: path, home: home, workspaceRoot: workspace)
        let view = SandboxView(workspaceRoot: workspace, home: home, toolchain: toolchain.directories)
        let ran = try await ProcessRunner.run(Sandbox.wrap(["venvtool"], bwrap: bwrap, view: view, cwd: workspace), cwd: nil,
                                              environment: ["PATH": path], timeout: 30, outputCap: 1 << 16)
        #expect(ran.exitCode == 0 && String(decoding: ran.output, as: UTF8.self) == "tool from the venv\n",
                "\(String(decoding: ran.output, as: UTF8.self))")
        // Without the toolchain, bubblewrap cannot find it, and says so in a way bosun recognises.
        let blind = SandboxView(workspaceRoot: workspace, home: home)
        let missing = try await ProcessRunner.run(Sandbox.wrap(["venvtool"], bwrap: bwrap, view: blind, cwd: workspace), cwd: nil,
                                                  environment: ["PATH": path], timeout: 30, outputCap: 1 << 16)
        #expect(missing.exitCode == 1 && Toolchain.bwrapReportsNotFound(missing.output), "\(String(decoding: missing.output, as: UTF8.self))")
    }
}
