import BosunJSON
import Config
import Foundation
import Providers
import Workspace

/// `search`: a regular expression over the workspace's text files, honouring `.gitignore`.
struct SearchTool: WorkerTool {
    let policy: ToolPolicy
    /// Longest line shown in a match, so one minified file cannot flood the answer.
    static let maxLineLength = 300

    var spec: ToolSpec {
        ToolSpec(name: "search", description: """
            Search the workspace's text files for a regular expression (ICU syntax), line by line; \
            skips .git, what .gitignore ignores, binary files and files over \(policy.searchMaxFileBytes) bytes. \
            Answers `path:line: text`, at most `limit` matches (cap \(policy.searchMaxMatches)).
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "pattern": ["type": "string", "description": "Regular expression"],
                    "path": ["type": "string", "description": "Directory or file to search (default: the workspace root)"],
                    "glob": ["type": "string", "description": "Only files whose path matches this glob"],
                    "caseInsensitive": ["type": "boolean"],
                    "limit": ["type": "integer", "minimum": 1],
                ],
                "required": ["pattern"],
                "additionalProperties": false,
            ])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let args = try ToolInput(input, tool: "search")
        let pattern = try args.requiredString("pattern")
        let path = try args.string("path") ?? "."
        let glob = try args.string("glob").map { try GlobPattern($0) }
        let limit = min(try args.int("limit", minimum: 1) ?? policy.searchMaxMatches, policy.searchMaxMatches)
        let regex: NSRegularExpression
        do {
            regex = try NSRegularExpression(pattern: pattern, options: try args.bool("caseInsensitive") == true ? [.caseInsensitive] : [])
        } catch {
            throw ToolError("search: invalid regular expression \"\(pattern)\"")
        }
        let root = try WorkspaceRoot(context.workspaceRoot)
        let (start, isDirectory) = try root.resolveExisting(path)

        var matches: [String] = []
        var more = false
        var skipped = 0
        let searchFile = { (entry: WorkspaceWalker.Entry) -> Bool in
            if Task.isCancelled { return false }
            if let glob, !glob.matches(entry.relativePath) { return true }
            // The walker no longer stats what it lists; the size check stats here (through a symlink, as before).
            var info = stat()
            guard stat(entry.absolutePath, &info) == 0, info.st_size <= policy.searchMaxFileBytes,
                  let data = FileManager.default.contents(atPath: entry.absolutePath),
                  !ReadFileTool.looksBinary(data) else { skipped += 1; return true }
            var lineNumber = 0
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                lineNumber += 1
                let text = String(line)
                guard regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil else { continue }
                if matches.count == limit { more = true; return false }
                let shown = text.count > Self.maxLineLength ? String(text.prefix(Self.maxLineLength)) + "…" : text
                matches.append("\(entry.relativePath):\(lineNumber): \(shown)")
            }
            return true
        }
        if !isDirectory {
            _ = searchFile(WorkspaceWalker.Entry(relativePath: WorkspacePath.relative(start, to: root.path), absolutePath: start))
        } else {
            WorkspaceWalker(root: root.path).walk(from: start, searchFile)
        }
        try Task.checkCancellation()
        if matches.isEmpty { return ToolOutput(text: "no matches") }
        if more { matches.append("[stopped at \(limit) matches; narrow the pattern, path or glob]") }
        return ToolOutput(text: matches.joined(separator: "\n"))
    }
}
