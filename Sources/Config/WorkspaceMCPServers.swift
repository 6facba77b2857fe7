import BosunJSON
import Foundation

/// What becomes of the workspace's own `.mcp.json` when the config opts in to it
/// (`mcp.workspaceServers`): its servers are a session's only while the user trusts the
/// file's exact content (`WorkspaceTrust`), since each is a program bosun would start.
public enum WorkspaceMCPServers: Sendable, Equatable {
    /// Trusted and valid: the file's servers, by name (`mcpServers` wins on a shared name).
    case trusted(path: String, servers: [MCPServerConfig])
    /// Not used, and nothing of it started: the notice says why and how to trust it.
    case untrusted(path: String, notice: String)
    /// Trusted, but not a `.mcp.json` bosun can use: the message says what is wrong.
    case invalid(path: String, message: String)

    /// The state of `files`' `.mcp.json`, or nil when there is none.
    static func of(_ files: WorkspaceConfigFiles, environment: [String: String]) -> WorkspaceMCPServers? {
        guard let text = files.mcpJSON else { return nil }
        let path = files.mcpJSONPath
        guard WorkspaceTrust.isMCPJSONTrusted(files, environment: environment) else {
            return .untrusted(path: path, notice: WorkspaceTrust.mcpJSONNotice(for: files, environment: environment))
        }
        do {
            return .trusted(path: path, servers: try parse(text))
        } catch let error as MCPServerConfigError {
            return .invalid(path: path, message: "\(error.field): \(error.message)")
        } catch {
            return .invalid(path: path, message: "not valid JSON")
        }
    }

    /// `.mcp.json`'s `mcpServers`, in name order; none when it has no such object.
    static func parse(_ text: String) throws -> [MCPServerConfig] {
        let parsed = try JSONValue.parse(Data(text.utf8))
        guard let entries = parsed["mcpServers"]?.objectValue else { return [] }
        return try entries.keys.sorted().map { name in
            try MCPServerConfig.fromClaudeCodeJSON(name: name, entries[name]!, field: "mcpServers.\(name)")
        }
    }
}
