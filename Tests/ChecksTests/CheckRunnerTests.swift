import BosunProtocol
import BosunJSON
import Checks
import Foundation
import Testing
import TestSupport
import Workspace

/// Each check kind over real files, real processes (in the sandbox where bubblewrap works)
/// and real git repositories.
@Suite struct CheckRunnerTests {
    static func context(_ root: String, structured: JSONValue? = nil, schema: JSONValue? = nil) -> CheckContext {
        CheckContext(workspaceRoot: root, brief: "TASK\nwrite the file", resultText: "done", resultStructured: structured,
                     outputSchema: schema,
                     commands: CommandPolicy(bwrap: Sandbox.bwrapPath, allowUnsandboxed: true, privatePaths: [],
                                             maxTimeoutSeconds: 30, outputBytes: 64),
                     judge: nil)
    }

    @Test func schemaCheckNamesTheFailingPointer() async throws {
        let schema: JSONValue = ["type": "object", "properties": ["items": ["type": "array", "items": ["type": "integer"]]]]
        let failed = await CheckRunner.run(.schema(schema: nil), context: Self.context("/", structured: ["items": [1, "two"]], schema: schema))
        #expect(!failed.passed)
        #expect(failed.summary.contains("/items/1"))
        let passed = await CheckRunner.run(.schema(schema: nil), context: Self.context("/", structured: ["items": [1, 2]], schema: schema))
        #expect(passed.passed)
        let refused = await CheckRunner.run(.schema(schema: ["unevaluatedProperties": false]), context: Self.context("/", structured: [:]))
        #expect(!refused.passed && refused.summary.contains("unevaluatedProperties"))
    }

    @Test func commandPassesOnTheExpectedExitCodeAndKeepsHeadAndTail() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let ok = await CheckRunner.run(.command(CommandCheck(command: ["true"])), context: Self.context(dir.path))
        #expect(ok.passed, "\(ok)")
        let three = await CheckRunner.run(.command(CommandCheck(command: ["sh", "-c", "exit 3"], expectExitCode: 3)), context: Self.context(dir.path))
        #expect(three.passed, "\(three)")
        let long = await CheckRunner.run(.command(CommandCheck(command: ["sh", "-c", "echo HEAD; seq 1 5000; echo TAIL; exit 1"])),
                                         context: Self.context(dir.path))
        #expect(!long.passed)
        #expect(long.summary.contains("exited with 1, expected 0"))
        #expect(long.output.hasPrefix("HEAD") && long.output.hasSuffix("TAIL\n") && long.output.contains("bytes cut"), "\(long.output)")
    }

    @Test func commandThatOutlivesItsTimeoutFails() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let outcome = await CheckRunner.run(.command(CommandCheck(command: ["sleep", "30"], timeoutSeconds: 0.5)), context: Self.context(dir.path))
        #expect(!outcome.passed)
        #expect(outcome.summary.contains("timed out"), "\(outcome.summary)")
    }

    @Test func commandIsReadOnlyUnlessWritable() async throws {
        try #require(Sandbox.bwrapPath != nil, "bubblewrap is needed to prove the workspace is read-only")
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let touch = CommandCheck(command: ["touch", "made"])
        #expect(!(await CheckRunner.run(.command(touch), context: Self.context(dir.path))).passed)
        var writable = touch
        writable.writable = true
        #expect(await CheckRunner.run(.command(writable), context: Self.context(dir.path)).passed)
        #expect(FileManager.default.fileExists(atPath: dir.path + "/made"))
    }

    @Test func filesChecksExistenceEmptinessAndContents() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        try dir.write("src/report.md", "# Report\nstatus: green\n")
        try dir.write("empty.txt", "")
        let good = FilesCheck(exist: ["src/report.md"], nonEmpty: true, contains: ["src/report.md": "^status: green$"])
        #expect(await CheckRunner.run(.files(good), context: Self.context(dir.path)).passed)
        let wrongText = FilesCheck(exist: [], contains: ["src/report.md": "status: red"])
        let outcome = await CheckRunner.run(.files(wrongText), context: Self.context(dir.path))
        #expect(!outcome.passed && outcome.summary.contains("does not contain"), "\(outcome)")
        let empty = await CheckRunner.run(.files(FilesCheck(exist: ["empty.txt"], nonEmpty: true)), context: Self.context(dir.path))
        #expect(!empty.passed && empty.summary.contains("is empty"))
        let outside = await CheckRunner.run(.files(FilesCheck(exist: ["../../etc/passwd", "missing.txt"])), context: Self.context(dir.path))
        #expect(!outside.passed && outside.summary.hasPrefix("2 of 2"), "\(outside)")
    }

    @Test func gitSyncAgainstABareRemote() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let remote = dir.path + "/remote.git", clone = dir.path + "/clone", other = dir.path + "/other"
        func git(_ args: String...) throws {
            let identity = ["-c", "user.name=bosun-test", "-c", "user.email=test@example.com"]
            let result = try runProcess("/usr/bin/env", ["git"] + identity + args)
            try #require(result.status == 0, "git \(args): \(result.stderr)")
        }
        try git("init", "--quiet", "--bare", "-b", "main", remote)
        try git("clone", "--quiet", remote, clone)
        try git("-C", clone, "checkout", "--quiet", "-B", "main")
        try dir.write("clone/a.txt", "a\n")
        try git("-C", clone, "add", "a.txt")
        try git("-C", clone, "commit", "--quiet", "-m", "a")
        try git("-C", clone, "push", "--quiet", "origin", "main")
        let check = Check.gitSync(GitSyncCheck(clean: true))
        let inSync = await CheckRunner.run(check, context: Self.context(clone))
        #expect(inSync.passed, "\(inSync)")

        try git("clone", "--quiet", remote, other)
        try dir.write("other/b.txt", "b\n")
        try git("-C", other, "add", "b.txt")
        try git("-C", other, "commit", "--quiet", "-m", "b")
        try git("-C", other, "push", "--quiet", "origin", "main")
        let behind = await CheckRunner.run(check, context: Self.context(clone))
        #expect(!behind.passed)
        #expect(behind.summary.contains("0 commit(s) ahead of and 1 behind origin/main"), "\(behind.summary)")

        try git("-C", clone, "pull", "--quiet", "--ff-only")
        try dir.write("clone/a.txt", "changed\n")
        let dirty = await CheckRunner.run(check, context: Self.context(clone))
        #expect(!dirty.passed && dirty.summary.contains("uncommitted"), "\(dirty)")
    }
}
