import BosunJSON
import Foundation

/// One JSON-RPC message as read from the client, classified but with params left as bytes:
/// they are decoded later, into the handler's own type, on the handler's task.
enum IncomingMessage: Sendable {
    /// A request (`id` present). `id` is nil only for the legal but odd `"id": null`.
    case request(id: RequestID?, method: String, message: ReceivedMessage)
    case notification(method: String, message: ReceivedMessage)
    /// A response to a request the server sent (MCP's `roots/list`); `message` holds its
    /// `result` or `error`.
    case response(id: RequestID?, message: Data)
    /// Not a valid request; answered with this error and this id (null when unreadable).
    case invalid(id: RequestID?, error: RPCError)
    /// A batch; an empty array has already been turned into one `.invalid`.
    case batch([IncomingMessage])

    /// Classifies one complete JSON text, reading it once: `MessageScanner` checks the text
    /// and finds the envelope in one pass; what it will not judge is read the thorough way.
    static func parse(_ bytes: [UInt8]) -> IncomingMessage {
        guard let first = bytes.first(where: { !isJSONWhitespace($0) }) else {
            return .invalid(id: nil, error: RPCError(code: RPCError.parseError, message: "empty message: expected a JSON object or array"))
        }
        if first == UInt8(ascii: "[") { return parseBatch(bytes) }
        return scanned(bytes) ?? parseSingle(bytes)
    }

    /// The fast path: nil when `MessageScanner` gave up.
    static func scanned(_ bytes: [UInt8]) -> IncomingMessage? {
        guard let envelope = bytes.withUnsafeBufferPointer(MessageScanner.envelope(of:)) else { return nil }
        var id: RequestID?
        if let range = envelope.id {
            guard let value = RequestID(jsonText: bytes[range]) else { return nil }
            id = value
        }
        guard let method = envelope.method else { return .response(id: id, message: Data(bytes)) }
        let message = ReceivedMessage(bytes: bytes, params: envelope.params)
        let name = String(decoding: bytes[method], as: UTF8.self)
        return envelope.hasID ? .request(id: id, method: name, message: message) : .notification(method: name, message: message)
    }

    /// The thorough way: the envelope decoded by `JSONDecoder`, which also checks the text.
    static func parseSingle(_ bytes: [UInt8]) -> IncomingMessage {
        let data = Data(bytes)
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch let error as EnvelopeError {
            return .invalid(id: nil, error: RPCError(code: RPCError.invalidRequest, message: error.message))
        } catch {
            return tooDeep(bytes) ?? .invalid(id: nil, error: parseError(error))
        }
        return classify(envelope, bytes: bytes)
    }

    /// `JSONDecoder` refuses JSON nested past its limit as merely "not valid JSON": this says
    /// what is wrong, keeping the request's id when it can be read, and names `params` when
    /// the nesting is there.
    private static func tooDeep(_ bytes: [UInt8]) -> IncomingMessage? {
        let limit = JSONValueWriter.nestingLimit
        guard RawJSONText.nestingDepth(of: bytes[...], limit: limit) > limit else { return nil }
        let members = RawJSONText.envelope(in: bytes)
        let id = members.repeated == nil ? members.id.flatMap { RequestID(jsonText: bytes[$0]) } : nil
        let advice = "at most \(limit) are accepted: flatten the data, or send deeply nested data as a string"
        if let params = members.params, RawJSONText.nestingDepth(of: bytes[params], limit: limit - 1) >= limit {
            return .invalid(id: id, error: .invalidParams(
                "params nest objects and arrays more than \(limit - 1) levels deep (\(limit) with the message itself); \(advice)",
                field: "params"))
        }
        return .invalid(id: id, error: RPCError(
            code: RPCError.invalidRequest,
            message: "invalid request: the message nests objects and arrays more than \(limit) levels deep; \(advice)"))
    }

    private static func classify(_ envelope: Envelope, bytes: [UInt8]) -> IncomingMessage {
        let members = RawJSONText.envelope(in: bytes)
        let id: RequestID?
        if envelope.hasID, !envelope.idIsNull, members.repeated != "id" {
            guard let range = members.id, let value = RequestID(jsonText: bytes[range]) else {
                return .invalid(id: nil, error: RPCError(
                    code: RPCError.invalidRequest, message: "invalid request: \"id\" must be a number or a string"))
            }
            id = value
        } else {
            id = nil
        }
        // The envelope is decoded (the first of a repeated name wins) and the id and params
        // are read from the text: only a message that names each of them once reads the same
        // both ways.
        if let name = members.repeated {
            return .invalid(id: id, error: RPCError(
                code: RPCError.invalidRequest,
                message: "invalid request: the member \"\(name)\" appears more than once; a message names each member once"))
        }
        guard envelope.jsonrpc == "2.0" else {
            return .invalid(id: id, error: RPCError(
                code: RPCError.invalidRequest, message: "invalid request: \"jsonrpc\" must be \"2.0\""))
        }
        guard let method = envelope.method else {
            if envelope.hasResultOrError, envelope.hasID { return .response(id: id, message: Data(bytes)) }
            return .invalid(id: id, error: RPCError(
                code: RPCError.invalidRequest, message: "invalid request: \"method\" must be a string"))
        }
        // The shape is read from the text: opening the object through the decoder would
        // decode its keys, and one that is not valid Unicode would make it look like no object.
        if let params = members.params,
           ![UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "n")].contains(bytes[params.lowerBound]) {
            return .invalid(id: id, error: RPCError(
                code: RPCError.invalidRequest, message: "invalid request: \"params\" must be an object or an array"))
        }
        let message = ReceivedMessage(bytes: bytes, params: members.params)
        if !envelope.hasID { return .notification(method: method, message: message) }
        return .request(id: id, method: method, message: message)
    }

    private static func parseBatch(_ bytes: [UInt8]) -> IncomingMessage {
        // Checks that the whole text is JSON (the scanner's pass, or `JSONDecoder`'s where it
        // gives up); members are then classified from their own bytes, so each keeps its id's
        // exact text.
        let elements: [Range<Int>]
        if let scanned = bytes.withUnsafeBufferPointer(MessageScanner.elements(of:)) {
            elements = scanned
        } else {
            do {
                _ = try JSONDecoder().decode([Unread].self, from: Data(bytes))
                guard let ranges = RawJSONText.elements(in: bytes) else {
                    return .invalid(id: nil, error: RPCError(code: RPCError.parseError, message: "parse error: the batch could not be split"))
                }
                elements = ranges
            } catch {
                return tooDeep(bytes) ?? .invalid(id: nil, error: parseError(error))
            }
        }
        if elements.isEmpty {
            return .invalid(id: nil, error: RPCError(code: RPCError.invalidRequest, message: "invalid request: a batch must not be empty"))
        }
        return .batch(elements.map { range in
            guard bytes[range.lowerBound] == UInt8(ascii: "{") else {
                return .invalid(id: nil, error: RPCError(
                    code: RPCError.invalidRequest, message: "invalid request: each batch member must be a request object"))
            }
            let member = Array(bytes[range])
            return scanned(member) ?? parseSingle(member)
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

/// The members of a message that say what it is. The id's value and the params' shape are
/// read from the raw text (`RawJSONText`), not decoded.
private struct Envelope: Decodable {
    var jsonrpc: String?
    var hasID = false
    var idIsNull = false
    var method: String?
    var hasResultOrError = false

    enum CodingKeys: String, CodingKey { case jsonrpc, id, method, result, error }

    init(from decoder: Decoder) throws {
        guard let container = try? decoder.container(keyedBy: CodingKeys.self) else {
            // The text is valid JSON (the decoder checks that first) but not an object.
            throw EnvelopeError(message: "invalid request: a message must be a JSON object (or an array of them)")
        }
        jsonrpc = try? container.decodeIfPresent(String.self, forKey: .jsonrpc)
        hasID = container.contains(.id)
        idIsNull = try hasID && container.decodeNil(forKey: .id)
        if container.contains(.method) {
            guard let method = try? container.decode(String.self, forKey: .method) else {
                throw EnvelopeError(message: "invalid request: \"method\" must be a string")
            }
            self.method = method
        }
        hasResultOrError = container.contains(.result) || container.contains(.error)
    }
}

/// A value that is checked to be JSON and otherwise ignored.
private struct Unread: Decodable {
    init(from decoder: Decoder) throws {}
}

/// A request's or notification's text as it arrived, and where in it its params are.
public struct ReceivedMessage: Sendable {
    /// The whole message.
    let bytes: [UInt8]
    /// The raw text of `params` in `bytes`; nil when there is no `params` member.
    let params: Range<Int>?

    /// The whole message, for a handler that reads it itself.
    var data: Data { Data(bytes) }

    /// The params' own bytes; nil when absent or `null`, which decode as `{}` would.
    var paramsText: ArraySlice<UInt8>? {
        guard let params, bytes[params.lowerBound] != UInt8(ascii: "n") else { return nil }
        return bytes[params]
    }

    /// Absent, `null` or an empty object: params that decode the same for every message.
    var hasEmptyParams: Bool {
        guard let text = paramsText else { return true }
        return text.first == UInt8(ascii: "{") && text.dropFirst().first(where: { !IncomingMessage.isJSONWhitespace($0) }) == UInt8(ascii: "}")
    }
}
