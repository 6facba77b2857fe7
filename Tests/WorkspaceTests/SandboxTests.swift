import Foundation
import Testing
import TestSupport
@testable import Workspace
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct SandboxTests {
    static func bwrap() throws -> String {
        try #require(Sandbox.bwrapPath, "bubblewrap must be installed and usable: apt-get install bubblewrap")
    }

    /// Runs `sh -c script` with `argv` in front and returns its output.
    static func run(_ argv: [String], _ script: String) async throws -> String {
        let outcome = try await ProcessRunner.run(argv + ["sh", "-c", script], cwd: nil, environment: ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin"],
                                                  timeout: 30, outputCap: 1 << 16)
        return String(decoding: outcome.output, as: UTF8.self)
    }

    /// The sandbox as it was before it dropped privileges and was built from an allow-list:
    /// the whole filesystem read-only, the workspace re-shown, `hidden` files covered. The
    /// controls run each attack in it, to show the test sees an escape when there is one.
    static func oldSandbox(_ bwrap: String, workspace: String, hidden: [String] = []) -> [String] {
        [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp", "--ro-bind", workspace, workspace]
            + hidden.flatMap { ["--ro-bind", "/dev/null", $0] } + ["--unshare-all", "--die-with-parent", "--"]
    }

    /// Run as root (as bosun is in CI and many containers), a command keeps no capability and
    /// cannot remount, unmount or mount its way out: the workspace stays read-only, the rest
    /// of the machine stays out of reach, hidden credentials stay hidden.
    @Test(.enabled(if: getuid() == 0, "the escapes need root outside the sandbox"))
    func rootInsideTheSandboxCannotRemountOrUnmount() async throws {
        let bwrap = try Self.bwrap()
        let workspace = TemporaryDirectory(prefix: "bosun-ws")
        let outside = TemporaryDirectory(prefix: "bosun-outside")
        // Outside /tmp, which the old sandbox covered with a tmpfs of its own.
        let home = TemporaryDirectory(prefix: "bosun-home", in: "/var/tmp")
        defer { [workspace, outside, home].forEach { $0.remove() } }
        try home.write(".netrc", "machine example.com password SECRET-NETRC")
        let view = SandboxView(workspaceRoot: workspace.path, home: home.path)
        let sandboxed = Sandbox.wrap([], bwrap: bwrap, view: view, cwd: workspace.path)
        let old = Self.oldSandbox(bwrap, workspace: workspace.path, hidden: [home.path + "/.netrc"])

        let status = try await Self.run(sandboxed, "grep -E '^(Uid|CapEff|CapPrm|CapBnd|NoNewPrivs)' /proc/self/status")
        #expect(status.contains("CapEff:\t0000000000000000") && status.contains("CapPrm:\t0000000000000000"), "\(status)")
        #expect(status.contains("CapBnd:\t0000000000000000") && status.contains("NoNewPrivs:\t1"), "\(status)")
        #expect(status.contains("Uid:\t65534"), "\(status)")

        // 1. Remount the read-only workspace writable.
        let remountWorkspace = "mount -o remount,bind,rw \(workspace.path) && touch \(workspace.path)/escaped"
        _ = try await Self.run(sandboxed, remountWorkspace)
        #expect(!FileManager.default.fileExists(atPath: workspace.path + "/escaped"), "the workspace was remounted writable")
        _ = try await Self.run(old, remountWorkspace)
        #expect(FileManager.default.fileExists(atPath: workspace.path + "/escaped"), "control: the old sandbox let root remount")

        // 2. Remount / writable and unmount the private /tmp to write outside the workspace.
        let remountRoot = "mount -o remount,bind,rw /; umount -l /tmp; touch \(outside.path)/escaped"
        _ = try await Self.run(sandboxed, remountRoot)
        #expect(!FileManager.default.fileExists(atPath: outside.path + "/escaped"), "a file outside the workspace was written")
        _ = try await Self.run(old, remountRoot)
        #expect(FileManager.default.fileExists(atPath: outside.path + "/escaped"), "control: the old sandbox let root write outside")

        // 3. Unmount what hides a credential.
        let unhide = "umount \(home.path)/.netrc; cat \(home.path)/.netrc"
        let hidden = try await Self.run(sandboxed, unhide)
        #expect(!hidden.contains("SECRET-NETRC"), "\(hidden)")
        let revealed = try await Self.run(old, unhide)
        #expect(revealed.contains("SECRET-NETRC"), "control: the old sandbox let root unmount the cover: \(revealed)")

        // The system's own secrets, which the sandbox's uid would own, stay hidden too.
        let shadow = try await Self.run(sandboxed, "cat /etc/shadow; ls /etc/ssh")
        #expect(!shadow.contains("root:"), "\(shadow)")
    }

    /// Only the allow-list is visible: the trace store and config files are hidden wherever
    /// they live (here a state directory under the home, and one inside the workspace), the
    /// home is empty, the rest of the machine does not exist.
    @Test func theSandboxShowsOnlyTheAllowList() async throws {
        let bwrap = try Self.bwrap()
        let workspace = TemporaryDirectory(prefix: "bosun-ws")
        let home = TemporaryDirectory(prefix: "bosun-home")
        let outside = TemporaryDirectory(prefix: "bosun-outside")
        defer { [workspace, home, outside].forEach { $0.remove() } }
        // XDG_STATE_HOME=$HOME/.state: a store the old deny-list did not know.
        let homeStore = try home.write(".state/bosun/bosun.sqlite", "SECRET-HOME-STORE")
        let workspaceStore = try workspace.write(".state/bosun/bosun.sqlite", "SECRET-WORKSPACE-STORE")
        let userConfig = try workspace.write("etc/bosun.yaml", "SECRET-CONFIG")
        let elsewhere = try outside.write("notes.txt", "SECRET-ELSEWHERE")
        try workspace.write("src/main.swift", "VISIBLE")
        let view = SandboxView(workspaceRoot: workspace.path, home: home.path,
                               privatePaths: [home.path + "/.state/bosun", workspace.path + "/.state/bosun", userConfig])
        let sandboxed = Sandbox.wrap([], bwrap: bwrap, view: view, cwd: workspace.path)
        let files = [homeStore, workspaceStore, userConfig, elsewhere, workspace.path + "/src/main.swift"]
        let seen = try await Self.run(sandboxed, "cat \(files.joined(separator: " ")); ls -A \(home.path); ls /")
        #expect(!seen.contains("SECRET") && seen.contains("VISIBLE"), "\(seen)")
        #expect(!seen.contains("root") && !seen.contains("var") && !seen.contains("work"), "only the allow-list is at /: \(seen)")
        // The control: the same files read outside the sandbox.
        let control = try await Self.run([], "cat \(files.joined(separator: " "))")
        #expect(control.contains("SECRET-HOME-STORE") && control.contains("SECRET-WORKSPACE-STORE") && control.contains("SECRET-ELSEWHERE"))
    }

    /// A workspace that is the home directory shows the home, but not its credential stores.
    @Test func aWorkspaceThatIsTheHomeHidesItsCredentials() async throws {
        let bwrap = try Self.bwrap()
        let home = TemporaryDirectory(prefix: "bosun-home")
        defer { home.remove() }
        try home.write(".ssh/id_ed25519", "SECRET-KEY")
        try home.write(".netrc", "SECRET-NETRC")
        try home.write("notes.txt", "VISIBLE")
        let argv = Sandbox.wrap(["cat", ".ssh/id_ed25519", ".netrc", "notes.txt"], bwrap: bwrap,
                                view: SandboxView(workspaceRoot: home.path, home: home.path), cwd: home.path)
        let outcome = try await ProcessRunner.run(argv, cwd: nil, environment: ["PATH": "/usr/bin:/bin"], timeout: 30, outputCap: 1 << 16)
        let seen = String(decoding: outcome.output, as: UTF8.self)
        #expect(!seen.contains("SECRET") && seen.contains("VISIBLE"), "\(seen)")
    }

    @Test func aWorkspaceInsideAHiddenDirectoryStaysVisible() throws {
        let home = TemporaryDirectory(prefix: "bosun-home")
        defer { home.remove() }
        try FileManager.default.createDirectory(atPath: "\(home.path)/.config/gh/project", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(home.path)/.ssh", withIntermediateDirectories: true)
        let workspace = "\(home.path)/.config/gh/project"
        let argv = Sandbox.wrap(["true"], bwrap: "/usr/bin/bwrap", view: SandboxView(workspaceRoot: workspace, home: home.path), cwd: workspace)
        #expect(!argv.contains("\(home.path)/.config/gh"), "\(argv)")
        #expect(argv.joined(separator: " ").contains("--tmpfs \(home.path) --ro-bind \(workspace) \(workspace)"), "\(argv)")
    }
}
