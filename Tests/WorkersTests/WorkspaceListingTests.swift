import BosunJSON
import Config
import Foundation
import Testing
@testable import Workers
#if canImport(Glibc)
import Glibc
#endif

/// What list_files sees of a directory since the walker reads it with readdir(3) and the
/// root is resolved once per call (issue 6): the same answers as through FileManager.
@Suite struct WorkspaceListingTests {
    @Test func oddEntriesAreListedOrSkippedAsBefore() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        try workspace.write("B.txt", "b\n")
        try workspace.write("_.txt", "u\n")
        try workspace.write("a.txt", "a\n")
        try workspace.write("sub/inner.txt", "i\n")
        try workspace.write(".git/HEAD", "ref\n")
        try workspace.symlink("link_in", to: "a.txt")
        try workspace.symlink("dir_link", to: "sub")
        try workspace.symlink("dangling", to: "missing.txt")
        try workspace.symlink("link_out", to: "/etc/hostname")
        #expect(mkfifo("\(workspace.root)/fifo", 0o600) == 0)
        // A name that is not UTF-8 cannot be shown; it was skipped, and still is.
        let badName = Array("\(workspace.root)/bad".utf8CString.dropLast()) + [CChar(bitPattern: 0xFF), 0]
        let descriptor = badName.withUnsafeBufferPointer { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o600) }
        #expect(descriptor >= 0)
        close(descriptor)

        let listed = await call(ListFilesTool(policy: ToolPolicy()), [:], workspace.context())
        #expect(listed.text.split(separator: "\n") == ["B.txt", "_.txt", "a.txt", "link_in", "sub/inner.txt"], "\(listed.text)")
    }

    @Test func gitignoreFilesAreReadAsFileManagerReadThem() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        // A byte-order mark is dropped; a file that is not UTF-8 has no rules; a directory named .gitignore neither.
        try workspace.write(".gitignore", "\u{FEFF}*.log\n")
        try workspace.write("a.log", "x\n")
        try workspace.write("keep.txt", "x\n")
        try FileManager.default.createDirectory(atPath: "\(workspace.root)/latin1", withIntermediateDirectories: true)
        try Data([0x2A, 0x2E, 0x74, 0x78, 0x74, 0x0A, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: "\(workspace.root)/latin1/.gitignore"))
        try workspace.write("latin1/b.txt", "x\n")
        try workspace.write("odd/.gitignore/c.txt", "x\n")
        try workspace.write("odd/d.log", "x\n")
        let listed = await call(ListFilesTool(policy: ToolPolicy()), [:], workspace.context())
        #expect(listed.text.split(separator: "\n") == [".gitignore", "keep.txt", "latin1/.gitignore", "latin1/b.txt", "odd/.gitignore/c.txt"],
                "\(listed.text)")
        // Rules of the directories above the start apply too.
        let below = await call(ListFilesTool(policy: ToolPolicy()), ["path": "odd"], workspace.context())
        #expect(below.text == "odd/.gitignore/c.txt", "\(below.text)")
    }

    @Test func theRootIsNamedInManyWays() async throws {
        let workspace = try TestWorkspace()
        defer { workspace.remove() }
        try workspace.write("src/a.swift", "a\n")
        try workspace.symlink("src_link", to: "src")
        let tool = ListFilesTool(policy: ToolPolicy())
        for path in [".", "./", "src/..", "src_link/..", ".//src/../", workspace.root, workspace.root + "/"] {
            let listed = await call(tool, ["path": .string(path)], workspace.context())
            #expect(listed.text == "src/a.swift", "\(path): \(listed.text)")
        }
        // Through a symlinked directory inside the workspace, the real path is listed.
        let viaLink = await call(tool, ["path": "src_link"], workspace.context())
        #expect(viaLink.text == "src/a.swift", "\(viaLink.text)")
        let file = await call(tool, ["path": "src/a.swift"], workspace.context())
        #expect(file.isError && file.text == "src/a.swift is a file, not a directory; use read_file to read it")
        let missing = await call(tool, ["path": "nope"], workspace.context())
        #expect(missing.isError && missing.text == "nope: no such file or directory in the workspace")
        let empty = await call(tool, ["path": ""], workspace.context())
        #expect(empty.isError && empty.text.contains("the path is empty"))
        let gone = await call(tool, [:], ToolContext(sessionId: "s", workerId: "w", workspaceRoot: workspace.root + "/nope", permissions: ToolPermissions()))
        #expect(gone.isError && gone.text == "the workspace root \(workspace.root)/nope does not exist", "\(gone.text)")
        let fileRoot = ToolContext(sessionId: "s", workerId: "w", workspaceRoot: workspace.root + "/src/a.swift", permissions: ToolPermissions())
        let notADirectory = await call(tool, [:], fileRoot)
        #expect(notADirectory.isError && notADirectory.text == ". is a file, not a directory; use read_file to read it", "\(notADirectory.text)")
        let searched = await call(SearchTool(policy: ToolPolicy()), ["pattern": "a", "path": "./src/../src/a.swift"], workspace.context())
        #expect(searched.text == "src/a.swift:1: a", "\(searched.text)")
    }
}
