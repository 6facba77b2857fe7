import Foundation
import Providers

/// The effective configuration: built-in defaults with every config file and role file
/// merged over them (see `ConfigLoader`).
public struct BosunConfig: Sendable {
    public var providers: [String: ProviderConfig]
    /// Model aliases (`fast`, `smart`).
    public var models: [String: ModelConfig]
    /// Tier name (`orchestrator`, `mid`, `worker`) to model alias.
    public var tiers: [String: String]
    public var session: SessionLimits
    public var roles: [String: RoleConfig]
    public var store: StoreConfig
    public var tools: ToolPolicy
    /// The files merged, lowest precedence first (`built-in` first).
    public var sources: [String]
    /// `mcpServers` and `mcp`: the MCP servers workers may use, and how.
    public var mcp = MCPSettings()
    /// Things worth telling the user that do not stop bosun (a Claude Code agent tool bosun has no equivalent for).
    public var warnings: [String]
    /// The workspace's own config and role files, when they were left out because the user
    /// has not trusted their content (`WorkspaceTrust.notice` says so and how to trust it).
    public var ignoredWorkspaceConfig: WorkspaceConfigFiles?
    /// The workspace's `.mcp.json` where the config opts in to it (`mcp.workspaceServers`);
    /// nil when it does not, or the workspace has none.
    public var workspaceMCP: WorkspaceMCPServers?

    public init(providers: [String: ProviderConfig], models: [String: ModelConfig], tiers: [String: String],
                session: SessionLimits, roles: [String: RoleConfig], store: StoreConfig, tools: ToolPolicy,
                sources: [String], warnings: [String] = []) {
        self.providers = providers
        self.models = models
        self.tiers = tiers
        self.session = session
        self.roles = roles
        self.store = store
        self.tools = tools
        self.sources = sources
        self.warnings = warnings
    }

    /// bosun's defaults alone, as if no config file existed.
    public static let builtIn: BosunConfig = {
        do {
            return try ConfigDecoder.decode(BuiltInConfig.tree(), sources: [BuiltInConfig.sourceName])
        } catch {
            fatalError("bosun's built-in configuration is invalid: \(error)")
        }
    }()

    /// The role called `name`, or an error listing the configured ones.
    public func role(named name: String) throws -> RoleConfig {
        guard let role = roles[name] else { throw ConfigError.unknownRole(name, known: Array(roles.keys)) }
        return role
    }

    /// A model alias, or a tier name standing for one, down to provider and model id.
    public func resolveModel(_ aliasOrTier: String) throws -> ResolvedModel {
        let alias = models[aliasOrTier] != nil ? aliasOrTier : tiers[aliasOrTier]
        guard let alias, let model = models[alias] else {
            let known = "model aliases: \(models.keys.sorted().joined(separator: ", ")); tiers: \(tiers.keys.sorted().joined(separator: ", "))"
            if let alias = tiers[aliasOrTier] {
                throw ConfigError(key: "tiers.\(aliasOrTier)", message: "tier \"\(aliasOrTier)\" names model alias \"\(alias)\", which is not configured; \(known)")
            }
            throw ConfigError(key: "models", message: "unknown model or tier \"\(aliasOrTier)\"; \(known)")
        }
        return ResolvedModel(alias: alias, providerName: model.provider, modelId: model.id,
                             price: model.price ?? PriceTable.price(for: model.id),
                             maxOutputTokens: model.maxOutputTokens, promptCache: model.promptCache)
    }

    /// Everything needed to call provider `name`: its URL and its API key, read from the
    /// environment variable the config names.
    public func endpoint(forProvider name: String, environment: [String: String]) throws -> ProviderEndpoint {
        guard let provider = providers[name] else {
            throw ConfigError(key: "providers", message: "unknown provider \"\(name)\"; configured providers: \(providers.keys.sorted().joined(separator: ", "))")
        }
        var baseURL = provider.baseURL
        if let variable = provider.baseURLEnv, let value = environment[variable], !value.isEmpty {
            baseURL = value
        } else if baseURL == nil, let variable = provider.baseURLEnv {
            throw ConfigError(key: "providers.\(name).baseURL",
                              message: "provider \"\(name)\" has no address: set the environment variable \(variable) or providers.\(name).baseURL"
                                + Self.environmentHint)
        }
        var apiKey: String?
        if let variable = provider.apiKeyEnv {
            // Whitespace around a key is never part of it (`apiKeyWhitespaceWarnings` says so).
            guard let value = environment[variable]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
                throw ConfigError(key: "providers.\(name).apiKeyEnv",
                                  message: "provider \"\(name)\" needs an API key: set the environment variable \(variable) (named by providers.\(name).apiKeyEnv)"
                                    + Self.environmentHint + ". To try bosun without a key, run it as `bosun serve --mock`")
            }
            apiKey = value
        }
        return ProviderEndpoint(name: name, kind: provider.kind, baseURL: baseURL ?? provider.kind.defaultBaseURL,
                                apiKey: apiKey, retry: provider.retry)
    }

    /// Where a variable must be set to reach bosun: MCP clients start their servers with an
    /// environment of their own, not the shell's, so an exported key is not seen there.
    static let environmentHint = """
        . For an MCP client (Claude Code, Claude Desktop, Cursor, …) put it in the "env" of bosun's entry in the \
        client's MCP server config: clients do not pass your shell's environment to the servers they start
        """

    /// The values of every configured API key variable that is set, and every MCP server's
    /// env and header values, so logs and the trace store can redact them.
    public func secretValues(environment: [String: String]) -> [String] {
        let values = (providers.values.compactMap { $0.apiKeyEnv }.compactMap { environment[$0] }
            + mcp.servers.values.flatMap { $0.secretValues(environment: environment) }).filter { !$0.isEmpty }
        return Array(Set(values)).sorted()
    }

    /// One line for each configured API key variable whose value has whitespace around it (a
    /// key pasted with its newline): bosun sends the key trimmed, and says so, because a key
    /// that works only by accident of trimming breaks in other tools.
    public func apiKeyWhitespaceWarnings(environment: [String: String]) -> [String] {
        Set(providers.values.compactMap { $0.apiKeyEnv }).sorted().compactMap { variable in
            guard let value = environment[variable],
                  value != value.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
            return "the value of \(variable) has whitespace or a newline around it; bosun uses it trimmed. Remove it from the variable."
        }
    }

    /// The roles as the `roles` method and `bosun roles` show them, sorted by name.
    public func roleSummaries() -> [RoleSummary] {
        roles.values.sorted { $0.name < $1.name }.map { RoleSummary($0) }
    }
}
