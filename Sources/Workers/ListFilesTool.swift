import BosunJSON
import Config
import Foundation
import Providers
import Workspace

/// `list_files`: the files under a directory, optionally filtered by a glob, honouring `.gitignore`.
struct ListFilesTool: WorkerTool {
    let policy: ToolPolicy
    /// Made once: a spec encodes its schema, and every model call of a run sends it.
    let spec: ToolSpec

    init(policy: ToolPolicy) {
        self.policy = policy
        spec = Self.spec(policy: policy)
    }

    static func spec(policy: ToolPolicy) -> ToolSpec {
        ToolSpec(name: "list_files", description: """
            List files in the workspace (recursively, skipping .git and what .gitignore ignores). \
            `glob` filters them: `*.swift` matches names at any depth, `Sources/**/*.swift` whole paths. \
            At most `limit` paths (default and cap \(policy.listMaxEntries)).
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "path": ["type": "string", "description": "Directory relative to the workspace root (default: the root)"],
                    "glob": ["type": "string", "description": "Glob the relative paths must match"],
                    "limit": ["type": "integer", "minimum": 1],
                ],
                "additionalProperties": false,
            ])
    }

    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        let args = try ToolInput(input, tool: "list_files")
        let path = try args.string("path") ?? "."
        let glob = try args.string("glob").map { try GlobPattern($0) }
        let limit = min(try args.int("limit", minimum: 1) ?? policy.listMaxEntries, policy.listMaxEntries)
        // The walk reads directories: on a thread of its own, never the cooperative pool's.
        // The root is the session's, resolved to its real path when the session opened.
        let (found, more) = try await BlockingWork.run { () throws -> ([String], Bool) in
            let root = try WorkspaceRoot(resolved: context.workspaceRoot)
            if let layer = context.layer {
                // The worker's layer on top: its new files listed, its deletions gone.
                let start = try WorkspaceDirectory(root.path).relative(path)
                let all = layer.files(under: start).filter { glob?.matches($0) ?? true }
                return (Array(all.prefix(limit)), all.count > limit)
            }
            let (start, isDirectory) = try root.resolveExisting(path)
            guard isDirectory else { throw ToolError("\(path) is a file, not a directory; use read_file to read it") }
            var paths: [String] = []
            var more = false
            WorkspaceWalker(root: root.path).walk(from: start) { entry in
                if let glob, !glob.matches(entry.relativePath) { return true }
                if paths.count == limit { more = true; return false }
                paths.append(entry.relativePath)
                return true
            }
            return (paths, more)
        }
        try Task.checkCancellation()
        var paths = found
        if paths.isEmpty { return ToolOutput(text: "no files match") }
        if more { paths.append("[stopped at \(limit) paths; narrow with path or glob]") }
        return ToolOutput(text: paths.joined(separator: "\n"))
    }
}
