import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers

/// What a file tool reads goes to the model provider: credential files are refused even
/// inside the workspace unless the config allows them, and the tools cannot probe outside.
@Suite struct CredentialFileTests {
    static let credentials = [".ssh/id_ed25519", "home/.aws/credentials", ".netrc", "config/.git-credentials", ".config/gh/hosts.yml"]

    @Test func credentialFilesAreRefusedUnlessConfigAllowsThem() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        for path in Self.credentials { try workspace.write(path, "SECRET-\(path)") }
        try workspace.symlink("notes.txt", to: ".ssh/id_ed25519")
        let reader = ReadFileTool(policy: ToolPolicy())
        for path in Self.credentials + ["notes.txt"] {
            let output = await call(reader, ["path": .string(path)], workspace.context())
            #expect(output.isError && output.text.contains("credential") && output.text.contains("allowCredentialFiles"), "\(path): \(output.text)")
            #expect(!output.text.contains("SECRET"))
        }
        let writer = WriteFileTool(policy: ToolPolicy(), claims: InMemoryClaims())
        let write = await call(writer, ["path": ".ssh/authorized_keys", "content": "ssh-ed25519 AAAA attacker"],
                               workspace.context(permissions: ToolPermissions(write: true)))
        #expect(write.isError && write.text.contains("credential"), "\(write.text)")
        #expect(workspace.read(".ssh/authorized_keys") == nil)

        // The control: with the config's permission the same files are served.
        let allowed = ReadFileTool(policy: ToolPolicy(allowCredentialFiles: true))
        for path in Self.credentials {
            let output = await call(allowed, ["path": .string(path)], workspace.context())
            #expect(!output.isError && output.text.contains("SECRET-\(path)"), "\(path): \(output.text)")
        }
    }

    /// Whether a path outside exists must not show in the answer.
    @Test func anOutsidePathGetsTheSameAnswerWhetherOrNotItExists() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        let sibling = workspace.root + "-sibling"
        try "x".write(toFile: sibling, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: sibling) }
        let name = (sibling as NSString).lastPathComponent
        let reader = ReadFileTool(policy: ToolPolicy())
        let writer = WriteFileTool(policy: ToolPolicy(), claims: InMemoryClaims())
        let pairs: [(String, String)] = [("/etc/passwd", "/etc/no-such-file-\(UUID().uuidString)"),
                                         ("../\(name)", "../\(name)-missing"), (sibling, sibling + "-missing")]
        for (existing, missing) in pairs {
            for tool in [reader, writer] as [any WorkerTool] {
                let context = workspace.context(permissions: ToolPermissions(write: true))
                let a = await call(tool, ["path": .string(existing), "content": "x"], context)
                let b = await call(tool, ["path": .string(missing), "content": "x"], context)
                #expect(a.isError && b.isError)
                #expect(a.text.replacingOccurrences(of: existing, with: "P") == b.text.replacingOccurrences(of: missing, with: "P"),
                        "\(tool.spec.name): \(a.text) / \(b.text)")
            }
        }
    }
}
