import BosunJSON
import Config
import Foundation
import HTTP
import Synchronization

/// One live connection to one MCP server, in the era its server speaks (`MCPHandshake`):
/// MCP 2026-07-28, with `_meta` on every request, or the `initialize` era (2025-11-25 and
/// older). Then `tools/list` (all pages, kept until the server says the list changed or,
/// in 2026-07-28, its `ttlMs` runs out) and `tools/call`. Requests run concurrently; a call
/// past its deadline is abandoned and the server told with `notifications/cancelled`.
final class MCPConnection: Sendable {
    let server: String
    let era: MCPEra
    private let transport: any MCPTransport
    private let nextId = Atomic<Int64>(MCPHandshake.firstRequestId)
    private let toolCache: ToolCache

    private init(server: String, transport: any MCPTransport, era: MCPEra, toolCache: ToolCache) {
        self.server = server
        self.transport = transport
        self.era = era
        self.toolCache = toolCache
    }

    var isAlive: Bool { transport.isAlive }
    var stderrTail: String { transport.stderrTail }

    /// Starts the server (a stdio child, or nothing to start for HTTP) and settles its era,
    /// all within `timeout` seconds. `knownLegacy`: it spoke the `initialize` era last time.
    static func open(_ config: MCPServerConfig, timeout: Double, http: HTTPClient, knownLegacy: Bool = false) async throws -> MCPConnection {
        let toolCache = ToolCache()
        let onNotification: @Sendable (JSONValue) -> Void = { message in
            guard message["method"]?.stringValue == "notifications/tools/list_changed" else { return }
            // In 2026-07-28 it comes on the `subscriptions/listen` stream, tagged with its id.
            let subscription = message["params"]?["_meta"]?[MCPEra.subscriptionKey]
            if subscription == nil || subscription == .int(MCPHandshake.listenId) { toolCache.forget() }
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
            let outcome = try await withDeadline(timeout, server: config.name, what: """
                did not answer server/discover or initialize within \(String(format: "%g", timeout)) s (mcp.startTimeoutSeconds)
                """, transport: transport) {
                try await MCPHandshake.run(over: transport, server: config.name, startTimeout: timeout, knownLegacy: knownLegacy)
            }
            let connection = MCPConnection(server: config.name, transport: transport, era: outcome.era, toolCache: toolCache)
            if outcome.era.isModern, outcome.capabilities["tools"]?["listChanged"] == true, transport.streamsNotifications {
                connection.listenForToolChanges()
            }
            return connection
        } catch {
            await transport.close()
            throw error
        }
    }

    /// Every tool the server offers, in its order (cached until it says the list changed).
    func listTools(timeout: Double) async throws -> [MCPToolInfo] {
        if let cached = toolCache.current() { return cached }
        var tools: [MCPToolInfo] = []
        var cursor: JSONValue?
        var ttl: Int64?
        repeat {
            let params: JSONValue = cursor.map { ["cursor": $0] } ?? [:]
            let result = try await withDeadline(timeout, server: server, what: "did not answer tools/list", transport: transport) {
                try await self.request("tools/list", params)
            }
            for tool in result["tools"]?.arrayValue ?? [] {
                guard let name = tool["name"]?.stringValue else { continue }
                let schema = tool["inputSchema"] ?? ["type": "object"]
                var mirror = MCPHeaderMirror()
                if era.isModern, transport.mirrorsHeaders {
                    switch MCPHeaderMirror.of(schema) {
                    case .success(let found): mirror = found
                    case .failure(let problem):
                        FileHandle.standardError.write(Data("bosun: MCP server \(server): leaving out its tool \(name): \(problem.reason)\n".utf8))
                        continue
                    }
                }
                tools.append(MCPToolInfo(name: name, description: tool["description"]?.stringValue ?? tool["title"]?.stringValue ?? "",
                                         inputSchema: schema, headers: mirror))
            }
            ttl = era.isModern ? result["ttlMs"]?.intValue : nil
            cursor = result["nextCursor"].flatMap { $0.isNull ? nil : $0 }
        } while cursor != nil
        toolCache.keep(tools, forMilliseconds: ttl)
        return tools
    }

    /// Calls `tool`; the result object, or an error naming the server.
    func call(_ tool: String, arguments: JSONValue, timeout: Double) async throws -> JSONValue {
        let id = nextId.wrappingAdd(1, ordering: .relaxed).oldValue
        let params: JSONValue = ["name": .string(tool), "arguments": arguments]
        let headers = toolCache.mirror(of: tool)?.headers(for: arguments) ?? []
        do {
            return try await withDeadline(timeout, server: server, what: "did not finish \(tool) within \(Int(timeout)) s (mcp.callTimeoutSeconds)",
                                          transport: transport) {
                try await Self.send(method: "tools/call", params: self.era.stamp(params), id: id, over: self.transport,
                                    server: self.server, headers: headers)
            }
        } catch let error as MCPClientError where transport.isAlive {
            // Over HTTP in 2026-07-28, the abandoned request's closed stream is the cancellation.
            if error.message.hasPrefix("did not finish"), !(era.isModern && transport.mirrorsHeaders) {
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
        try await Self.send(method: method, params: era.stamp(params), id: nextId.wrappingAdd(1, ordering: .relaxed).oldValue,
                            over: transport, server: server)
    }

    /// MCP 2026-07-28's `subscriptions/listen` for the tool list: a request the server
    /// answers only when it ends the subscription; until then its notifications empty the cache.
    private func listenForToolChanges() {
        let message: JSONValue = ["jsonrpc": "2.0", "id": .int(MCPHandshake.listenId), "method": "subscriptions/listen",
                                  "params": era.stamp(["notifications": ["toolsListChanged": true]])]
        let transport = transport
        Task { _ = try? await transport.request(message, id: MCPHandshake.listenId, headers: []) }
    }

    /// Sends one request and returns its result, or throws an error that names the server,
    /// the method and the server's error (with the spec's name for a 2026-07-28 code).
    static func send(method: String, params: JSONValue, id: Int64, over transport: any MCPTransport,
                     server: String, headers: [(name: String, value: String)] = []) async throws -> JSONValue {
        let response = try await transport.request(["jsonrpc": "2.0", "id": .int(id), "method": .string(method), "params": params],
                                                   id: id, headers: headers)
        if let error = response["error"] {
            let code = error["code"]?.intValue.map(Int.init)
            let named = code.map { code in MCPEra.modernErrors[code].map { " (\(code) \($0))" } ?? " (\(code))" } ?? ""
            let detail = code == -32021 ? "; it needs the client capabilities \(error["data"]?["requiredCapabilities"]?.jsonString() ?? "it did not name"), and bosun declares none" : ""
            var refused = MCPClientError(server: server, "refused \(method)\(named): \(error["message"]?.stringValue ?? error.jsonString())\(detail)",
                                         stderrTail: transport.stderrTail)
            refused.code = code
            throw refused
        }
        guard let result = response["result"], case .object = result else {
            throw MCPClientError(server: server, "answered \(method) without a result object")
        }
        // 2026-07-28: every result says its type; one without is complete (as from an earlier server).
        switch result["resultType"]?.stringValue ?? "complete" {
        case "complete":
            return result
        case "input_required":
            let asked = (result["inputRequests"]?.objectValue ?? [:]).values.compactMap { $0["method"]?.stringValue }
            throw MCPClientError(server: server, """
                asked for input to answer \(method) (\(Set(asked).sorted().joined(separator: ", "))), which bosun cannot give: \
                it offers MCP servers no elicitation, sampling or roots
                """)
        case let other:
            throw MCPClientError(server: server, "answered \(method) with a result of type \"\(other)\", which bosun does not know")
        }
    }

    /// The tool list, shared with the notification handler that empties it, and each
    /// tool's header mirror, kept past the list's expiry for the calls in between.
    private final class ToolCache: Sendable {
        private let state = Mutex<(tools: [MCPToolInfo], until: ContinuousClock.Instant?)?>(nil)
        private let mirrors = Mutex<[String: MCPHeaderMirror]>([:])

        func mirror(of tool: String) -> MCPHeaderMirror? { mirrors.withLock { $0[tool] } }

        func current() -> [MCPToolInfo]? {
            state.withLock { state in
                guard let kept = state else { return nil }
                if let until = kept.until, until <= .now {
                    state = nil
                    return nil
                }
                return kept.tools
            }
        }

        func keep(_ tools: [MCPToolInfo], forMilliseconds ttl: Int64?) {
            state.withLock { $0 = (tools, ttl.map { .now + .milliseconds(max(0, $0)) }) }
            mirrors.withLock { mirrors in
                for tool in tools where !tool.headers.parameters.isEmpty { mirrors[tool.name] = tool.headers }
            }
        }

        func forget() {
            state.withLock { $0 = nil }
        }
    }
}

/// A tool as the server describes it.
struct MCPToolInfo: Sendable {
    var name: String
    var description: String
    var inputSchema: JSONValue
    /// Its parameters mirrored into headers (2026-07-28 over HTTP).
    var headers = MCPHeaderMirror()
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
