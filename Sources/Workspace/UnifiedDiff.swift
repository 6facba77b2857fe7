import Foundation

/// A changed file's unified diff in git's style (`diff --git a/x b/x`, `new file mode`,
/// `old mode`/`new mode`, `--- a/x`, `+++ b/x`), with its added and removed line counts: GNU diff for a modified
/// file, written here for what is added or deleted whole and for symlinks (whose content, as
/// in git, is their target).
enum UnifiedDiff {
    static func of(_ side: Layer.Side, status: LayerFileChange.Status, context: Int) async throws -> (text: String, additions: Int, deletions: Int) {
        // A symlink replaced by a file or the other way round: git shows a deletion and an addition.
        if let base = side.base, let worker = side.worker, base.isSymlink != worker.isSymlink {
            let gone = whole(side.path, base, added: false, mode: 0o644)
            let made = whole(side.path, worker, added: true, mode: side.mode)
            return (gone.text + made.text, made.lines, gone.lines)
        }
        if status != .modified, let entry = side.worker ?? side.base {
            let diff = whole(side.path, entry, added: status == .added, mode: side.mode)
            return (diff.text, status == .added ? diff.lines : 0, status == .deleted ? diff.lines : 0)
        }
        var header = "diff --git a/\(side.path) b/\(side.path)\n"
        if let executable = side.executableChange {
            header += executable ? "old mode 100644\nnew mode 100755\n" : "old mode 100755\nnew mode 100644\n"
            if side.base?.content == side.worker?.content { return (header, 0, 0) }
        }
        if isBinary(side.base?.content) || isBinary(side.worker?.content) {
            return (header + "Binary files a/\(side.path) and b/\(side.path) differ\n", 0, 0)
        }
        if case .symlink(let old)? = side.base, case .symlink(let new)? = side.worker {
            let text = "--- a/\(side.path)\n+++ b/\(side.path)\n@@ -1 +1 @@\n-\(old)\n\\ No newline at end of file\n+\(new)\n\\ No newline at end of file\n"
            return (header + text, 1, 1)
        }
        let outcome = try await ProcessRunner.run(
            ["diff", "--unified=\(context)", "--text", "--label", "a/" + side.path, "--label", "b/" + side.path, side.basePath, side.workerPath],
            cwd: "/", environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], timeout: 60, outputCap: 16 << 20)
        guard outcome.exitCode == 0 || outcome.exitCode == 1 else {
            throw WorkspaceError("diff of \(side.path) failed: \(String(decoding: outcome.output.prefix(300), as: UTF8.self))")
        }
        var additions = 0
        var deletions = 0
        for line in lines(of: outcome.output).dropFirst(2) {
            if line.hasPrefix("+") { additions += 1 } else if line.hasPrefix("-") { deletions += 1 }
        }
        return (header + String(decoding: outcome.output, as: UTF8.self), additions, deletions)
    }

    /// The diff of `entry` added or deleted whole, with git's header (a symlink's mode is 120000).
    private static func whole(_ path: String, _ entry: LayerEntry, added: Bool, mode: mode_t) -> (text: String, lines: Int) {
        let fileMode = entry.isSymlink ? "120000" : "100" + String(added ? mode : 0o644, radix: 8)
        let header = "diff --git a/\(path) b/\(path)\n" + (added ? "new file mode \(fileMode)\n" : "deleted file mode \(fileMode)\n")
        let (old, new) = added ? ("/dev/null", "b/" + path) : ("a/" + path, "/dev/null")
        if isBinary(entry.content) { return (header + "Binary files \(old) and \(new) differ\n", 0) }
        let diff = wholeFile(entry.content, added: added, old: old, new: new)
        return (header + diff.text, diff.lines)
    }

    /// The diff of a file added or deleted whole, written here as GNU diff writes it (no
    /// process per file): one hunk of every line, and its line count.
    static func wholeFile(_ data: Data, added: Bool, old: String, new: String) -> (text: String, lines: Int) {
        guard !data.isEmpty else { return ("", 0) }
        var lines = lines(of: data)
        let endsWithNewline = lines.last == ""
        if endsWithNewline { lines.removeLast() }
        let range = lines.count == 1 ? "1" : "1,\(lines.count)"
        var out = "--- \(old)\n+++ \(new)\n" + (added ? "@@ -0,0 +\(range) @@\n" : "@@ -\(range) +0,0 @@\n")
        let sign = added ? "+" : "-"
        for line in lines { out += sign + line + "\n" }
        if !endsWithNewline { out += "\\ No newline at end of file\n" }
        return (out, lines.count)
    }

    /// The lines of `data` split at each LF byte (a Swift `String` would keep CR LF as one
    /// character and not split there).
    static func lines(of data: Data) -> [String] {
        data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A NUL byte in the first 8 KiB, as git decides.
    static func isBinary(_ data: Data?) -> Bool {
        data.map { $0.prefix(8192).contains(0) } ?? false
    }
}
