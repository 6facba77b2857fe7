import Foundation

/// Decodes a request's `params` straight from the message bytes, and turns a
/// `DecodingError` into an -32602 error that names the field a user must fix.
enum ParamsDecoding {
    /// Absent or `null` params decode as if the client had sent `{}`, so a params type whose
    /// fields are all optional accepts them and one with required fields names the first.
    /// `rejectingUnknownFields`: a field the type does not have is an error that names it
    /// (`KnownFieldsOnly`), not ignored.
    static func decode<P: Decodable>(_ type: P.Type, fromMessage message: Data, rejectingUnknownFields: Bool) throws(RPCError) -> P {
        guard rejectingUnknownFields else { return try decode(type, fromMessage: message) }
        return try decode(KnownFieldsOnly<P>.self, fromMessage: message).value
    }

    static func decode<P: Decodable>(_ type: P.Type, fromMessage message: Data) throws(RPCError) -> P {
        do {
            if mayHaveParams(message), let params = try JSONDecoder().decode(ParamsEnvelope<P>.self, from: message).params {
                return params
            }
            return try JSONDecoder().decode(P.self, from: Data("{}".utf8))
        } catch let error as RPCError {
            throw error
        } catch let error as DecodingError {
            if case .dataCorrupted = error, let problem = loneSurrogateError(inParamsOf: message) { throw problem }
            throw rpcError(for: error)
        } catch {
            throw RPCError(code: RPCError.invalidParams, message: "invalid params: \(error)", data: ["field": "params"])
        }
    }

    /// False when the message certainly has no `params`: with no backslash in it, no key can
    /// be spelled with escapes, so a `params` key would show as the bytes `"params"`. Lets a
    /// request without params (a `status` poll) skip parsing the whole message again.
    static func mayHaveParams(_ message: Data) -> Bool {
        let key = paramsKey
        return message.withUnsafeBytes { bytes in
            var matched = 0
            for byte in bytes {
                if byte == UInt8(ascii: "\\") { return true }
                if byte == key[matched] {
                    matched += 1
                    if matched == key.count { return true }
                } else {
                    matched = byte == UInt8(ascii: "\"") ? 1 : 0
                }
            }
            return false
        }
    }

    private static let paramsKey = Array(#""params""#.utf8)

    /// `JSONDecoder` calls text with a lone surrogate merely "not valid JSON"; this finds it
    /// and names the field, or gives nil when the params hold none.
    static func loneSurrogateError(inParamsOf message: Data) -> RPCError? {
        let bytes = Array(message)
        guard let found = RawJSONText.member(["params"], in: bytes).flatMap({ LoneSurrogates.first(in: bytes[$0]) }) else {
            return nil
        }
        return .invalidParams(
            "\(found.inKey ? "a key in" : "field") '\(found.field)' holds \(found.escape), half of a UTF-16 surrogate pair "
                + "without its other half, which is not valid Unicode; send the text as UTF-8, or escape both halves "
                + "(\\ud83d\\ude00)", field: found.field)
    }

    static func rpcError(for error: DecodingError) -> RPCError {
        switch error {
        case .keyNotFound(let key, let context):
            let field = fieldPath(context.codingPath + [key])
            return .invalidParams("missing required field '\(field)'", field: field)
        case .valueNotFound(let type, let context):
            let field = fieldPath(context.codingPath)
            return .invalidParams("field '\(field)' must not be null (expected \(jsonTypeName(type)))", field: field)
        case .typeMismatch(let type, let context):
            let field = fieldPath(context.codingPath)
            let expected = jsonTypeName(type)
            if field == "params" {
                return .invalidParams("params must be \(article(expected)) \(expected)", field: field)
            }
            return .invalidParams("field '\(field)' must be \(article(expected)) \(expected)", field: field)
        case .dataCorrupted(let context):
            let field = fieldPath(context.codingPath)
            return .invalidParams("field '\(field)' is invalid: \(context.debugDescription)", field: field)
        @unknown default:
            return .invalidParams("invalid params: \(error)", field: "params")
        }
    }

    /// `params.limits.maxSteps` → `limits.maxSteps`; `params.inputs[2]` → `inputs[2]`.
    static func fieldPath(_ path: [CodingKey]) -> String {
        var keys = path[...]
        if keys.first?.stringValue == "params" && keys.first?.intValue == nil { keys = keys.dropFirst() }
        if keys.isEmpty { return "params" }
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    /// The JSON name of the type a decoder wanted, for messages a client author understands.
    static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: return "string"
        case is Bool.Type: return "boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: return "integer"
        case is Double.Type, is Float.Type: return "number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array<") || name.hasPrefix("[") && !name.contains(":") { return "array" }
            if name.hasPrefix("Optional<") { return jsonTypeName(unwrapName: name) }
            return "object"
        }
    }

    private static func jsonTypeName(unwrapName name: String) -> String {
        let inner = name.dropFirst("Optional<".count).dropLast()
        switch inner {
        case "String": return "string"
        case "Bool": return "boolean"
        case "Int", "Int64", "Int32": return "integer"
        case "Double", "Float": return "number"
        default: return inner.hasPrefix("Array<") ? "array" : "object"
        }
    }

    private static func article(_ word: String) -> String {
        word.first.map { "aeiou".contains($0) } == true ? "an" : "a"
    }
}

/// Reads only the `params` member of a JSON-RPC message.
private struct ParamsEnvelope<P: Decodable>: Decodable {
    var params: P?

    enum CodingKeys: String, CodingKey { case params }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if try !container.contains(.params) || container.decodeNil(forKey: .params) {
            params = nil
        } else {
            params = try container.decode(P.self, forKey: .params)
        }
    }
}
