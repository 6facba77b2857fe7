import BosunJSON
import Foundation

/// One JSON-RPC message as read from the client, classified but with params left as bytes:
/// they are decoded later, into the handler's own type, on the handler's task.
enum IncomingMessage: Sendable {
    /// A request (`id` present). `id` is nil only for the legal but odd `"id": null`.
    case request(id: RequestID?, method: String, message: Data)
    case notification(method: String, message: Data)
    /// A response to a request the server sent (MCP's `roots/list`); `message` holds its
    /// `result` or `error`.
    case response(id: RequestID?, message: Data)
    /// Not a valid request; answered with this error and this id (null when unreadable).
    case invalid(id: RequestID?, error: RPCError)
    /// A batch; an empty array has already been turned into one `.invalid`.
    case batch([IncomingMessage])

    /// Classifies one complete JSON text.
    static func parse(_ data: Data) -> IncomingMessage {
        guard let first = data.first(where: { !isJSONWhitespace($0) }) else {
            return .invalid(id: nil, error: RPCError(code: RPCError.parseError, message: "empty message: expected a JSON object or array"))
        }
        if first == UInt8(ascii: "[") { return parseBatch(data) }
        return parseSingle(data)
    }

    private static func parseSingle(_ data: Data) -> IncomingMessage {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch let error as EnvelopeError {
            return .invalid(id: nil, error: RPCError(code: RPCError.invalidRequest, message: error.message))
        } catch {
            return .invalid(id: nil, error: parseError(error))
        }
        return classify(envelope, data: data)
    }

    private static func classify(_ envelope: Envelope, data: Data) -> IncomingMessage {
        let id: RequestID?
        switch envelope.id {
        case .absent, .null: id = nil
        case .value(let value): id = value
        case .invalid:
            return .invalid(id: nil, error: RPCError(
                code: RPCError.invalidRequest, message: "invalid request: \"id\" must be an integer or a string"))
        }
        guard envelope.jsonrpc == "2.0" else {
            return .invalid(id: id, error: RPCError(
                code: RPCError.invalidRequest, message: "invalid request: \"jsonrpc\" must be \"2.0\""))
        }
        guard let method = envelope.method else {
            if envelope.hasResultOrError, envelope.id != .absent { return .response(id: id, message: data) }
            return .invalid(id: id, error: RPCError(
                code: RPCError.invalidRequest, message: "invalid request: \"method\" must be a string"))
        }
        guard envelope.paramsAreStructured else {
            return .invalid(id: id, error: RPCError(
                code: RPCError.invalidRequest, message: "invalid request: \"params\" must be an object or an array"))
        }
        if envelope.id == .absent { return .notification(method: method, message: data) }
        return .request(id: id, method: method, message: data)
    }

    private static func parseBatch(_ data: Data) -> IncomingMessage {
        let members: [JSONValue]
        do {
            members = try JSONDecoder().decode([JSONValue].self, from: data)
        } catch {
            return .invalid(id: nil, error: parseError(error))
        }
        if members.isEmpty {
            return .invalid(id: nil, error: RPCError(code: RPCError.invalidRequest, message: "invalid request: a batch must not be empty"))
        }
        return .batch(members.map { member in
            guard case .object = member else {
                return .invalid(id: nil, error: RPCError(
                    code: RPCError.invalidRequest, message: "invalid request: each batch member must be a request object"))
            }
            return parseSingle(member.jsonData())
        })
    }

    private static func parseError(_ error: Error) -> RPCError {
        var detail = "the message is not valid JSON"
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = context.underlyingError.map { String(describing: $0) } ?? context.debugDescription
            detail += " (\(underlying))"
        }
        return RPCError(code: RPCError.parseError, message: "parse error: \(detail)")
    }

    static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

/// Thrown while reading the envelope when the JSON is fine but is not a request object.
private struct EnvelopeError: Error { let message: String }

/// The members of a message that say what it is; params are only checked for shape.
private struct Envelope: Decodable {
    enum IDField: Equatable { case absent, null, value(RequestID), invalid }

    var jsonrpc: String?
    var id: IDField = .absent
    var method: String?
    var paramsAreStructured = true
    var hasResultOrError = false

    enum CodingKeys: String, CodingKey { case jsonrpc, id, method, params, result, error }

    init(from decoder: Decoder) throws {
        guard let container = try? decoder.container(keyedBy: CodingKeys.self) else {
            // The text is valid JSON (the decoder checks that first) but not an object.
            throw EnvelopeError(message: "invalid request: a message must be a JSON object (or an array of them)")
        }
        jsonrpc = try? container.decodeIfPresent(String.self, forKey: .jsonrpc)
        if container.contains(.id) {
            if try container.decodeNil(forKey: .id) {
                id = .null
            } else if let value = try? container.decode(RequestID.self, forKey: .id) {
                id = .value(value)
            } else {
                id = .invalid
            }
        }
        if container.contains(.method) {
            guard let method = try? container.decode(String.self, forKey: .method) else {
                throw EnvelopeError(message: "invalid request: \"method\" must be a string")
            }
            self.method = method
        }
        if container.contains(.params), !(try container.decodeNil(forKey: .params)) {
            // Only the shape is checked here; opening a nested container does not decode it.
            let isObject = (try? container.nestedContainer(keyedBy: AnyKey.self, forKey: .params)) != nil
            let isArray = !isObject && (try? container.nestedUnkeyedContainer(forKey: .params)) != nil
            paramsAreStructured = isObject || isArray
        }
        hasResultOrError = container.contains(.result) || container.contains(.error)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}
