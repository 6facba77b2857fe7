import BosunJSON
import BosunProtocol
import Config
import Foundation

/// The MCP servers a session's workers may use: the config's `mcpServers`, then the
/// workspace's own `.mcp.json` when the config opts in with `mcp.workspaceServers` and the
/// user trusts it (never replacing a server the config names), then the servers the client
/// offered for this session (ACP's `session/new`), which win on a shared name.
enum SessionMCPServers {
    static func servers(config: BosunConfig, offered: [JSONValue]) throws -> [MCPServerConfig] {
        var servers = config.mcp.servers
        switch config.workspaceMCP {
        case .trusted(_, let workspace):
            for server in workspace where servers[server.name] == nil { servers[server.name] = server }
        case .invalid(let path, let message):
            throw SessionError(code: SessionError.requestFailedCode,
                               message: "\(path): \(message); fix the file or set mcp.workspaceServers: false",
                               data: ["field": "mcp.workspaceServers"])
        case .untrusted, nil:
            break  // an untrusted file starts nothing; the opener says so
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
}
