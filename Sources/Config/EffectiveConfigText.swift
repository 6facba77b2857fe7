import Foundation
import Providers
import Yams

extension BosunConfig {
    /// The effective configuration as YAML, for `bosun config check`. No secret appears:
    /// each `apiKeyEnv` is annotated with whether its variable is set, never with its value,
    /// and an MCP server's env and header values show only as the `${VAR}`s they name.
    /// - Parameter fullPrompts: print role prompts whole; otherwise only their first line and length.
    public func effectiveYAML(environment: [String: String], fullPrompts: Bool = false) -> String {
        func scalar(_ text: String) -> Node { Node(text) }
        func number(_ value: Double) -> Node {
            Node(value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.10g", value), Tag(.float))
        }
        func int(_ value: Int) -> Node { Node(String(value), Tag(.int)) }
        func map(_ pairs: [(String, Node?)]) -> Node {
            .mapping(Node.Mapping(pairs.compactMap { key, value in value.map { (Node(key), $0) } }))
        }
        func list(_ items: [String]) -> Node { .sequence(Node.Sequence(items.map(scalar), Tag(.seq), .flow)) }

        let providerNodes = providers.keys.sorted().map { name -> (String, Node?) in
            let p = providers[name]!
            var keyNote: Node?
            if let variable = p.apiKeyEnv {
                let isSet = !(environment[variable] ?? "").isEmpty
                keyNote = scalar("\(variable) (\(isSet ? "set" : "NOT SET"))")
            }
            var urlNote: Node? = p.baseURL.map(scalar)
            if let variable = p.baseURLEnv {
                urlNote = scalar("\(environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? p.baseURL ?? "unset") (from \(variable) when set)")
            }
            return (name, map([
                ("kind", scalar(p.kind.rawValue)), ("baseURL", urlNote ?? scalar("\(p.kind.defaultBaseURL) (default)")),
                ("apiKeyEnv", keyNote),
                ("retry", map([("maxAttempts", int(p.retry.maxAttempts)), ("baseDelaySeconds", number(p.retry.baseDelay)),
                               ("maxDelaySeconds", number(p.retry.maxDelay)), ("maxTotalSeconds", number(p.retry.maxTotalSeconds))])),
            ]))
        }
        let modelNodes = models.keys.sorted().map { alias -> (String, Node?) in
            let m = models[alias]!
            return (alias, map([
                ("provider", scalar(m.provider)), ("id", scalar(m.id)),
                ("price", m.price.map { map([("input", number($0.input)), ("output", number($0.output)),
                                              ("cacheRead", number($0.cacheRead)), ("cacheWrite", number($0.cacheWrite))]) }),
                ("maxOutputTokens", m.maxOutputTokens.map(int)),
                ("promptCache", Node(String(m.promptCache), Tag(.bool))),
            ]))
        }
        let roleNodes = roles.keys.sorted().map { name -> (String, Node?) in
            let r = roles[name]!
            let granted = [("write", r.permissions.write), ("exec", r.permissions.exec), ("spawn", r.permissions.spawn)].filter(\.1).map(\.0)
            let firstLine = r.prompt.split(separator: "\n").first.map(String.init) ?? ""
            let prompt = fullPrompts ? r.prompt : "\(firstLine.prefix(80))\(firstLine.count > 80 ? "…" : "") (\(r.prompt.count) characters; --full-prompts shows all)"
            return (name, map([
                ("description", scalar(r.description)), ("model", scalar(r.model)), ("tools", list(r.tools)),
                ("permissions", list(granted)), ("timeoutSeconds", number(r.timeoutSeconds)), ("maxSteps", int(r.maxSteps)),
                ("maxTokens", int(r.maxTokens)), ("maxCostUSD", number(r.maxCostUSD)), ("prompt", scalar(prompt)),
                ("isolation", scalar(r.isolation.rawValue)), ("approval", approvalNode(r.approval)),
                ("source", scalar(r.source)),
            ]))
        }
        let mcpServerNodes = sessionMCPServers.map { entry -> (String, Node?) in
            let secret = { (value: String) in scalar(MCPServerConfig.redacted(value, environment: environment)) }
            switch entry.server.transport {
            case .stdio(let command, let args, let env, let cwd):
                return (entry.server.name, map([
                    ("type", scalar("stdio")), ("command", scalar(command)), ("args", list(args)),
                    ("env", env.isEmpty ? nil : map(env.keys.sorted().map { ($0, secret(env[$0]!)) })),
                    ("cwd", cwd.map(scalar)), ("source", scalar(entry.source)),
                ]))
            case .http(let url, let headers):
                return (entry.server.name, map([
                    ("type", scalar("http")), ("url", scalar(url)),
                    ("headers", headers.isEmpty ? nil : map(headers.keys.sorted().map { ($0, secret(headers[$0]!)) })),
                    ("source", scalar(entry.source)),
                ]))
            }
        }
        /// A role's rules in order of precedence (deny, ask, allow), then what the rest gets.
        func approvalNode(_ rules: ApprovalRules) -> Node? {
            guard !rules.isEmpty else { return nil }
            let lists = rules.byPrecedence.map { ($0.decision.rawValue, $0.patterns.isEmpty ? nil : list($0.patterns)) }
            let rest = rules.otherwise == .allow ? "allow (as the role's tools and permissions say)" : rules.otherwise.rawValue
            return map(lists + [("default", scalar(rest))])
        }
        let t = tools
        let tree = map([
            ("providers", map(providerNodes)),
            ("models", map(modelNodes)),
            ("tiers", map(tiers.keys.sorted().map { ($0, scalar(tiers[$0]!)) })),
            ("session", map([("maxConcurrentWorkers", int(session.maxConcurrentWorkers)),
                             ("maxCostUSD", session.maxCostUSD.map(number) ?? scalar("none")),
                             ("maxQueuedWorkers", int(session.maxQueuedWorkers)), ("maxSpawnDepth", int(session.maxSpawnDepth))])),
            ("roles", map(roleNodes)),
            ("store", map([("path", scalar(store.path ?? "default ($XDG_STATE_HOME/bosun/bosun.sqlite or ~/.local/state/bosun/bosun.sqlite)"))])),
            ("tools", map([
                ("allowPrivateAddresses", Node(String(t.allowPrivateAddresses), Tag(.bool))), ("fetchMaxBytes", int(t.fetchMaxBytes)),
                ("fetchTimeoutSeconds", number(t.fetchTimeoutSeconds)), ("fetchMaxRedirects", int(t.fetchMaxRedirects)),
                ("readMaxBytes", int(t.readMaxBytes)), ("writeMaxBytes", int(t.writeMaxBytes)), ("listMaxEntries", int(t.listMaxEntries)),
                ("searchMaxMatches", int(t.searchMaxMatches)), ("searchMaxFileBytes", int(t.searchMaxFileBytes)),
                ("commandTimeoutSeconds", number(t.commandTimeoutSeconds)), ("commandOutputMaxBytes", int(t.commandOutputMaxBytes)),
                ("sandbox", scalar(t.sandbox.rawValue)), ("claimLeaseSeconds", number(t.claimLeaseSeconds)),
                ("allowCredentialFiles", Node(String(t.allowCredentialFiles), Tag(.bool))),
                ("protectedPaths", list(t.protectedPaths)),
                ("layerMaxBytes", int(t.layerMaxBytes)), ("layerMaxFiles", int(t.layerMaxFiles)),
            ])),
            ("mcpServers", map(mcpServerNodes)),
            ("mcp", map([
                ("workspaceServers", scalar(workspaceMCPSummary)), ("startTimeoutSeconds", number(mcp.startTimeoutSeconds)),
                ("callTimeoutSeconds", number(mcp.callTimeoutSeconds)), ("maxResultBytes", int(mcp.maxResultBytes)),
            ])),
        ])
        let body = (try? Yams.serialize(node: tree, width: -1, allowUnicode: true)) ?? ""
        let header = "# Effective bosun configuration, merged from (lowest precedence first):\n"
            + sources.map { "#   \($0)\n" }.joined()
            + warnings.map { "# warning: \($0)\n" }.joined()
        return header + body
    }
}
