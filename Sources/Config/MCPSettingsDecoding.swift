import Foundation

extension ConfigDecoder {
    /// `mcpServers` (Claude Code's `.mcp.json` shape, by server name) and `mcp`'s settings.
    static func mcpSettings(_ top: ConfigFields) throws -> MCPSettings {
        var settings = MCPSettings()
        for entry in try top.entries("mcpServers") {
            settings.servers[entry.key] = try mcpServer(named: entry.key, entry.value, path: "mcpServers.\(entry.key)")
        }
        guard let node = top.value("mcp") else { return settings }
        let fields = try ConfigFields(node, path: "mcp", allowedKeys: MCPSettings.keys)
        if let value = try fields.bool("workspaceServers") { settings.workspaceServers = value }
        if let value = try fields.seconds("startTimeoutSeconds") { settings.startTimeoutSeconds = value }
        if let value = try fields.seconds("callTimeoutSeconds") { settings.callTimeoutSeconds = value }
        if let value = try fields.int("maxResultBytes", minimum: 1024) { settings.maxResultBytes = value }
        return settings
    }

    private static func mcpServer(named name: String, _ node: ConfigNode, path: String) throws -> MCPServerConfig {
        let fields = try ConfigFields(node, path: path, allowedKeys: ["type", "command", "args", "env", "cwd", "url", "headers"])
        guard !name.isEmpty else { throw fields.error("", "an MCP server needs a name") }
        let type = try fields.choice("type", ["stdio", "http", "sse"])
        if type == "sse" {
            throw fields.error("type", "the old HTTP+SSE transport is not supported; use the server's Streamable HTTP endpoint with type: http")
        }
        if let url = try fields.string("url") {
            if type == "stdio" { throw fields.error("type", "a server with a url is an http server; remove type or set it to http") }
            for key in ["command", "args", "env", "cwd"] where fields.value(key) != nil {
                throw fields.error(key, "an http server (one with a url) takes only url and headers")
            }
            do {
                return MCPServerConfig(name: name, transport: .http(url: try MCPServerConfig.checkedURL(url, field: "\(path).url"),
                                                                     headers: try stringMap(fields, "headers")))
            } catch let error as MCPServerConfigError {
                throw fields.error("url", error.message)
            }
        }
        guard let command = try fields.string("command"), !command.isEmpty else {
            throw fields.error("command", "an MCP server needs a command to start (stdio) or a url (Streamable HTTP)")
        }
        if type == "http" { throw fields.error("type", "an http server needs a url, not a command") }
        if fields.value("headers") != nil { throw fields.error("headers", "headers belong to http servers; a stdio server takes env") }
        return MCPServerConfig(name: name, transport: .stdio(command: command, args: try fields.stringList("args") ?? [],
                                                              env: try stringMap(fields, "env"), cwd: try fields.string("cwd")))
    }

    private static func stringMap(_ fields: ConfigFields, _ key: String) throws -> [String: String] {
        var map: [String: String] = [:]
        for entry in try fields.entries(key) {
            guard case .scalar(let text, _, _) = entry.value else {
                throw ConfigFields.locatedError(entry.value, key: "\(fields.path).\(key).\(entry.key)", "expected a string, got \(entry.value.summary)")
            }
            map[entry.key] = text
        }
        return map
    }
}
