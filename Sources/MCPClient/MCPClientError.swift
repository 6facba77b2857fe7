import Foundation

/// Why an MCP server or one of its tools could not be used. The message names the server
/// and, for a stdio server, ends with the tail of its stderr: what the user needs to fix it.
public struct MCPClientError: Error, Sendable, CustomStringConvertible {
    public var server: String
    public var message: String
    /// The last lines the server wrote to stderr (stdio servers), or "".
    public var stderrTail: String
    /// The JSON-RPC error code, when the server refused a request.
    var code: Int?
    /// The HTTP status of a Streamable HTTP answer that was no JSON-RPC message.
    var httpStatus: Int?

    public init(server: String, _ message: String, stderrTail: String = "") {
        self.server = server
        self.message = message
        self.stderrTail = stderrTail
    }

    public var description: String {
        let tail = stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
        return "MCP server \(server): \(message)" + (tail.isEmpty ? "" : "; its stderr ends with: \(tail)")
    }
}
