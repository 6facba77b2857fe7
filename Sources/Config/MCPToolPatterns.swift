/// How a role names MCP tools: `mcp__<server>__<tool>`, exactly or with globs (`*` any run
/// of characters, `?` one), so `mcp__github__*` grants every tool of the server `github`.
extension RoleConfig {
    public static let mcpToolPrefix = "mcp__"

    public static func isMCPToolPattern(_ name: String) -> Bool {
        name.hasPrefix(mcpToolPrefix) && name.count > mcpToolPrefix.count
    }

    /// The role's entries that name MCP tools.
    public var mcpToolPatterns: [String] { tools.filter(Self.isMCPToolPattern) }

    /// Whether the role lists the MCP tool `name` (one of its entries matches it).
    public func offersMCPTool(_ name: String) -> Bool {
        mcpToolPatterns.contains { Self.glob($0, matches: name) }
    }

    /// Whether some entry of the role may match a tool of the server whose tool names start
    /// with `mcp__<server>__`: only those servers are started for its workers.
    public func mayUseMCPServer(toolPrefix prefix: String) -> Bool {
        mcpToolPatterns.contains { Self.pattern($0, mayMatchToolsOf: prefix) }
    }

    /// Whether `pattern` may match a name that starts with `prefix`.
    public static func pattern(_ pattern: String, mayMatchToolsOf prefix: String) -> Bool {
        let literal = pattern.prefix { $0 != "*" && $0 != "?" }
        return literal.count < pattern.count
            ? (prefix.hasPrefix(literal) || literal.hasPrefix(prefix))
            : pattern.hasPrefix(prefix)
    }

    /// `*` matches any run of characters, `?` one; everything else itself.
    public static func glob(_ pattern: String, matches name: String) -> Bool {
        WildcardMatch.matches(Array(pattern.unicodeScalars), Array(name.unicodeScalars), isAnyRun: { $0 == "*" }) {
            $0 == "?" || $0 == $1
        }
    }
}
