import Foundation
import Testing
import TestSupport
@testable import Workspace

@Suite(.serialized) struct SandboxTests {
    /// A command's output goes to the model provider: the home directory's keys and tokens
    /// must read as empty inside the sandbox, while the rest of it stays readable.
    @Test func theSandboxHidesCredentialStoresInTheHomeDirectory() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
        let workspace = try TemporaryDirectory()
        defer { workspace.remove() }
        // Inside the workspace, which the sandbox shows even when it lives under /tmp.
        let home = "\(workspace.path)/home"
        try FileManager.default.createDirectory(atPath: "\(home)/.ssh", withIntermediateDirectories: true)
        try "SECRET-KEY".write(toFile: "\(home)/.ssh/id_ed25519", atomically: true, encoding: .utf8)
        try "machine example.com password SECRET-NETRC".write(toFile: "\(home)/.netrc", atomically: true, encoding: .utf8)
        try "VISIBLE".write(toFile: "\(home)/notes.txt", atomically: true, encoding: .utf8)
        // A credential directory that is a symlink elsewhere is hidden where it leads.
        try FileManager.default.createDirectory(atPath: "\(workspace.path)/elsewhere/aws", withIntermediateDirectories: true)
        try "SECRET-AWS".write(toFile: "\(workspace.path)/elsewhere/aws/credentials", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: "\(home)/.aws", withDestinationPath: "\(workspace.path)/elsewhere/aws")

        func read(_ paths: [String], home: String?) async throws -> String {
            let argv = Sandbox.wrap(["cat"] + paths, bwrap: bwrap, workspaceRoot: workspace.path, cwd: workspace.path, home: home)
            let outcome = try await ProcessRunner.run(argv, cwd: nil, environment: ["PATH": "/usr/bin:/bin"], timeout: 30,
                                                      outputCap: 1 << 16)
            return String(decoding: outcome.output, as: UTF8.self)
        }
        let secrets = ["\(home)/.ssh/id_ed25519", "\(home)/.netrc", "\(home)/.aws/credentials"]
        let hidden = try await read(secrets + ["\(home)/notes.txt"], home: home)
        #expect(!hidden.contains("SECRET") && hidden.contains("VISIBLE"), "\(hidden)")
        // The control: a sandbox told of no home directory shows them, so the check above can fail.
        let shown = try await read(secrets, home: nil)
        #expect(shown.contains("SECRET-KEY") && shown.contains("SECRET-NETRC") && shown.contains("SECRET-AWS"), "\(shown)")
    }

    @Test func aWorkspaceInsideAHiddenDirectoryStaysVisible() throws {
        let home = NSTemporaryDirectory() + "bosun-home-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: home) }
        try FileManager.default.createDirectory(atPath: "\(home)/.config/gh/project", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(home)/.ssh", withIntermediateDirectories: true)
        let real = { (path: String) in URL(fileURLWithPath: path).resolvingSymlinksInPath().path }
        let workspace = real("\(home)/.config/gh/project")
        let argv = Sandbox.wrap(["true"], bwrap: "/usr/bin/bwrap", workspaceRoot: workspace, cwd: workspace, home: home)
        #expect(!argv.contains(real("\(home)/.config/gh")), "\(argv)")
        #expect(argv.contains(real("\(home)/.ssh")), "\(argv)")
    }
}
