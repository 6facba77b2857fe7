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

/// Escape attempts against every file tool and fetch_url: each must be refused with a tool
/// error, leak nothing from outside the workspace, and change nothing outside it.
@Suite(.serialized) struct PathEscapeTests {
    struct Attempt: CustomStringConvertible {
        var name: String
        var tool: String
        var input: JSONValue
        var description: String { name }
    }

    /// A workspace full of traps, and a directory outside it holding a secret.
    final class Fixture {
        let workspace: TestWorkspace
        private let outsideDirectory = TemporaryDirectory(prefix: "bosun-outside")
        let outside: String
        let outsideName: String
        let secret = "TOP-SECRET-\(UUID().uuidString)"

        init() throws {
            workspace = try TestWorkspace()
            outside = outsideDirectory.path
            outsideName = (outside as NSString).lastPathComponent
            try secret.write(toFile: "\(outside)/secret.txt", atomically: true, encoding: .utf8)
            // Both live in the temporary directory: siblings, so `../<outsideName>` reaches out.
            precondition((outside as NSString).deletingLastPathComponent == (workspace.root as NSString).deletingLastPathComponent)
            try workspace.write("inside.txt", "inside\n")
            try workspace.symlink("link_out", to: "\(outside)/secret.txt")
            try workspace.symlink("dir_out", to: outside)
            try workspace.symlink("chain1", to: "chain2")
            try workspace.symlink("chain2", to: "\(outside)/secret.txt")
            try workspace.symlink("sub/inner_link", to: "../dir_out")
            try workspace.symlink("chain_in", to: "sub/inner_link")
            try workspace.symlink("rel_out", to: "../\(outsideName)/secret.txt")
            try workspace.symlink("dangling_out", to: "\(outside)/created-through-link.txt")
            try workspace.symlink("loop1", to: "loop2")
            try workspace.symlink("loop2", to: "loop1")
            guard mkfifo("\(workspace.root)/fifo", 0o600) == 0 else { throw POSIXError(.EPERM) }
            // /dev/null's numbers (major 1, minor 3); without the privilege to make it, a symlink to it.
            if mknod("\(workspace.root)/devnull", S_IFCHR | 0o600, dev_t(1 << 8 | 3)) != 0 { try workspace.symlink("devnull", to: "/dev/null") }
        }

        func remove() {
            workspace.remove()
            outsideDirectory.remove()
        }
    }

    static func fileAttempts(_ f: Fixture) -> [Attempt] {
        let o = f.outsideName
        var attempts: [Attempt] = [
            ("traversal to a sibling", "read_file", ["path": .string("../\(o)/secret.txt")]),
            ("deep traversal", "read_file", ["path": "../../../../../../etc/passwd"]),
            ("absolute path outside", "read_file", ["path": "/etc/passwd"]),
            ("absolute path to the secret", "read_file", ["path": .string("\(f.outside)/secret.txt")]),
            ("traversal through a subdirectory", "read_file", ["path": .string("sub/../../\(o)/secret.txt")]),
            ("symlink to a file outside", "read_file", ["path": "link_out"]),
            ("symlinked directory outside", "read_file", ["path": "dir_out/secret.txt"]),
            ("chain of symlinks out", "read_file", ["path": "chain1"]),
            ("chain in then out", "read_file", ["path": "chain_in/secret.txt"]),
            ("relative symlink out", "read_file", ["path": "rel_out"]),
            ("/proc/self/environ", "read_file", ["path": "/proc/self/environ"]),
            ("/proc/self/root", "read_file", ["path": "/proc/self/root/etc/passwd"]),
            ("/proc/self/cwd", "read_file", ["path": "/proc/self/cwd/../../etc/passwd"]),
            ("NUL byte", "read_file", ["path": "inside.txt\u{0}"]),
            ("NUL byte before traversal", "read_file", ["path": "inside.txt\u{0}/../../etc/passwd"]),
            ("very long path", "read_file", ["path": .string(String(repeating: "a/", count: 3000) + "x")]),
            ("over-long component", "read_file", ["path": .string(String(repeating: "x", count: 300))]),
            ("symlink loop", "read_file", ["path": "loop1"]),
            ("FIFO", "read_file", ["path": "fifo"]),
            ("device file", "read_file", ["path": "devnull"]),
            ("write by traversal", "write_file", ["path": .string("../\(o)/written.txt"), "content": "x"]),
            ("write through a directory symlink", "write_file", ["path": "dir_out/written.txt", "content": "x"]),
            ("write through a dangling symlink", "write_file", ["path": "dangling_out", "content": "x"]),
            ("write to an absolute path", "write_file", ["path": .string("\(f.outside)/written.txt"), "content": "x"]),
            ("write over a symlink out", "write_file", ["path": "link_out", "content": "x"]),
            ("list a directory symlink out", "list_files", ["path": "dir_out"]),
            ("list the filesystem root", "list_files", ["path": "/"]),
            ("list the parent", "list_files", ["path": ".."]),
            ("list the parent through a subdirectory", "list_files", ["path": "sub/../.."]),
            ("list the outside by absolute path", "list_files", ["path": .string(f.outside)]),
            ("list through a chain of symlinks out", "list_files", ["path": "chain_in"]),
            ("list a symlink loop", "list_files", ["path": "loop1"]),
            ("list a FIFO", "list_files", ["path": "fifo"]),
            ("search the parent", "search", ["pattern": "SECRET", "path": ".."]),
            ("search a file outside by absolute path", "search", ["pattern": "SECRET", "path": .string("\(f.outside)/secret.txt")]),
            ("search outside", "search", ["pattern": "SECRET", "path": .string("../\(o)")]),
            ("search a symlink out", "search", ["pattern": "SECRET", "path": "link_out"]),
            ("command in a directory outside", "run_command", ["command": ["true"], "cwd": ".."]),
        ].map { Attempt(name: $0.0, tool: $0.1, input: .object($0.2)) }
        attempts.append(Attempt(name: "command cwd through a symlink", tool: "run_command", input: ["command": ["true"], "cwd": "dir_out"]))
        return attempts
    }

    static func urlAttempts(port: Int) -> [Attempt] {
        [
            "http://127.0.0.1:\(port)/", "http://[::1]:\(port)/", "http://0x7f000001:\(port)/", "http://2130706433:\(port)/",
            "http://localhost:\(port)/", "http://0177.0.0.1:\(port)/", "http://127.1:\(port)/", "http://0.0.0.0:\(port)/",
            "http://user:pass@127.0.0.1:\(port)/", "http://[::ffff:127.0.0.1]:\(port)/", "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/", "http://192.168.1.1/", "http://172.16.0.1/", "http://100.64.0.1/", "http://[fe80::1]/", "http://[fd00::1]/",
            "file:///etc/passwd", "gopher://127.0.0.1:\(port)/", "ftp://example.com/", "dict://127.0.0.1:\(port)/", "not a url",
        ].map { Attempt(name: $0, tool: "fetch_url", input: ["url": .string($0)]) }
    }

    @Test func everyEscapeAttemptIsRefused() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let server = try LoopbackHTTPServer { _ in .init(body: "loopback content") }
        defer { server.stop() }
        let registry = ToolRegistry(policy: ToolPolicy(sandbox: .allowUnsandboxed), claims: InMemoryClaims())
        let role = RoleConfig(name: "all", tools: RoleConfig.toolNames, permissions: ToolPermissions(write: true, exec: true))
        let tools = Dictionary(uniqueKeysWithValues: try registry.tools(for: role, requested: nil).map { ($0.spec.name, $0) })
        let context = fixture.workspace.context(permissions: role.permissions)
        let attempts = Self.fileAttempts(fixture) + Self.urlAttempts(port: server.port)
        #expect(attempts.count >= 30)

        for attempt in attempts {
            let output = await call(tools[attempt.tool]!, attempt.input, context)
            #expect(output.isError, "\(attempt.name) was not refused: \(output.text)")
            #expect(!output.text.contains(fixture.secret), "\(attempt.name) leaked the secret")
            #expect(!output.text.contains("loopback content"), "\(attempt.name) reached the loopback server")
            #expect(!output.text.isEmpty)
        }
        #expect(server.requestedPaths.isEmpty, "refused fetches must not connect at all")
        let outsideNow = try FileManager.default.contentsOfDirectory(atPath: fixture.outside)
        #expect(outsideNow == ["secret.txt"], "nothing may be created outside the workspace")
        #expect(try String(contentsOfFile: "\(fixture.outside)/secret.txt", encoding: .utf8) == fixture.secret)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/written.txt"))
    }

    @Test func ordinaryPathsInsideTheWorkspaceStillWork() async throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.workspace.symlink("inner_ok", to: "inside.txt")
        let tool = ReadFileTool(policy: ToolPolicy())
        for path in ["inside.txt", "./inside.txt", "sub/../inside.txt", "inner_ok", "\(fixture.workspace.root)/inside.txt"] {
            let output = await call(tool, ["path": .string(path)], fixture.workspace.context())
            #expect(!output.isError && output.text.hasPrefix("inside"), "\(path): \(output.text)")
        }
    }

    @Test func loopbackIsReachableOnlyWhenConfigAllowsIt() async throws {
        let server = try LoopbackHTTPServer { _ in .init(body: "loopback content") }
        defer { server.stop() }
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let allowed = FetchURLTool(policy: ToolPolicy(allowPrivateAddresses: true), http: .shared)
        let output = await call(allowed, ["url": .string("\(server.baseURL)/x")], workspace.context())
        #expect(!output.isError && output.text.contains("loopback content"), "\(output.text)")
        let viaName = await call(allowed, ["url": .string("http://localhost:\(server.port)/y")], workspace.context())
        #expect(viaName.text.contains("loopback content"), "\(viaName.text)")
        let refused = await call(FetchURLTool(policy: ToolPolicy(), http: .shared), ["url": .string("\(server.baseURL)/z")], workspace.context())
        #expect(refused.isError && refused.text.contains("loopback"))
        // Loopback written as an IPv4-translated IPv6 address is refused as such, not tried.
        let translated = await call(FetchURLTool(policy: ToolPolicy(), http: .shared),
                                    ["url": .string("http://[::ffff:0:127.0.0.1]:\(server.port)/t")], workspace.context())
        #expect(translated.isError && translated.text.contains("IPv4-translated"), "\(translated.text)")
        #expect(server.requestedPaths == ["/x", "/y"])
    }

    @Test func aRedirectFromAnAllowedHostToLoopbackIsRefused() async throws {
        // 127.0.0.2 stands in for a public host: the test allows exactly that address.
        let target = try LoopbackHTTPServer(address: "127.0.0.1") { _ in .init(body: "internal data") }
        defer { target.stop() }
        let front = try LoopbackHTTPServer(address: "127.0.0.2") { _ in
            .init(status: 302, headers: [("Location", "http://127.0.0.1:\(target.port)/internal")])
        }
        defer { front.stop() }
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        var tool = FetchURLTool(policy: ToolPolicy(), http: .shared)
        tool.isAllowed = { $0 == IPAddress(literal: "127.0.0.2") || AddressPolicy.refusalReason($0) == nil }
        let output = await call(tool, ["url": .string("\(front.baseURL)/start")], workspace.context())
        #expect(output.isError && output.text.contains("loopback"), "\(output.text)")
        #expect(front.requestedPaths == ["/start"])
        #expect(target.requestedPaths.isEmpty)

        // The control: when the second hop is allowed, the redirect is followed.
        tool.isAllowed = { _ in true }
        let followed = await call(tool, ["url": .string("\(front.baseURL)/again")], workspace.context())
        #expect(!followed.isError && followed.text.contains("internal data"), "\(followed.text)")
        #expect(target.requestedPaths == ["/internal"])
    }
}
