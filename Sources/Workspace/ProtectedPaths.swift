/// Paths no worker ever writes: version control, bosun's and other agents' configuration,
/// editor settings and the files a shell or tool runs by itself (`.envrc`, git hooks,
/// `core.fsmonitor` in `.git/config`). `write_file` refuses them, the sandbox mounts them
/// read-only, and `apply` never carries them, whatever the role's isolation.
public struct ProtectedPaths: Sendable, Hashable {
    /// Always protected; the config can add more (`tools.protectedPaths`), never remove these.
    public static let builtIn = [".git", ".bosun", ".claude", ".mcp.json", ".envrc", ".vscode", ".idea"]

    /// Relative to the workspace root, without a trailing slash; each covers what lies beneath it.
    public let paths: [String]

    public init(extra: [String] = []) {
        let cleaned = extra.map { String($0.split(separator: "/").joined(separator: "/")) }.filter { !$0.isEmpty }
        paths = Self.builtIn + cleaned.filter { !Self.builtIn.contains($0) }
    }

    /// The protected path `relative` falls under (itself or an ancestor), if any.
    public func match(_ relative: String) -> String? {
        let normalized = relative.split(separator: "/").joined(separator: "/")
        return paths.first { normalized == $0 || normalized.hasPrefix($0 + "/") }
    }

    /// The refusal a tool gives for a protected path.
    public func refusal(_ relative: String, shownAs path: String, by tool: String) -> WorkspaceError? {
        guard let match = match(relative) else { return nil }
        return WorkspaceError("""
            \(tool): \(path) is under \(match), a protected path: workers never write version control, agent or editor \
            configuration, or files that tools run by themselves. Leave it unchanged and say in your result what should change there.
            """)
    }
}
