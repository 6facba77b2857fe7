import BosunJSON
import BosunProtocol
import Config
import Foundation

/// The MCP servers a session's workers may use: the config's `mcpServers`, then the
/// workspace's own `.mcp.json` when the config opts in with `mcp.workspaceServers` (never
/// replacing a server the config names), then the servers the client offered for this
/// session (ACP's `session/new`), which win on a shared name.
enum SessionMCPServers {
    static func servers(config: BosunConfig, workspaceRoot: String, offered: [JSONValue]) throws -> [MCPServerConfig] {
        var servers = config.mcp.servers
        if config.mcp.workspaceServers {
            for server in try workspaceFile(workspaceRoot) where servers[server.name] == nil {
                servers[server.name] = server
            }
        }
        for (index, entry) in offered.enumerated() {
            do {
                let server = try MCPServerConfig.fromACPJSON(entry, field: "mcpServers[\(index)]")
                servers[server.name] = server
            } catch let error as MCPServerConfigError {
                throw SessionError(code: SessionError.invalidParamsCode, message: "\(error.field): \(error.message)",
                                   data: ["field": .string(error.field)])
            }
        }
        return servers.values.sorted { $0.name < $1.name }
    }

    /// `.mcp.json`'s `mcpServers`, or none when the file is absent.
    static func workspaceFile(_ root: String) throws -> [MCPServerConfig] {
        let path = (root as NSString).appendingPathComponent(".mcp.json")
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let refuse = { (message: String) in
            SessionError(code: SessionError.requestFailedCode, message: "\(path): \(message); fix the file or set mcp.workspaceServers: false",
                         data: ["field": "mcp.workspaceServers"])
        }
        guard let parsed = try? JSONValue.parse(data) else { throw refuse("not valid JSON") }
        guard let entries = parsed["mcpServers"]?.objectValue else { return [] }
        do {
            return try entries.keys.sorted().map { name in
                try MCPServerConfig.fromClaudeCodeJSON(name: name, entries[name]!, field: "mcpServers.\(name)")
            }
        } catch let error as MCPServerConfigError {
            throw refuse("\(error.field): \(error.message)")
        }
    }
}
