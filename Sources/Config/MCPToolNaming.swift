/// How an MCP server's tools are named for workers: `mcp__<server>__<tool>`, as Claude Code
/// names them. Model APIs accept only `[A-Za-z0-9_-]`, at most 64 characters, so every other
/// character of the server's or the tool's name becomes `_`; a name that would still be
/// longer, or that two tools of a server would share after that, is cut and ends with `_`
/// and 8 hex digits of a hash of the tool's real name, so it stays stable across sessions.
/// It lives with the roles that list these names, so the config can tell which servers they mean.
public enum MCPToolNaming {
    public static let maxLength = 64

    public static func sanitized(_ name: String) -> String {
        String(String.UnicodeScalarView(name.unicodeScalars.map { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-")
                ? scalar : "_"
        }))
    }

    /// The prefix every tool of `server` has.
    public static func prefix(server: String) -> String { "mcp__\(sanitized(server))__" }

    /// Worker-facing names for the tools of `server`, in the order given; `taken` avoids the
    /// names two different tools would share.
    public static func names(server: String, tools: [String]) -> [String] {
        let prefix = prefix(server: server)
        var taken: Set<String> = []
        return tools.map { tool in
            var name = prefix + sanitized(tool)
            if name.count > maxLength || taken.contains(name) {
                name = String(name.prefix(maxLength - 9)) + "_" + hash(tool)
            }
            taken.insert(name)
            return name
        }
    }

    /// FNV-1a, 32 bits, as 8 hex digits: stable across runs, unlike `Hasher`.
    public static func hash(_ text: String) -> String {
        var value: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            value ^= UInt32(byte)
            value = value &* 16_777_619
        }
        return SHA256.hexDigits(value)
    }
}
