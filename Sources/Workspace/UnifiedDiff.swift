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
        let outcome = try await ProcessRunner.run(
            ["diff", "--unified=\(context)", "--text", "--label", old, "--label", new, side.basePath, side.workerPath],
            cwd: "/", environment: ["PATH": "/usr/bin:/bin", "LC_ALL": "C"], timeout: 60, outputCap: 16 << 20)
        guard outcome.exitCode == 0 || outcome.exitCode == 1 else {
            throw WorkspaceError("diff of \(side.path) failed: \(String(decoding: outcome.output.prefix(300), as: UTF8.self))")
        }
        let text = String(decoding: outcome.output, as: UTF8.self)
        var additions = 0
        var deletions = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2) {
            if line.hasPrefix("+") { additions += 1 } else if line.hasPrefix("-") { deletions += 1 }
        }
        return (header + text, additions, deletions)
    }

    /// A NUL byte in the first 8 KiB, as git decides.
    static func isBinary(_ data: Data?) -> Bool {
        data.map { $0.prefix(8192).contains(0) } ?? false
    }
}
