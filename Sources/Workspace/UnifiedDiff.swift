import Foundation

/// A changed file's unified diff in git's style (`diff --git a/x b/x`, `new file mode`,
/// `--- a/x`, `+++ b/x`), made by GNU diff, with its added and removed line counts.
enum UnifiedDiff {
    static func of(_ side: Layer.Side, status: LayerFileChange.Status, context: Int) async throws -> (text: String, additions: Int, deletions: Int) {
        var header = "diff --git a/\(side.path) b/\(side.path)\n"
        switch status {
        case .added: header += "new file mode 100\(String(side.mode, radix: 8))\n"
        case .deleted: header += "deleted file mode 100644\n"
        case .modified: break
        }
        if isBinary(side.base) || isBinary(side.worker) {
            return (header + "Binary files \(status == .added ? "/dev/null" : "a/" + side.path) and \(status == .deleted ? "/dev/null" : "b/" + side.path) differ\n", 0, 0)
        }
        let old = status == .added ? "/dev/null" : "a/" + side.path
        let new = status == .deleted ? "/dev/null" : "b/" + side.path
        if status != .modified, let whole = status == .added ? side.worker : side.base {
            let (text, count) = wholeFile(whole, added: status == .added, old: old, new: new)
            return (header + text, status == .added ? count : 0, status == .deleted ? count : 0)
        }
        let outcome = try await ProcessRunner.run(
            ["diff", "--unified=\(context)", "--text", "--label", old, "--label", new, side.basePath, side.workerPath],
            cwd: "/", environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], timeout: 60, outputCap: 16 << 20)
        guard outcome.exitCode == 0 || outcome.exitCode == 1 else {
            throw WorkspaceError("diff of \(side.path) failed: \(String(decoding: outcome.output.prefix(300), as: UTF8.self))")
        }
        let text = String(decoding: outcome.output, as: UTF8.self)
        var additions = 0
        var deletions = 0
        for line in lines(of: outcome.output).dropFirst(2) {
            if line.hasPrefix("+") { additions += 1 } else if line.hasPrefix("-") { deletions += 1 }
        }
        return (header + text, additions, deletions)
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
