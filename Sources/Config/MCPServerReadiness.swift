import Foundation

/// What `bosun config check` says of the MCP servers a session would have: each server with
/// where it comes from and its secrets redacted, and the problems found without starting it.
extension BosunConfig {
    /// One server a session would start, and where it is configured.
    public struct SessionMCPServer: Sendable {
        public var server: MCPServerConfig
        /// `mcpServers` in the config, or the path of the workspace's `.mcp.json`.
        public var source: String
    }

    /// The config's `mcpServers`, then the trusted `.mcp.json`'s servers that none of them
    /// shadows, by name (an ACP client may add its own per session).
    public var sessionMCPServers: [SessionMCPServer] {
        var servers = mcp.servers.mapValues { SessionMCPServer(server: $0, source: "mcpServers") }
        if case .trusted(let path, let workspace) = workspaceMCP {
            for server in workspace where servers[server.name] == nil { servers[server.name] = SessionMCPServer(server: server, source: path) }
        }
        return servers.values.sorted { $0.server.name < $1.server.name }
    }

    /// What `mcp.workspaceServers` comes to in this workspace, in a line.
    public var workspaceMCPSummary: String {
        guard mcp.workspaceServers else { return "false (a workspace's .mcp.json is not used)" }
        switch workspaceMCP {
        case nil: return "true (the workspace has no .mcp.json)"
        case .trusted(let path, let servers): return "true: \(path) is trusted; its servers: \(servers.map(\.name).joined(separator: ", "))"
        case .untrusted(let path, _): return "true, but \(path) is NOT trusted: none of its servers starts (run bosun trust)"
        case .invalid(let path, _): return "true, but \(path) is invalid: sessions fail to open"
        }
    }

    /// Problems with the MCP servers a session would have, one line each: a command not
    /// found, a variable used without a default that is not set, a workspace `.mcp.json`
    /// that is untrusted or invalid, or a server of it that `mcpServers` shadows, and a role
    /// entry that names no configured server.
    public func mcpWarnings(environment: [String: String]) -> [String] {
        var warnings: [String] = []
        let servers = sessionMCPServers
        for entry in servers {
            let name = "MCP server \"\(entry.server.name)\" (\(entry.source))"
            let unset = entry.server.unsetVariables(environment: environment)
            if !unset.isEmpty {
                warnings.append("\(name) uses \(unset.map { "${\($0)}" }.joined(separator: ", ")), not set here and without a default")
            }
            if case .stdio(let command, _, _, let cwd) = entry.server.expanded(environment: environment).transport,
               let problem = Self.commandProblem(command, cwd: cwd, environment: environment) {
                warnings.append("\(name) cannot start here: \(problem)")
            }
        }
        switch workspaceMCP {
        case .untrusted(_, let notice): warnings.append(notice)
        case .invalid(let path, let message): warnings.append("\(path): \(message); sessions fail to open until you fix it or set mcp.workspaceServers: false")
        case .trusted(let path, let workspace):
            for server in workspace where mcp.servers[server.name] != nil {
                warnings.append("MCP server \"\(server.name)\" of \(path) is not used: mcpServers in the config has a server of that name")
            }
        case nil: break
        }
        for role in roles.values.sorted(by: { $0.name < $1.name }) {
            for pattern in role.mcpToolPatterns
            where !servers.contains(where: { RoleConfig.pattern(pattern, mayMatchToolsOf: MCPToolNaming.prefix(server: $0.server.name)) }) {
                warnings.append("role \"\(role.name)\" lists \(pattern), which names no configured MCP server"
                    + (servers.isEmpty ? " (none is configured)" : " (configured: \(servers.map(\.server.name).joined(separator: ", ")))"))
            }
        }
        return warnings
    }

    /// Why `command` cannot be run, or nil: a path that is not an executable file, or a name
    /// no directory of `PATH` holds.
    static func commandProblem(_ command: String, cwd: String?, environment: [String: String]) -> String? {
        if command.contains("/") {
            let path = command.hasPrefix("/") ? command : "\(cwd ?? FileManager.default.currentDirectoryPath)/\(command)"
            return FileManager.default.isExecutableFile(atPath: path) ? nil : "\(path) is not an executable file"
        }
        let directories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let found = directories.contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(command)") }
        return found ? nil : "\(command) is not on PATH; install it or give its full path"
    }
}

extension MCPServerConfig {
    /// Every value that may hold a secret or refer to one: the command, args, env, cwd, url
    /// and headers, as written.
    var writtenValues: [String] {
        switch transport {
        case .stdio(let command, let args, let env, let cwd): return [command] + args + env.values + (cwd.map { [$0] } ?? [])
        case .http(let url, let headers): return [url] + headers.values
        }
    }

    /// The variables its values use (`${VAR}`, not `${VAR:-default}`) that `environment`
    /// leaves unset or empty, in order of first use.
    func unsetVariables(environment: [String: String]) -> [String] {
        var unset: [String] = []
        for value in writtenValues {
            for reference in Self.references(in: value) where !reference.hasDefault && (environment[reference.name] ?? "").isEmpty {
                if !unset.contains(reference.name) { unset.append(reference.name) }
            }
        }
        return unset
    }

    /// How a secret value shows in `bosun config check`: written as `${VAR}` references it
    /// shows as written, with whether each variable is set; a literal, never.
    public static func redacted(_ value: String, environment: [String: String]) -> String {
        let references = references(in: value)
        guard !references.isEmpty else { return "(redacted, \(value.count) characters)" }
        let notes = references.map { "\($0.name) \((environment[$0.name] ?? "").isEmpty ? "NOT SET" : "set")" }
        return "\(value) (\(notes.joined(separator: ", ")))"
    }
}
