import BosunJSON
import Config
import Foundation
import HTTP
import Providers
import Workers

/// A session's MCP servers: one connection per server, started when a worker first needs
/// it, shared by every worker of the session, started again (after a growing pause) when
/// it has died, and stopped when the session ends (`close`).
public actor MCPServerPool {
    private let servers: [String: MCPServerConfig]
    private let settings: MCPSettings
    private let environment: [String: String]
    private let http: HTTPClient
    private var slots: [String: Slot] = [:]
    private var closed = false

    private struct Slot {
        var connection: MCPConnection?
        var starting: Task<MCPConnection, Error>?
        /// Deaths and failed starts since the last call that worked.
        var failures = 0
        var lastFailure: ContinuousClock.Instant?
        /// Its server spoke the `initialize` era: a restart skips the `server/discover` probe
        /// (the spec's advice: the era is the server's, kept for its configuration).
        var knownLegacy = false
    }

    /// `servers` by name; values are expanded from `environment` when each server starts.
    public init(servers: [MCPServerConfig], settings: MCPSettings, environment: [String: String], http: HTTPClient = .shared) {
        self.servers = Dictionary(servers.map { ($0.name, $0) }, uniquingKeysWith: { _, later in later })
        self.settings = settings
        self.environment = environment
        self.http = http
    }

    public var serverNames: [String] { servers.keys.sorted() }

    /// The MCP tools a worker of `role` gets, narrowed to `requested` (the spawn's `tools`)
    /// when given: every tool of a server some entry may match, named
    /// `mcp__<server>__<tool>`. Starts the servers it needs; one that cannot start, or a tool
    /// the role names exactly that its server does not have, is an error.
    public func tools(for role: RoleConfig, requested: [String]?) async throws -> [any WorkerTool] {
        let wanted = requested?.filter(RoleConfig.isMCPToolPattern)
        if wanted?.isEmpty == true { return [] }
        var result: [any WorkerTool] = []
        var offered: Set<String> = []
        for name in servers.keys.sorted() {
            let prefix = MCPToolNaming.prefix(server: name)
            guard role.mayUseMCPServer(toolPrefix: prefix) else { continue }
            if let wanted, !wanted.contains(where: { RoleConfig.pattern($0, mayMatchToolsOf: prefix) }) { continue }
            let connection = try await connection(to: name)
            let tools = try await connection.listTools(timeout: settings.startTimeoutSeconds)
            for (tool, workerName) in zip(tools, MCPToolNaming.names(server: name, tools: tools.map(\.name))) {
                guard role.offersMCPTool(workerName), wanted.map({ $0.contains { RoleConfig.glob($0, matches: workerName) } }) ?? true else { continue }
                offered.insert(workerName)
                result.append(MCPWorkerTool(spec: ToolSpec(name: workerName, description: tool.description, inputSchema: tool.inputSchema),
                                            server: name, tool: tool.name, pool: self))
            }
        }
        for exact in (wanted ?? role.mcpToolPatterns) where !exact.contains("*") && !exact.contains("?") && !offered.contains(exact) {
            let server = servers.keys.sorted().first { exact.hasPrefix(MCPToolNaming.prefix(server: $0)) }
            guard let server else {
                throw MCPClientError(server: exact, "is not configured: \(exact) names no server of mcpServers (configured: \(serverNames.joined(separator: ", ")))")
            }
            throw MCPClientError(server: server, "has no tool \(exact.dropFirst(MCPToolNaming.prefix(server: server).count)); it offers: \((try? await connection(to: server).listTools(timeout: settings.startTimeoutSeconds).map(\.name).joined(separator: ", ")) ?? "nothing")")
        }
        return result
    }

    /// Calls `tool` of `server`, starting the server again first if it died; the result and
    /// the protocol version it was called in.
    func call(server: String, tool: String, arguments: JSONValue) async throws -> (result: JSONValue, protocolVersion: String) {
        let connection = try await connection(to: server)
        do {
            let result = try await connection.call(tool, arguments: arguments, timeout: settings.callTimeoutSeconds)
            slots[server]?.failures = 0
            return (result, connection.era.version)
        } catch let error as MCPClientError where !connection.isAlive {
            noteFailure(server, connection)
            throw error
        }
    }

    var maxResultBytes: Int { settings.maxResultBytes }

    /// Stops every server; later calls fail.
    public func close() async {
        closed = true
        let live = slots.values.compactMap(\.connection)
        slots.values.forEach { $0.starting?.cancel() }
        slots = [:]
        for connection in live { await connection.close() }
    }

    private func connection(to name: String) async throws -> MCPConnection {
        guard !closed else { throw MCPClientError(server: name, "is not available: the session has ended") }
        guard let config = servers[name] else { throw MCPClientError(server: name, "is not configured") }
        var slot = slots[name] ?? Slot()
        if let connection = slot.connection {
            if connection.isAlive { return connection }
            noteFailure(name, connection)
            slot = slots[name] ?? Slot()
        }
        if let starting = slot.starting { return try await starting.value }
        let delay = Self.backoff(failures: slot.failures)
        let since = slot.lastFailure.map { ContinuousClock.now - $0 } ?? .seconds(3600)
        let wait = since < delay ? delay - since : .zero
        let settings = settings, environment = environment, http = http, knownLegacy = slot.knownLegacy
        let task = Task {
            if wait > .zero { try await Task.sleep(for: wait) }
            return try await MCPConnection.open(config.expanded(environment: environment), timeout: settings.startTimeoutSeconds,
                                                http: http, knownLegacy: knownLegacy)
        }
        slots[name, default: Slot()].starting = task
        do {
            let connection = try await task.value
            slots[name]?.starting = nil
            slots[name]?.connection = connection
            slots[name]?.knownLegacy = !connection.era.isModern
            if closed { await connection.close() }
            return connection
        } catch {
            slots[name]?.starting = nil
            slots[name]?.failures += 1
            slots[name]?.lastFailure = .now
            throw error
        }
    }

    private func noteFailure(_ name: String, _ connection: MCPConnection) {
        guard slots[name]?.connection === connection else { return }
        slots[name]?.connection = nil
        slots[name]?.failures += 1
        slots[name]?.lastFailure = .now
    }

    /// No pause before the first restart; then 0.25 s, doubling up to 30 s.
    static func backoff(failures: Int) -> Duration {
        guard failures > 1 else { return .zero }
        return .milliseconds(min(250 << min(failures - 2, 10), 30_000))
    }
}
