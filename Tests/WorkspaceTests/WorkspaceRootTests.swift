import Foundation
import Testing
import TestSupport

@testable import Workspace

/// `WorkspaceRoot(resolved:)` takes a root its caller resolved already (a tool's
/// `ToolContext.workspaceRoot`) as it is, checked as `init(_:)` checks it, and leaves what
/// that check refuses to `init(_:)`, so the answers read the same.
@Suite struct WorkspaceRootTests {
    @Test func aResolvedRootIsCheckedNotResolvedAgain() throws {
        let directory = TemporaryDirectory(prefix: "bosun-root")
        try FileManager.default.createDirectory(atPath: directory.path + "/real", withIntermediateDirectories: true)
        try "x".write(toFile: directory.path + "/file", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/link", withDestinationPath: directory.path + "/real")

        let real = try WorkspaceRoot(resolved: directory.path + "/real")
        let resolvedAgain = try WorkspaceRoot(directory.path + "/real")
        #expect(real.path == resolvedAgain.path && real.isDirectory && resolvedAgain.isDirectory)
        // Taken as given: a symlink in the path is not followed to its target's name.
        #expect(try WorkspaceRoot(resolved: directory.path + "/link").path == directory.path + "/link")
        #expect(try WorkspaceRoot(directory.path + "/link").path == directory.path + "/real")
        #expect(try !WorkspaceRoot(resolved: directory.path + "/file").isDirectory)

        for refused in [directory.path + "/missing", "/dev/null"] {
            #expect(throws: WorkspaceError.self) { try WorkspaceRoot(resolved: refused) }
            let given = Self.message { try WorkspaceRoot(resolved: refused) }
            let original = Self.message { try WorkspaceRoot(refused) }
            #expect(given == original && given != "no error", "\(given) / \(original)")
        }
    }

    private static func message(_ body: () throws -> WorkspaceRoot) -> String {
        do {
            _ = try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }
}
