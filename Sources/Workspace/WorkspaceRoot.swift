import Foundation

/// The workspace root of one tool call, resolved once: the tools that take a path inside it
/// used to resolve the root, then resolve the path "in" that result, which resolved the root
/// again (every realpath(3) re-reads each component of the root's path).
public struct WorkspaceRoot {
    /// The root's real path.
    public let path: String
    public let isDirectory: Bool

    /// Checked as `WorkspacePath.resolve(".", in: root, forWriting: false)` checks it: the
    /// root must exist and be a directory or a regular file (errors name it `.`).
    public init(_ root: String) throws {
        path = try WorkspacePath.realRootPath(root)
        isDirectory = try WorkspacePath.requireOrdinaryFile(path, original: ".")
    }

    /// A root its caller resolved to its real path already (a tool's `ToolContext.workspaceRoot`,
    /// resolved when the session opened): only checked, as `init(_:)` checks it, without
    /// resolving it again (`realpath` reads every component's link: a `readlink` each). When
    /// the check fails, `init(_:)` says why in its own words.
    public init(resolved root: String) throws {
        var info = stat()
        let type = stat(root, &info) == 0 ? info.st_mode & S_IFMT : 0
        guard root.hasPrefix("/"), type == S_IFDIR || type == S_IFREG else {
            self = try WorkspaceRoot(root)
            return
        }
        path = root
        isDirectory = type == S_IFDIR
    }

    /// `WorkspacePath.resolve(path, in: self.path, forWriting: false)` without resolving the
    /// root again, and whether the result is a directory.
    public func resolveExisting(_ path: String) throws -> (real: String, isDirectory: Bool) {
        try WorkspacePath.validateSyntax(path)
        let normalized = WorkspacePath.lexicallyNormalized(path.hasPrefix("/") ? path : self.path + "/" + path)
        // The root itself (`.`, `./`, `a/..`) was resolved and checked a moment ago.
        if normalized == self.path { return (self.path, isDirectory) }
        guard let existing = try WorkspacePath.existing(normalized, realRoot: self.path, original: path) else {
            throw WorkspacePath.missing(path)
        }
        return existing
    }
}
