import Foundation

/// Decodes a request's `params` from their own bytes, which the envelope's single read of
/// the message found, and turns a `DecodingError` into an -32602 error that names the field
/// a user must fix.
enum ParamsDecoding {
    /// Absent or `null` params decode as if the client had sent `{}`, so a params type whose
    /// fields are all optional accepts them and one with required fields names the first.
    /// `rejectingUnknownFields`: a field the type does not have is an error that names it
    /// (`KnownFieldsOnly`), not ignored.
    static func decode<P: Decodable>(_ type: P.Type, from message: ReceivedMessage, rejectingUnknownFields: Bool) throws(RPCError) -> P {
        try decode(type, params: message.paramsText, rejectingUnknownFields: rejectingUnknownFields)
    }

    static func decode<P: Decodable>(_ type: P.Type, params: ArraySlice<UInt8>?, rejectingUnknownFields: Bool) throws(RPCError) -> P {
        guard rejectingUnknownFields else { return try decode(type, params: params) }
        return try decode(KnownFieldsOnly<P>.self, params: params).value
    }

    private static func decode<P: Decodable>(_ type: P.Type, params: ArraySlice<UInt8>?) throws(RPCError) -> P {
        do {
            return try JSONDecoder().decode(P.self, from: params.map { Data($0) } ?? Data("{}".utf8))
        } catch let error as RPCError {
            throw error
        } catch let error as DecodingError {
            if case .dataCorrupted = error, let params, let problem = loneSurrogateError(in: params) { throw problem }
            throw rpcError(for: error)
        } catch {
            throw RPCError(code: RPCError.invalidParams, message: "invalid params: \(error)", data: ["field": "params"])
        }
    }

    /// `JSONDecoder` calls text with a lone surrogate merely "not valid JSON"; this finds it
    /// in a message's params and names the field, or gives nil when the params hold none.
    static func loneSurrogateError(inParamsOf message: Data) -> RPCError? {
        let bytes = Array(message)
        return RawJSONText.member(["params"], in: bytes).flatMap { loneSurrogateError(in: bytes[$0]) }
    }

    /// The same for the params' own bytes.
    static func loneSurrogateError(in params: ArraySlice<UInt8>) -> RPCError? {
        guard let found = LoneSurrogates.first(in: params) else { return nil }
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
