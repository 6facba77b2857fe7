import BosunJSON
import Config
import Foundation
import HTTP
import Synchronization

/// One live connection to one MCP server: the client side of the MCP lifecycle
/// (`initialize` offering 2025-11-25, accepting the older revisions a server may answer
/// with), then `tools/list` (all pages, kept until the server says the list changed) and
/// `tools/call`. Requests run concurrently; a call past its deadline is abandoned and the
/// server told with `notifications/cancelled`.
final class MCPConnection: Sendable {
    static let protocolVersion = "2025-11-25"
    /// What bosun accepts from a server's `initialize` answer, newest first.
    static let supportedVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]

    let server: String
    private let transport: any MCPTransport
    private let nextId = Atomic<Int64>(1)
    private let toolCache: ToolCache
    let negotiatedVersion: String

    private init(server: String, transport: any MCPTransport, version: String, toolCache: ToolCache) {
        self.server = server
        self.transport = transport
        self.negotiatedVersion = version
        self.toolCache = toolCache
    }

    var isAlive: Bool { transport.isAlive }
    var stderrTail: String { transport.stderrTail }

    /// Starts the server (a stdio child, or nothing to start for HTTP) and runs the
    /// handshake, all within `timeout` seconds.
    static func open(_ config: MCPServerConfig, timeout: Double, http: HTTPClient) async throws -> MCPConnection {
        let toolCache = ToolCache()
        let onNotification: @Sendable (JSONValue) -> Void = { message in
            if message["method"]?.stringValue == "notifications/tools/list_changed" { toolCache.tools.withLock { $0 = nil } }
        }
        let transport: any MCPTransport
        switch config.transport {
        case .stdio(let command, let args, let env, let cwd):
            transport = try StdioTransport(server: config.name, command: command, args: args, env: env, cwd: cwd,
                                           onNotification: onNotification)
        case .http(let url, let headers):
            transport = HTTPTransport(server: config.name, url: url, headers: headers, http: http, onNotification: onNotification)
        }
        do {
            let initialize: JSONValue = [
                "protocolVersion": .string(protocolVersion),
                "capabilities": [:],
                "clientInfo": ["name": "bosun", "version": "1"],
            ]
            let result = try await withDeadline(timeout, server: config.name, what: "did not answer initialize", transport: transport) {
                try await Self.send(method: "initialize", params: initialize, id: 0, over: transport, server: config.name)
            }
            guard let version = result["protocolVersion"]?.stringValue, supportedVersions.contains(version) else {
                throw MCPClientError(server: config.name, "speaks MCP \(result["protocolVersion"]?.stringValue ?? "of no stated version"); bosun speaks \(supportedVersions.joined(separator: ", "))")
            }
            transport.negotiated(protocolVersion: version)
            try await transport.notify(["jsonrpc": "2.0", "method": "notifications/initialized"])
            return MCPConnection(server: config.name, transport: transport, version: version, toolCache: toolCache)
        } catch {
            await transport.close()
            throw error
        }
    }

    /// Every tool the server offers, in its order (cached until it says the list changed).
    func listTools(timeout: Double) async throws -> [MCPToolInfo] {
        if let cached = toolCache.tools.withLock({ $0 }) { return cached }
        var tools: [MCPToolInfo] = []
        var cursor: JSONValue?
        repeat {
            let params: JSONValue = cursor.map { ["cursor": $0] } ?? [:]
            let result = try await withDeadline(timeout, server: server, what: "did not answer tools/list", transport: transport) {
                try await self.request("tools/list", params)
            }
            for tool in result["tools"]?.arrayValue ?? [] {
                guard let name = tool["name"]?.stringValue else { continue }
                tools.append(MCPToolInfo(name: name, description: tool["description"]?.stringValue ?? tool["title"]?.stringValue ?? "",
                                         inputSchema: tool["inputSchema"] ?? ["type": "object"]))
            }
            cursor = result["nextCursor"].flatMap { $0.isNull ? nil : $0 }
        } while cursor != nil
        toolCache.tools.withLock { $0 = tools }
        return tools
    }

    /// Calls `tool`; the result object, or an error naming the server.
    func call(_ tool: String, arguments: JSONValue, timeout: Double) async throws -> JSONValue {
        let id = nextId.wrappingAdd(1, ordering: .relaxed).oldValue
        let params: JSONValue = ["name": .string(tool), "arguments": arguments]
        do {
            return try await withDeadline(timeout, server: server, what: "did not finish \(tool) within \(Int(timeout)) s (mcp.callTimeoutSeconds)",
                                          transport: transport) {
                try await Self.send(method: "tools/call", params: params, id: id, over: self.transport, server: self.server)
            }
        } catch let error as MCPClientError where transport.isAlive {
            if error.message.hasPrefix("did not finish") {
                try? await transport.notify(["jsonrpc": "2.0", "method": "notifications/cancelled",
                                             "params": ["requestId": .int(id), "reason": "timed out"]])
            }
            throw error
        }
    }

    func close() async {
        await transport.close()
    }

    private func request(_ method: String, _ params: JSONValue) async throws -> JSONValue {
        try await Self.send(method: method, params: params, id: nextId.wrappingAdd(1, ordering: .relaxed).oldValue,
                            over: transport, server: server)
    }

    private static func send(method: String, params: JSONValue, id: Int64, over transport: any MCPTransport,
                             server: String) async throws -> JSONValue {
        let response = try await transport.request(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params], id: id)
        if let error = response["error"] {
            let code = error["code"]?.intValue.map { " (\($0))" } ?? ""
            throw MCPClientError(server: server, "refused \(method)\(code): \(error["message"]?.stringValue ?? error.jsonString())",
                                 stderrTail: transport.stderrTail)
        }
        guard let result = response["result"], case .object = result else {
            throw MCPClientError(server: server, "answered \(method) without a result object")
        }
        return result
    }

    /// The tool list, shared with the notification handler that empties it.
    private final class ToolCache: Sendable {
        let tools = Mutex<[MCPToolInfo]?>(nil)
    }
}

/// A tool as the server describes it.
struct MCPToolInfo: Sendable {
    var name: String
    var description: String
    var inputSchema: JSONValue
}

/// Runs `body`, failing with `what` (and the server's stderr tail) after `seconds`.
func withDeadline<T: Sendable>(_ seconds: Double, server: String, what: String, transport: any MCPTransport,
                               _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw MCPClientError(server: server, what, stderrTail: transport.stderrTail)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}
