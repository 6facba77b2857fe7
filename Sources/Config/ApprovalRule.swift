import Workspace

/// Why an approval pattern cannot be used, in words that say how to write it instead.
public struct ApprovalRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One approval pattern, `tool` or `tool(specifier)`, parsed: `run_command(npm test *)`,
/// `write_file(src/**)`, `fetch_url(https://docs.*)`, `fetch_url(domain:*.example.com)`,
/// `mcp__github__*`. What a specifier matches depends on the tool (see `ApprovalCall`).
public struct ApprovalRule: Sendable {
    /// The pattern as written.
    public let text: String
    /// A tool name, or an MCP tool name with `*`/`?` globs.
    let tool: String
    let specifier: Specifier?

    enum Specifier: Sendable {
        case command(CommandPattern)
        /// A glob over the path relative to the workspace root (`GlobPattern`'s syntax); a
        /// leading `/` anchors it at the root.
        case path(GlobPattern)
        /// A glob over the whole URL (`*` any run of characters).
        case url([CommandPattern.GlobToken])
        /// A glob over the URL's host, lower case.
        case domain([CommandPattern.GlobToken])
    }

    /// The tools whose input a specifier can match, and what of it.
    static let commandTools: Set<String> = ["run_command"]
    static let pathTools: Set<String> = ["read_file", "write_file", "list_files", "search"]
    static let urlTools: Set<String> = ["fetch_url"]
    /// bosun's own tools besides the role's: they are named bare.
    static let workerTools: Set<String> = ["spawn_worker", "await_workers", "ask"]

    /// Claude Code's tool names and bosun's, for a hint when a rule uses the former.
    static let claudeToolNames = ["Bash": "run_command", "Read": "read_file", "Edit": "write_file", "Write": "write_file",
                                  "MultiEdit": "write_file", "WebFetch": "fetch_url", "Glob": "list_files", "LS": "list_files",
                                  "Grep": "search"]

    public init(_ text: String) throws(ApprovalRuleError) {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var name = trimmed
        var inner: String?
        if let open = trimmed.firstIndex(of: "(") {
            guard trimmed.hasSuffix(")") else {
                throw ApprovalRuleError("\"\(text)\" opens a ( that does not close at the end; write tool(specifier), e.g. run_command(npm test *)")
            }
            name = String(trimmed[..<open])
            inner = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        }
        tool = name
        try Self.checkTool(name, rule: text)
        guard let inner else { specifier = nil; return }
        guard !inner.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ApprovalRuleError("\"\(text)\" has an empty specifier; write \(name) alone to match every call of it")
        }
        if Self.commandTools.contains(name) {
            specifier = .command(try CommandPattern(inner))
        } else if Self.pathTools.contains(name) {
            specifier = .path(try Self.pathPattern(inner))
        } else if Self.urlTools.contains(name) {
            specifier = try Self.urlSpecifier(inner)
        } else if RoleConfig.isMCPToolPattern(name) {
            throw ApprovalRuleError("MCP tools are matched by name only: write \(name) (globs allowed, e.g. mcp__github__*) without (…)")
        } else {
            throw ApprovalRuleError("\(name) takes no specifier; write \(name) alone")
        }
    }

    private static func checkTool(_ name: String, rule: String) throws(ApprovalRuleError) {
        if RoleConfig.toolNames.contains(name) || workerTools.contains(name) || RoleConfig.isMCPToolPattern(name) { return }
        if name == "submit_result" {
            throw ApprovalRuleError("submit_result is how a worker hands back its result and cannot be ruled; limit the tools before it instead")
        }
        if let bosunName = claudeToolNames[name] {
            throw ApprovalRuleError("\(name) is Claude Code's name; bosun's tool is \(bosunName): write \(rule.replacingOccurrences(of: name, with: bosunName))")
        }
        let known = (RoleConfig.toolNames + workerTools.sorted()).joined(separator: ", ")
        throw ApprovalRuleError("unknown tool \"\(name)\" in \"\(rule)\"; rules name \(known), or MCP tools as mcp__<server>__<tool> (globs allowed)")
    }

    /// A path glob relative to the workspace root; a leading `/` anchors it there.
    private static func pathPattern(_ inner: String) throws(ApprovalRuleError) -> GlobPattern {
        if inner.hasPrefix("//") || inner.hasPrefix("~") {
            throw ApprovalRuleError("\(inner) is outside the workspace, and file tools never leave it; paths in rules are relative to the workspace root (src/**, /README.md)")
        }
        if inner.split(separator: "/").contains("..") {
            throw ApprovalRuleError("\(inner) has a .. component; paths in rules are relative to the workspace root and cannot climb out of it")
        }
        let anchored = inner.hasPrefix("/")
        do {
            return try GlobPattern(anchored ? String(inner.dropFirst()) : inner, wholePath: anchored)
        } catch {
            throw ApprovalRuleError("\(inner) is not a valid glob: \(error)")
        }
    }

    private static func urlSpecifier(_ inner: String) throws(ApprovalRuleError) -> Specifier {
        if inner.hasPrefix("domain:") {
            let host = inner.dropFirst("domain:".count).lowercased()
            guard !host.isEmpty, !host.contains("/") else {
                throw ApprovalRuleError("domain: takes a host name, e.g. domain:docs.rs or domain:*.example.com")
            }
            return .domain(urlGlob(host))
        }
        guard inner.contains("://") else {
            throw ApprovalRuleError("\(inner) is neither a URL pattern (https://docs.rs/*) nor a domain (domain:docs.rs)")
        }
        return .url(urlGlob(inner))
    }

    /// In a URL `?` starts the query, so only `*` is a wildcard.
    private static func urlGlob(_ text: String) -> [CommandPattern.GlobToken] {
        text.unicodeScalars.map { $0 == "*" ? .anyRun : .literal($0) }
    }

    /// Whether the rule names the tool `name`.
    func names(_ name: String) -> Bool {
        if tool == name { return true }
        guard RoleConfig.isMCPToolPattern(tool) else { return false }
        // `mcp__github` names every tool of the server, as in Claude Code.
        let pattern = tool.dropFirst(RoleConfig.mcpToolPrefix.count).contains("__") ? tool : tool + "__*"
        return RoleConfig.glob(pattern, matches: name)
    }

    /// Whether the rule matches `call`. `anyForm`: one of the names the call goes by is
    /// enough (deny and ask rules); otherwise every name that decides must match (allow).
    func matches(_ call: ApprovalCall, anyForm: Bool) -> Bool {
        guard names(call.tool) else { return false }
        guard let specifier else { return true }
        func check<T>(_ forms: ApprovalCall.Forms<T>, _ match: (T) -> Bool) -> Bool {
            anyForm ? forms.all.contains(where: match) : !forms.decisive.isEmpty && forms.decisive.allSatisfy(match)
        }
        switch (specifier, call.subject) {
        case (.command(let pattern), .command(let forms)):
            return check(forms, pattern.matches)
        case (.path(let glob), .path(let forms)):
            return check(forms, glob.matches)
        case (.url(let tokens), .url(let urls, _)):
            return check(urls) { CommandPattern.glob(tokens, matches: Array($0.unicodeScalars)) }
        case (.domain(let tokens), .url(_, let hosts)):
            return check(hosts) { CommandPattern.glob(tokens, matches: Array($0.unicodeScalars)) }
        default:
            return false
        }
    }
}
