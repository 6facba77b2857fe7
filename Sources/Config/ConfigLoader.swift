import Foundation

/// Finds, reads, merges and validates configuration.
///
/// Layers, lowest precedence first, each merged key by key over the ones before:
/// 1. built-in defaults;
/// 2. the user's `$XDG_CONFIG_HOME/bosun/config.yaml` (else `~/.config/bosun/config.yaml`);
/// 3. role files: Claude Code's user agents (`$CLAUDE_CONFIG_DIR/agents/*.md`, else
///    `~/.claude/agents/*.md`), its project agents `<workspace>/.claude/agents/*.md`, then
///    `<workspace>/.bosun/roles/*.md` (a role file defines its role whole, replacing a role of
///    the same name from the layers and files before it, as Claude Code's project agents
///    replace its user agents);
/// 4. the project config: `--config PATH`, else `$BOSUN_CONFIG`, else `<workspace>/.bosun/config.yaml`.
///
/// The workspace's own files (its `.claude/agents`, `.bosun/roles` and `.bosun/config.yaml`)
/// apply only when the user trusts their exact content (`WorkspaceTrust`); otherwise they are
/// left out and the config's `ignoredWorkspaceConfig` says which they were. Its `.mcp.json`
/// is read only where the config opts in, and used only trusted (`workspaceMCP`).
public enum ConfigLoader {
    public static func load(explicitPath: String?, workspaceRoot: String, environment: [String: String]) throws -> BosunConfig {
        var tree = try BuiltInConfig.tree()
        var sources = [BuiltInConfig.sourceName]
        var warnings: [String] = []

        if let user = userConfigPath(environment: environment), FileManager.default.fileExists(atPath: user) {
            tree = tree.merged(with: try readFile(user))
            sources.append(user)
        }

        let project = try projectConfigPath(explicitPath: explicitPath, workspaceRoot: workspaceRoot, environment: environment)
        let userAgents = userAgentsDirectory(environment: environment).map(MarkdownRoles.files(in:)) ?? []
        var workspace = try WorkspaceConfigFiles.read(root: workspaceRoot)
        workspace.files.removeAll { userAgents.contains($0.path) }  // a workspace that is the home directory
        let trusted = workspace.isEmpty || WorkspaceTrust.isTrusted(workspace, environment: environment)
        let applied = trusted ? workspace.files.map(\.path) : []

        let agentFiles = userAgents + applied.filter { $0.hasPrefix("\(workspaceRoot)/.claude/agents/") }
        let roleFiles = applied.filter { $0.hasPrefix("\(workspaceRoot)/.bosun/roles/") }
        var roles = tree["roles"] ?? .mapping([], at: SourceLocation(file: BuiltInConfig.sourceName, line: nil))
        for file in agentFiles + roleFiles {
            let text = workspace.text(of: file)
            let loaded = agentFiles.contains(file)
                ? try MarkdownRoles.loadClaudeAgent(file: file, text: text) : try MarkdownRoles.loadBosunRole(file: file, text: text)
            roles = roles.setting(loaded.name, to: loaded.node, keyLocation: loaded.nameLocation)
            warnings += loaded.warnings
            sources.append(file)
        }
        tree = tree.setting("roles", to: roles, keyLocation: roles.location)

        // A file the user named (`--config`, `$BOSUN_CONFIG`) is theirs; the workspace's own
        // applies only trusted, from the very text that was trusted.
        let named = [explicitPath, environment["BOSUN_CONFIG"]].contains { !($0 ?? "").isEmpty }
        if let project, named || applied.contains(project) {
            tree = tree.merged(with: try named ? readFile(project) : parseFile(workspace.text(of: project) ?? "", path: project))
            sources.append(project)
        }
        var config = try ConfigDecoder.decode(tree, sources: sources, warnings: warnings)
        config.ignoredWorkspaceConfig = trusted ? nil : workspace
        if config.mcp.workspaceServers { config.workspaceMCP = WorkspaceMCPServers.of(workspace, environment: environment) }
        return config
    }

    /// `$XDG_CONFIG_HOME/bosun/config.yaml`, else `$HOME/.config/bosun/config.yaml`.
    public static func userConfigPath(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return "\(xdg)/bosun/config.yaml" }
        if let home = environment["HOME"], !home.isEmpty { return "\(home)/.config/bosun/config.yaml" }
        return nil
    }

    /// Claude Code's user-level agents: `$CLAUDE_CONFIG_DIR/agents`, else `$HOME/.claude/agents`.
    public static func userAgentsDirectory(environment: [String: String]) -> String? {
        if let dir = environment["CLAUDE_CONFIG_DIR"], !dir.isEmpty { return "\(dir)/agents" }
        if let home = environment["HOME"], !home.isEmpty { return "\(home)/.claude/agents" }
        return nil
    }

    /// The one project-level file: `--config` and `$BOSUN_CONFIG` must exist when given; the
    /// workspace's `.bosun/config.yaml` is used when present.
    public static func projectConfigPath(explicitPath: String?, workspaceRoot: String, environment: [String: String]) throws -> String? {
        for (path, origin) in [(explicitPath, "--config"), (environment["BOSUN_CONFIG"], "BOSUN_CONFIG")] {
            guard let path, !path.isEmpty else { continue }
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            guard FileManager.default.fileExists(atPath: absolute) else {
                throw ConfigError(file: path, message: "the config file named by \(origin) does not exist; fix the path or create the file")
            }
            return absolute
        }
        let workspaceConfig = "\(workspaceRoot)/.bosun/config.yaml"
        return FileManager.default.fileExists(atPath: workspaceConfig) ? workspaceConfig : nil
    }

    /// One config file, parsed and checked for secrets (before any merge can hide where they were).
    static func readFile(_ path: String) throws -> ConfigNode {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, message: "cannot read this config file: \(error.localizedDescription)")
        }
        return try parseFile(text, path: path)
    }

    /// The text of one config file, parsed and checked for secrets.
    static func parseFile(_ text: String, path: String) throws -> ConfigNode {
        let node = try ConfigNode.parse(yaml: text, file: path)
        try SecretGuard.check(node)
        if node.isNull { return .mapping([], at: node.location) }
        guard case .mapping = node else {
            throw ConfigError(file: path, line: node.location.line, message: "a config file must be a mapping of sections (\(ConfigDecoder.topLevelKeys.joined(separator: ", ")))")
        }
        return node
    }
}
