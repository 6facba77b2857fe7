import Foundation

/// Roles written as Markdown files with YAML front matter: bosun's own
/// (`.bosun/roles/*.md`, front matter holds any role key) and Claude Code's subagents
/// (`.claude/agents/*.md`: `name`, `description`, `tools`, `model`). The body is the prompt.
enum MarkdownRoles {
    struct Loaded {
        var name: String
        /// The role as a config mapping, every value located in the Markdown file.
        var node: ConfigNode
        var nameLocation: SourceLocation
        var warnings: [String]
    }

    /// Claude Code's tool names and the bosun tools (and permission) they stand for.
    static let claudeToolMap: [String: (tool: String, permission: String?)] = [
        "Read": ("read_file", nil), "Glob": ("list_files", nil), "LS": ("list_files", nil), "Grep": ("search", nil),
        "WebFetch": ("fetch_url", nil), "Bash": ("run_command", "exec"),
        "Write": ("write_file", "write"), "Edit": ("write_file", "write"), "MultiEdit": ("write_file", "write"),
        "NotebookEdit": ("write_file", "write"),
    ]

    /// Claude Code's model shorthands, mapped to bosun tiers.
    static let claudeModelMap = ["haiku": "worker", "sonnet": "mid", "opus": "orchestrator", "inherit": "orchestrator"]

    /// A Claude model name (`sonnet`, `claude-sonnet-4-5`) to the bosun tier of its family;
    /// anything else is kept as a bosun alias or tier name.
    static func claudeTier(forModel model: String) -> String {
        if let tier = claudeModelMap[model] { return tier }
        return claudeModelMap.first { model.lowercased().contains($0.key) }?.value ?? model
    }

    /// The `*.md` files of `directory`, sorted by name; none when it does not exist.
    static func files(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".md") }.sorted().map { "\(directory)/\($0)" }
    }

    /// Splits `---` front matter from the body; the front matter's first line is line 2 of the file.
    static func splitFrontMatter(_ text: String, file: String) throws -> (frontMatter: String, body: String) {
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        guard lines.first?.trimmingCharacters(in: .whitespaces) == "---" else {
            throw ConfigError(file: file, line: 1, message: "a role file must start with YAML front matter between two `---` lines")
        }
        guard let end = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else {
            throw ConfigError(file: file, line: 1, message: "the front matter opened on line 1 is never closed with a `---` line")
        }
        let body = lines[(end + 1)...].joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        return (lines[1..<end].joined(separator: "\n"), body)
    }

    /// A `.bosun/roles/*.md` file: front matter with `name` (default: the file name) and any role key.
    static func loadBosunRole(file: String, text: String? = nil) throws -> Loaded {
        let (front, body, node) = try parse(file: file, text: text)
        guard case .mapping(var entries, let at) = node else {
            throw ConfigError(file: file, line: 2, message: "the front matter must be a mapping of role keys")
        }
        let name = try roleName(entries, file: file)
        entries.removeAll { $0.key == "name" }
        if !body.isEmpty && !entries.contains(where: { $0.key == "prompt" }) {
            entries.append(ConfigEntry(key: "prompt", keyLocation: at, value: .scalar(body, plain: false, at: bodyLocation(front, file))))
        }
        return Loaded(name: name.text, node: .mapping(entries, at: at), nameLocation: name.at, warnings: [])
    }

    /// A Claude Code subagent file, translated to a bosun role.
    static func loadClaudeAgent(file: String, text: String? = nil) throws -> Loaded {
        let (front, body, node) = try parse(file: file, text: text)
        // Claude Code grows new agent keys; bosun uses four and notes the ones it does not know.
        let used = ["name", "description", "tools", "model"]
        let understood = used + ["color", "permissionMode"]
        let fields = try ConfigFields(node, path: "", allowedKeys: understood + node.entries.map(\.key).filter { !understood.contains($0) })
        let name = try roleName(node.entries, file: file)
        var warnings = node.entries.filter { !understood.contains($0.key) }
            .map { "\(file):\($0.keyLocation.line ?? 1): Claude Code key \($0.key) has no bosun equivalent and is ignored" }
        let at = node.location
        var entries: [ConfigEntry] = []
        func add(_ key: String, _ value: ConfigNode) { entries.append(ConfigEntry(key: key, keyLocation: value.location, value: value)) }

        if let description = fields.value("description") { add("description", description) }
        if let modelNode = fields.value("model"), let model = try fields.string("model") {
            add("model", .scalar(claudeTier(forModel: model), plain: false, at: modelNode.location))
        }
        if let toolsNode = fields.value("tools") {
            let listed = try fields.stringList("tools") ?? []
            let names = listed.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var tools: [String] = []
            var permissions: [String] = []
            for claudeName in names {
                // MCP tools keep Claude Code's names: bosun's workers use the same servers.
                if RoleConfig.isMCPToolPattern(claudeName) {
                    if !tools.contains(claudeName) { tools.append(claudeName) }
                    continue
                }
                guard let mapped = claudeToolMap[claudeName] else {
                    warnings.append("\(file): tool \(claudeName) has no bosun equivalent and is left out")
                    continue
                }
                if !tools.contains(mapped.tool) { tools.append(mapped.tool) }
                if let permission = mapped.permission, !permissions.contains(permission) { permissions.append(permission) }
            }
            add("tools", .sequence(tools.map { .scalar($0, plain: false, at: toolsNode.location) }, at: toolsNode.location))
            add("permissions", .sequence(permissions.map { .scalar($0, plain: false, at: toolsNode.location) }, at: toolsNode.location))
        }
        if !body.isEmpty { add("prompt", .scalar(body, plain: false, at: bodyLocation(front, file))) }
        return Loaded(name: name.text, node: .mapping(entries, at: at), nameLocation: name.at, warnings: warnings)
    }

    /// `text` is the file's content when the caller read it already (and checked it is trusted).
    private static func parse(file: String, text given: String?) throws -> (String, String, ConfigNode) {
        let text: String
        do {
            text = try given ?? String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigError(file: file, message: "cannot read this role file: \(error.localizedDescription)")
        }
        let (front, body) = try splitFrontMatter(text, file: file)
        let node = try ConfigNode.parse(yaml: front, file: file, lineOffset: 1)
        try SecretGuard.check(node)
        return (front, body, node)
    }

    private static func roleName(_ entries: [ConfigEntry], file: String) throws -> (text: String, at: SourceLocation) {
        if let entry = entries.first(where: { $0.key == "name" }) {
            guard case .scalar(let name, _, let at) = entry.value,
                  name.isRoleName else {
                throw ConfigFields.locatedError(entry.value, key: "name", "expected a role name of letters, digits, `-`, `_` and `.`, got \(entry.value.summary)")
            }
            return (name, at)
        }
        let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        return (stem, SourceLocation(file: file, line: 1))
    }

    /// The body starts after the front matter and its two fences.
    private static func bodyLocation(_ front: String, _ file: String) -> SourceLocation {
        SourceLocation(file: file, line: front.components(separatedBy: "\n").count + 3)
    }
}

extension ConfigNode {
    var entries: [ConfigEntry] {
        if case .mapping(let entries, _) = self { return entries }
        return []
    }
}
