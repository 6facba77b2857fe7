import BosunProtocol
import Testing

@testable import ACPServer

/// A worker's changed files as ACP `diff` content: the whole old and new text of each, read
/// from a whole-file unified diff as GNU diff writes it.
@Suite struct ACPFileDiffsTests {
    static func file(_ path: String, _ status: ChangedFile.Status, worker: String = "w_1") -> ChangedFile {
        ChangedFile(path: path, status: status, additions: 1, deletions: 1, workerId: worker)
    }

    static let base = [ChangesBase(workspace: "/ws", workerId: "w_1", startedAt: "2026-12-07T17:00:00.000Z", state: .pending)]

    @Test func eachFileBecomesItsWholeOldAndNewText() {
        let diff = """
            diff --git a/notes.txt b/notes.txt
            --- a/notes.txt
            +++ b/notes.txt
            @@ -1,3 +1,3 @@
             one
            -two
            +TWO
             three
            diff --git a/new.txt b/new.txt
            new file mode 100644
            --- /dev/null
            +++ b/new.txt
            @@ -0,0 +1,2 @@
            +a
            +b
            \\ No newline at end of file
            diff --git a/gone.txt b/gone.txt
            deleted file mode 100644
            --- a/gone.txt
            +++ /dev/null
            @@ -1 +0,0 @@
            -bye

            """
        let changes = ChangesResult(base: Self.base, files: [Self.file("notes.txt", .modified), Self.file("new.txt", .added),
                                                             Self.file("gone.txt", .deleted)], diff: diff)
        #expect(ACPFileDiffs.diffs(changes) == [
            ACPDiff(path: "/ws/notes.txt", oldText: "one\ntwo\nthree\n", newText: "one\nTWO\nthree\n"),
            ACPDiff(path: "/ws/new.txt", oldText: nil, newText: "a\nb"),
            ACPDiff(path: "/ws/gone.txt", oldText: "bye\n", newText: ""),
        ])
    }

    @Test func aMissingFinalNewlineIsKeptOnTheSideThatLacksIt() throws {
        let lines: [Substring] = ["diff --git a/x b/x", "--- a/x", "+++ b/x", "@@ -1,2 +1,2 @@", " a", "-b",
                                  "\\ No newline at end of file", "+b", ""]
        let texts = try #require(ACPFileDiffs.texts(of: lines))
        #expect(texts.old == "a\nb" && texts.new == "a\nb\n")
    }

    @Test func binaryFilesAndCutOrMultiHunkDiffsAreLeftOut() {
        let binary = "diff --git a/x.bin b/x.bin\nBinary files a/x.bin and b/x.bin differ\n"
        // The header promises five old lines; the output was cut after two.
        let cut = "diff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1,5 +1,5 @@\n a\n-b\n"
        let twoHunks = "diff --git a/z b/z\n--- a/z\n+++ b/z\n@@ -1 +1 @@\n-a\n+A\n@@ -9 +9 @@\n-i\n+I\n"
        let changes = ChangesResult(base: Self.base, files: [Self.file("x.bin", .modified), Self.file("y", .modified),
                                                             Self.file("z", .modified)], diff: binary + cut + twoHunks)
        #expect(ACPFileDiffs.diffs(changes).isEmpty)
        // Sections that do not match the files one for one give nothing rather than wrong paths.
        #expect(ACPFileDiffs.diffs(ChangesResult(base: Self.base, files: [Self.file("x.bin", .modified)], diff: cut + cut)).isEmpty)
    }

    @Test func aFileOfAnotherWorkerIsUnderItsWorkspace() {
        let base = Self.base + [ChangesBase(workspace: "/other", workerId: "w_2", startedAt: "2026-12-07T17:00:00.000Z", state: .pending)]
        let diff = "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n-x\n+y\n"
        let changes = ChangesResult(base: base, files: [Self.file("a", .modified, worker: "w_2")], diff: diff)
        #expect(ACPFileDiffs.diffs(changes).map(\.path) == ["/other/a"])
    }
}
