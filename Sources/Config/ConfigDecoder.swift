import Foundation
import Providers

/// Turns a merged `ConfigNode` tree into a validated `BosunConfig`. Every field is checked
/// for type and range, and cross-references (a model's provider, a tier's alias, a role's
/// model and tools) are checked too, each error pointing at the file and line that set it.
enum ConfigDecoder {
    static let topLevelKeys = ["providers", "models", "tiers", "session", "roles", "store", "tools", "mcpServers", "mcp"]
    static let tierNames = ["orchestrator", "mid", "worker"]

    static func decode(_ tree: ConfigNode, sources: [String], warnings: [String] = []) throws -> BosunConfig {
        let top = try ConfigFields(tree, path: "", allowedKeys: topLevelKeys)

        var providers: [String: ProviderConfig] = [:]
        for entry in try top.entries("providers") {
            providers[entry.key] = try provider(entry.value, path: "providers.\(entry.key)")
        }
        var models: [String: ModelConfig] = [:]
        for entry in try top.entries("models") {
            let path = "models.\(entry.key)"
            let decoded = try model(entry.value, path: path)
            guard providers[decoded.provider] != nil else {
                throw ConfigFields.locatedError(entry.value["provider"] ?? entry.value, key: "\(path).provider",
                                                "unknown provider \"\(decoded.provider)\"; configured providers: \(providers.keys.sorted().joined(separator: ", "))")
            }
            models[entry.key] = decoded
        }
        var tiers: [String: String] = [:]
        for entry in try top.entries("tiers") {
            let path = "tiers.\(entry.key)"
            guard case .scalar(let alias, _, _) = entry.value else {
                throw ConfigFields.locatedError(entry.value, key: path, "expected a model alias, got \(entry.value.summary)")
            }
            guard models[alias] != nil else {
                throw ConfigFields.locatedError(entry.value, key: path,
                                                "unknown model alias \"\(alias)\"; configured aliases: \(models.keys.sorted().joined(separator: ", "))")
            }
            tiers[entry.key] = alias
        }

        var roles: [String: RoleConfig] = [:]
        for entry in try top.entries("roles") {
            let decoded = try role(named: entry.key, entry.value, keyLocation: entry.keyLocation)
            let modelNode = entry.value["model"] ?? entry.value
            if models[decoded.model] == nil && tiers[decoded.model] == nil {
                throw ConfigFields.locatedError(modelNode, key: "roles.\(entry.key).model",
                                                "unknown model alias or tier \"\(decoded.model)\"; aliases: \(models.keys.sorted().joined(separator: ", ")); tiers: \(tiers.keys.sorted().joined(separator: ", "))")
            }
            for (index, fallback) in decoded.fallbackModels.enumerated() where models[fallback] == nil && tiers[fallback] == nil {
                throw ConfigFields.locatedError(entry.value["fallbackModels"] ?? entry.value, key: "roles.\(entry.key).fallbackModels[\(index)]",
                                                "unknown model alias or tier \"\(fallback)\"; aliases: \(models.keys.sorted().joined(separator: ", ")); tiers: \(tiers.keys.sorted().joined(separator: ", "))")
            }
            roles[entry.key] = decoded
        }

        var config = BosunConfig(providers: providers, models: models, tiers: tiers,
                                 session: try session(tree["session"], path: "session"), roles: roles,
                                 store: try store(tree["store"], path: "store"), tools: try toolPolicy(tree["tools"], path: "tools"),
                                 sources: sources, warnings: warnings)
        config.mcp = try mcpSettings(top)
        return config
    }

    private static func provider(_ node: ConfigNode, path: String) throws -> ProviderConfig {
        let fields = try ConfigFields(node, path: path, allowedKeys: ["kind", "baseURL", "baseURLEnv", "apiKeyEnv", "retry"])
        let kinds = ProviderKind.allCases.map(\.rawValue)
        guard let kindName = try fields.choice("kind", kinds), let kind = ProviderKind(rawValue: kindName) else {
            throw fields.error("kind", "every provider needs a kind: one of \(kinds.joined(separator: ", "))")
        }
        var config = ProviderConfig(kind: kind, baseURL: try fields.string("baseURL"),
                                    baseURLEnv: try environmentName(fields, "baseURLEnv"),
                                    apiKeyEnv: try environmentName(fields, "apiKeyEnv"))
        if let url = config.baseURL {
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
                throw fields.error("baseURL", "expected an http:// or https:// URL, got \"\(url)\"")
            }
        }
        if let retryNode = fields.value("retry") {
            let retry = try ConfigFields(retryNode, path: "\(path).retry", allowedKeys: ["maxAttempts", "baseDelaySeconds", "maxDelaySeconds", "maxTotalSeconds"])
            var policy = RetryPolicy()
            if let value = try retry.int("maxAttempts") { policy.maxAttempts = value }
            if let value = try retry.seconds("baseDelaySeconds") { policy.baseDelay = value }
            if let value = try retry.seconds("maxDelaySeconds") { policy.maxDelay = value }
            if let value = try retry.seconds("maxTotalSeconds") { policy.maxTotalSeconds = value }
            config.retry = policy
        }
        return config
    }

    /// An environment variable name; refuses what looks like the secret itself.
    private static func environmentName(_ fields: ConfigFields, _ key: String) throws -> String? {
        guard let name = try fields.string(key) else { return nil }
        guard name.isEnvironmentVariableName else {
            throw fields.error(key, "expected the name of an environment variable (like ANTHROPIC_API_KEY), not a value; put the key itself in that variable, never in a config file")
        }
        return name
    }

    private static func model(_ node: ConfigNode, path: String) throws -> ModelConfig {
        let fields = try ConfigFields(node, path: path, allowedKeys: ["provider", "id", "price", "maxOutputTokens", "promptCache"])
        guard let provider = try fields.string("provider") else { throw fields.error("provider", "every model needs a provider") }
        guard let id = try fields.string("id") else { throw fields.error("id", "every model needs the provider's model id") }
        var price: ModelPrice?
        if let priceNode = fields.value("price") {
            let p = try ConfigFields(priceNode, path: "\(path).price", allowedKeys: ["input", "output", "cacheRead", "cacheWrite"])
            guard let input = try p.number("input", positive: false), let output = try p.number("output", positive: false) else {
                throw p.error("input", "a price needs input and output, in USD per million tokens")
            }
            price = ModelPrice(input: input, output: output, cacheRead: try p.number("cacheRead", positive: false),
                               cacheWrite: try p.number("cacheWrite", positive: false))
        }
        return ModelConfig(provider: provider, id: id, price: price, maxOutputTokens: try fields.int("maxOutputTokens"),
                           promptCache: try fields.bool("promptCache") ?? true)
    }

    static let roleKeys = ["description", "model", "tools", "permissions", "timeoutSeconds", "maxSteps", "maxTokens",
                           "maxCostUSD", "prompt", "stallRepeats", "retry", "fallbackModels", "isolation", "sandbox", "approval"]

    private static func role(named name: String, _ node: ConfigNode, keyLocation: SourceLocation) throws -> RoleConfig {
        let path = "roles.\(name)"
        let fields = try ConfigFields(node, path: path, allowedKeys: roleKeys)
        let origin = keyLocation.file == BuiltInConfig.sourceName
            ? keyLocation.file : "\(keyLocation.file)\(keyLocation.line.map { ":\($0)" } ?? "")"
        var role = RoleConfig(name: name, source: origin)
        if let value = try fields.string("description") { role.description = value }
        if let value = try fields.string("model") { role.model = value }
        if let value = try fields.seconds("timeoutSeconds") { role.timeoutSeconds = value }
        if let value = try fields.int("maxSteps") { role.maxSteps = value }
        if let value = try fields.int("maxTokens") { role.maxTokens = value }
        if let value = try fields.number("maxCostUSD") { role.maxCostUSD = value }
        if let value = try fields.string("prompt") { role.prompt = value }
        if let value = try fields.int("stallRepeats", minimum: 0) { role.stallRepeats = value }
        if let value = try fields.stringList("fallbackModels") { role.fallbackModels = value }
        if let value = try fields.choice("isolation", RoleIsolation.allCases.map(\.rawValue)) {
            role.isolation = RoleIsolation(rawValue: value) ?? .layer
        }
        if let retryNode = fields.value("retry") { role.retry = try retry(retryNode, path: "\(path).retry") }
        if let sandboxNode = fields.value("sandbox") { role.sandbox = try sandbox(sandboxNode, path: "\(path).sandbox") }
        if let approvalNode = fields.value("approval") {
            role.approval = try approval(approvalNode, path: "\(path).approval", role: name)
        }
        if let permissionsNode = fields.value("permissions") {
            role.permissions = try permissions(permissionsNode, path: "\(path).permissions")
        }
        if let tools = try fields.stringList("tools") {
            for tool in tools where !RoleConfig.toolNames.contains(tool) && !RoleConfig.isMCPToolPattern(tool) {
                throw fields.error("tools", "unknown tool \"\(tool)\"; known tools: \(RoleConfig.toolNames.joined(separator: ", ")), and MCP tools as mcp__<server>__<tool> (globs allowed: mcp__github__*)")
            }
            if tools.contains("write_file") && !role.permissions.write {
                throw fields.error("tools", "write_file needs the write permission: add `permissions: [write]` to this role")
            }
            if tools.contains("run_command") && !role.permissions.exec {
                throw fields.error("tools", "run_command needs the exec permission: add `permissions: [exec]` to this role")
            }
            role.tools = tools
        }
        return role
    }

    /// `approval: {allow: [...], ask: [...], deny: [...], default: allow}`; a pattern that
    /// cannot be used is an error at its own line, naming the role and the pattern.
    private static func approval(_ node: ConfigNode, path: String, role: String) throws -> ApprovalRules {
        let fields = try ConfigFields(node, path: path, allowedKeys: ["allow", "ask", "deny", "default"])
        var rules = ApprovalRules(origin: "role \(role)")
        if let value = try fields.choice("default", ApprovalDecision.allCases.map(\.rawValue)) {
            rules.otherwise = ApprovalDecision(rawValue: value) ?? .allow
        }
        for decision in ApprovalDecision.allCases {
            guard let listNode = fields.value(decision.rawValue) else { continue }
            let items: [ConfigNode]
            if case .sequence(let nodes, _) = listNode { items = nodes } else { items = [listNode] }
            var patterns: [String] = []
            for (index, item) in items.enumerated() {
                let key = "\(path).\(decision.rawValue)[\(index)]"
                guard case .scalar(let pattern, _, _) = item else {
                    throw ConfigFields.locatedError(item, key: key, "expected a pattern such as run_command(npm test *), got \(item.summary)")
                }
                do {
                    _ = try ApprovalRule(pattern)
                } catch {
                    throw ConfigFields.locatedError(item, key: key, "role \(role): \(decision.rawValue) pattern \"\(pattern)\": \(error.message)")
                }
                patterns.append(pattern)
            }
            switch decision {
            case .allow: rules.allow = patterns
            case .ask: rules.ask = patterns
            case .deny: rules.deny = patterns
            }
        }
        return rules
    }

    private static func sandbox(_ node: ConfigNode, path: String) throws -> SandboxOverrides {
        let fields = try ConfigFields(node, path: path, allowedKeys: SandboxOverrides.keys)
        return SandboxOverrides(tmpfsMB: try fields.int("tmpfsMB", minimum: 1), maxProcesses: try fields.int("maxProcesses", minimum: 1),
                                memoryMB: try fields.int("memoryMB", minimum: 1), maxOpenFiles: try fields.int("maxOpenFiles", minimum: 16),
                                maxFileMB: try fields.int("maxFileMB", minimum: 1))
    }

    private static func retry(_ node: ConfigNode, path: String) throws -> RetrySetting {
        let fields = try ConfigFields(node, path: path, allowedKeys: ["attempts", "on"])
        var setting = RetrySetting(attempts: try fields.int("attempts", minimum: 0) ?? 1)
        if let reasons = try fields.stringList("on") {
            for reason in reasons where !RetrySetting.reasons.contains(reason) {
                throw fields.error("on", "unknown reason \"\(reason)\"; a retry can follow: \(RetrySetting.reasons.joined(separator: ", "))")
            }
            setting.on = reasons
        }
        return setting
    }

    /// Either a list (`[write, exec]`) or a mapping (`{write: true}`).
    private static func permissions(_ node: ConfigNode, path: String) throws -> ToolPermissions {
        let names = ["write", "exec", "spawn"]
        if case .sequence(let items, _) = node {
            var granted = ToolPermissions()
            for item in items {
                guard case .scalar(let name, _, _) = item, names.contains(name) else {
                    throw ConfigFields.locatedError(item, key: path, "expected permission names (\(names.joined(separator: ", "))), got \(item.summary)")
                }
                if name == "write" { granted.write = true }
                if name == "exec" { granted.exec = true }
                if name == "spawn" { granted.spawn = true }
            }
            return granted
        }
        let fields = try ConfigFields(node, path: path, allowedKeys: names)
        return ToolPermissions(write: try fields.bool("write") ?? false, exec: try fields.bool("exec") ?? false,
                               spawn: try fields.bool("spawn") ?? false)
    }

    private static func session(_ node: ConfigNode?, path: String) throws -> SessionLimits {
        var limits = SessionLimits()
        guard let node, !node.isNull else { return limits }
        let fields = try ConfigFields(node, path: path, allowedKeys: ["maxConcurrentWorkers", "maxCostUSD", "maxQueuedWorkers", "maxSpawnDepth"])
        if let value = try fields.int("maxConcurrentWorkers") { limits.maxConcurrentWorkers = value }
        limits.maxCostUSD = try fields.number("maxCostUSD")
        if let value = try fields.int("maxQueuedWorkers") { limits.maxQueuedWorkers = value }
        if let value = try fields.int("maxSpawnDepth", minimum: 0) { limits.maxSpawnDepth = value }
        return limits
    }

    private static func store(_ node: ConfigNode?, path: String) throws -> StoreConfig {
        guard let node, !node.isNull else { return StoreConfig() }
        let fields = try ConfigFields(node, path: path, allowedKeys: ["path"])
        return StoreConfig(path: try fields.string("path"))
    }

    static let toolPolicyKeys = ["allowPrivateAddresses", "fetchMaxBytes", "fetchTimeoutSeconds", "fetchMaxRedirects",
                                 "readMaxBytes", "writeMaxBytes", "listMaxEntries", "searchMaxMatches", "searchMaxFileBytes",
                                 "commandTimeoutSeconds", "commandOutputMaxBytes", "sandbox", "claimLeaseSeconds", "allowCredentialFiles",
                                 "protectedPaths", "layerMaxBytes", "layerMaxFiles"]

    private static func toolPolicy(_ node: ConfigNode?, path: String) throws -> ToolPolicy {
        var policy = ToolPolicy()
        guard let node, !node.isNull else { return policy }
        let f = try ConfigFields(node, path: path, allowedKeys: toolPolicyKeys)
        if let v = try f.bool("allowPrivateAddresses") { policy.allowPrivateAddresses = v }
        if let v = try f.int("fetchMaxBytes") { policy.fetchMaxBytes = v }
        if let v = try f.seconds("fetchTimeoutSeconds") { policy.fetchTimeoutSeconds = v }
        if let v = try f.int("fetchMaxRedirects", minimum: 0) { policy.fetchMaxRedirects = v }
        if let v = try f.int("readMaxBytes") { policy.readMaxBytes = v }
        if let v = try f.int("writeMaxBytes") { policy.writeMaxBytes = v }
        if let v = try f.int("listMaxEntries") { policy.listMaxEntries = v }
        if let v = try f.int("searchMaxMatches") { policy.searchMaxMatches = v }
        if let v = try f.int("searchMaxFileBytes") { policy.searchMaxFileBytes = v }
        if let v = try f.seconds("commandTimeoutSeconds") { policy.commandTimeoutSeconds = v }
        if let v = try f.int("commandOutputMaxBytes") { policy.commandOutputMaxBytes = v }
        if let v = try f.choice("sandbox", SandboxMode.allCases.map(\.rawValue)) { policy.sandbox = SandboxMode(rawValue: v) ?? .require }
        if let v = try f.seconds("claimLeaseSeconds") { policy.claimLeaseSeconds = v }
        if let v = try f.bool("allowCredentialFiles") { policy.allowCredentialFiles = v }
        if let v = try f.stringList("protectedPaths") {
            for path in v where path.hasPrefix("/") || path.split(separator: "/").contains("..") || path.isEmpty {
                throw f.error("protectedPaths", "\"\(path)\" must be a path relative to the workspace root, without ..")
            }
            policy.protectedPaths = v
        }
        if let v = try f.int("layerMaxBytes") { policy.layerMaxBytes = v }
        if let v = try f.int("layerMaxFiles") { policy.layerMaxFiles = v }
        return policy
    }
}

extension ConfigFields {
    static func locatedError(_ node: ConfigNode, key: String, _ message: String) -> ConfigError {
        ConfigError(file: node.location.file, line: node.location.line, key: key, message: message)
    }
}
