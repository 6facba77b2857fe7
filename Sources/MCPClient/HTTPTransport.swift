import BosunJSON
import Foundation
import HTTP
import Synchronization

/// An MCP server at a Streamable HTTP endpoint: each message is a POST; the answer comes
/// back as JSON or as a server-sent event stream that carries it (and maybe requests and
/// notifications first). In the `initialize` era the server's `Mcp-Session-Id` goes back on
/// every later request, with `MCP-Protocol-Version`; a 404 for that session means it is
/// gone, and the pool starts a new one; ending sends DELETE, as the spec asks. A 2026-07-28
/// request (its `_meta` names its version) has no session: it carries its version and the
/// headers that mirror it (`Mcp-Method`, `Mcp-Name`, a tool's `Mcp-Param-*`), and an error
/// status whose body is a JSON-RPC error is that request's answer.
final class HTTPTransport: MCPTransport {
    static let maxResponseBytes = 64 << 20

    let server: String
    let url: String
    let headers: [HTTPHeader]
    private let http: HTTPClient
    private let session = Mutex(Session())
    private let onNotification: @Sendable (JSONValue) -> Void

    private struct Session {
        var id: String?
        var protocolVersion: String?
        var ended = false
    }

    init(server: String, url: String, headers: [String: String], http: HTTPClient,
         onNotification: @escaping @Sendable (JSONValue) -> Void) {
        self.server = server
        self.url = url
        self.headers = headers.sorted { $0.key < $1.key }.map { HTTPHeader(name: $0.key, value: $0.value) }
        self.http = http
        self.onNotification = onNotification
    }

    var isAlive: Bool { session.withLock { !$0.ended } }
    var stderrTail: String { "" }

    func negotiated(protocolVersion: String) {
        session.withLock { $0.protocolVersion = protocolVersion }
    }

    var streamsNotifications: Bool { false }
    var mirrorsHeaders: Bool { true }

    func request(_ message: JSONValue, id: Int64, headers: [(name: String, value: String)]) async throws -> JSONValue {
        let response = try await post(message, extra: headers)
        if let refusal = Self.modernRefusal(response, to: message) { return refusal }
        try check(response, for: message)
        let type = response.header("Content-Type")?.lowercased() ?? ""
        let messages: [JSONValue]
        if type.hasPrefix("text/event-stream") {
            // The blank line ends a last event the server did not end itself.
            var parser = SSEParser()
            messages = parser.feed(response.body + Data("\n\n".utf8)).compactMap { try? JSONValue.parse($0.data) }
        } else {
            guard let parsed = try? JSONValue.parse(response.body) else {
                throw MCPClientError(server: server, "answered \(message["method"]?.stringValue ?? "a request") with a body that is not JSON (Content-Type \(type))")
            }
            messages = parsed.arrayValue ?? [parsed]
        }
        var answer: JSONValue?
        for item in messages {
            if item["method"] != nil {
                if item["id"] != nil {
                    _ = try? await post(answerServerRequest(item))
                } else {
                    onNotification(item)
                }
            } else if item["id"]?.intValue == id {
                answer = item
            }
        }
        guard let answer else {
            throw MCPClientError(server: server, "ended its answer to \(message["method"]?.stringValue ?? "a request") without a response")
        }
        return answer
    }

    func notify(_ message: JSONValue) async throws {
        let response = try await post(message)
        try check(response, for: message)
    }

    func close() async {
        let id = session.withLock { state -> String? in
            state.ended = true
            return state.id
        }
        guard let id else { return }
        var request = HTTPRequest(method: "DELETE", url: url, headers: headers + [HTTPHeader(name: "Mcp-Session-Id", value: id)],
                                  connectTimeout: 5, idleTimeout: 5)
        request.maxResponseBytes = 1 << 16
        _ = try? await http.send(request)
    }

    /// The version a 2026-07-28 message names in its `_meta`, or nil for the `initialize` era.
    private static func modernVersion(of message: JSONValue) -> String? {
        message["params"]?["_meta"]?[MCPEra.versionKey]?.stringValue
    }

    /// A 2026-07-28 request refused with an error status and a JSON-RPC error as the body
    /// (`UnsupportedProtocolVersion`, an unknown method's 404): that error is its answer.
    private static func modernRefusal(_ response: HTTPResponse, to message: JSONValue) -> JSONValue? {
        guard !(200...299).contains(response.status), modernVersion(of: message) != nil,
              let body = try? JSONValue.parse(response.body), body["error"]?["code"]?.intValue != nil else { return nil }
        return body
    }

    private func post(_ message: JSONValue, extra: [(name: String, value: String)] = []) async throws -> HTTPResponse {
        let (id, version) = session.withLock { ($0.id, $0.protocolVersion) }
        var headers = headers + [HTTPHeader(name: "Content-Type", value: "application/json"),
                                 HTTPHeader(name: "Accept", value: "application/json, text/event-stream")]
        let modern = Self.modernVersion(of: message)
        if let modern {
            headers.append(HTTPHeader(name: "MCP-Protocol-Version", value: modern))
            for (name, value) in MCPHeaderMirror.standard(for: message) + extra { headers.append(HTTPHeader(name: name, value: value)) }
        } else {
            if let id { headers.append(HTTPHeader(name: "Mcp-Session-Id", value: id)) }
            if let version { headers.append(HTTPHeader(name: "MCP-Protocol-Version", value: version)) }
        }
        let request = HTTPRequest(method: "POST", url: url, headers: headers, body: message.jsonData(),
                                  idleTimeout: 3600, maxResponseBytes: Self.maxResponseBytes)
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch let error as HTTPClientError {
            throw MCPClientError(server: server, "cannot reach \(url): \(error)")
        }
        if modern == nil, let assigned = response.header("Mcp-Session-Id"), !assigned.isEmpty {
            session.withLock { if $0.id == nil { $0.id = assigned } }
        }
        return response
    }

    private func check(_ response: HTTPResponse, for message: JSONValue) throws {
        guard !(200...299).contains(response.status) else { return }
        let method = message["method"]?.stringValue ?? "a message"
        if response.status == 404, session.withLock({ $0.id != nil }) {
            session.withLock { $0.ended = true }
            throw MCPClientError(server: server, "its HTTP session expired (404 to \(method)); bosun starts a new one on the next call")
        }
        let body = String(decoding: response.body.prefix(300), as: UTF8.self)
        var error = MCPClientError(server: server, "answered \(method) with HTTP \(response.status): \(body)")
        error.httpStatus = response.status
        throw error
    }
}
