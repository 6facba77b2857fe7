import BosunJSON

/// How one MCP server is reached: a child process over stdio, or Streamable HTTP. A
/// transport carries JSON-RPC messages; `MCPConnection` gives them their meaning.
protocol MCPTransport: Sendable {
    /// Sends the request `message` (whose id is `id`) and returns the server's response to
    /// it, result or error. Cancelling the calling task abandons the request. `headers` go
    /// with it where the transport has headers (a 2026-07-28 tool's mirrored parameters).
    func request(_ message: JSONValue, id: Int64, headers: [(name: String, value: String)]) async throws -> JSONValue
    func notify(_ message: JSONValue) async throws
    /// False once the server has gone (exited, closed its stdout, wrote garbage, lost its
    /// HTTP session): the pool starts a new one.
    var isAlive: Bool { get }
    /// The last of what the server wrote to stderr ("" for HTTP servers).
    var stderrTail: String { get }
    /// Tells the transport which protocol version `initialize` agreed on (HTTP sends it as a
    /// header); a 2026-07-28 request carries its version in its `_meta`.
    func negotiated(protocolVersion: String)
    /// It carries notifications that come between answers (stdio), so a long-lived
    /// `subscriptions/listen` request can deliver them.
    var streamsNotifications: Bool { get }
    /// Requests go with headers that mirror their content (Streamable HTTP in 2026-07-28).
    var mirrorsHeaders: Bool { get }
    func close() async
}

/// Answers a request the server sent us: `ping` as the spec says, anything else as a method
/// bosun does not offer (it declares no client capabilities).
func answerServerRequest(_ message: JSONValue) -> JSONValue {
    let id = message["id"] ?? .null
    if message["method"]?.stringValue == "ping" {
        return ["jsonrpc": "2.0", "id": id, "result": [:]]
    }
    return ["jsonrpc": "2.0", "id": id,
            "error": ["code": -32601, "message": .string("bosun does not offer \(message["method"]?.stringValue ?? "this method") to MCP servers")]]
}
