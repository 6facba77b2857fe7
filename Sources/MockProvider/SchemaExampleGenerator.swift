import BosunJSON

/// Makes a value that satisfies a JSON Schema, so synthetic tool calls and `submit_result`
/// inputs pass the schema checks of whoever receives them.
///
/// Covers what tool and output schemas use: `type` (or a list of types), `const`, `enum`,
/// `default`, `examples`, `properties`/`required`, `items`/`prefixItems`, `minItems`,
/// `minLength`/`maxLength`, `minimum`/`maximum` (and exclusive forms), `multipleOf`,
/// common `format`s, `anyOf`/`oneOf` (first branch), `allOf` (merged), and local `$ref`s.
/// `pattern` cannot be satisfied in general and is ignored.
public struct SchemaExampleGenerator {
    private let root: JSONValue
    /// Guards against self-referential schemas.
    private let maxDepth = 12

    public init(root: JSONValue) {
        self.root = root
    }

    public static func example(for schema: JSONValue) -> JSONValue {
        SchemaExampleGenerator(root: schema).value(for: schema, name: "value", depth: 0)
    }

    func value(for schema: JSONValue, name: String, depth: Int) -> JSONValue {
        guard depth < maxDepth, case .object(let s) = schema else { return depth < maxDepth && schema == true ? "example" : .null }
        if let ref = s["$ref"]?.stringValue, let target = resolve(ref) { return value(for: target, name: name, depth: depth + 1) }
        if let constant = s["const"] { return constant }
        if let first = s["enum"]?.arrayValue?.first { return first }
        if let fallback = s["default"] { return fallback }
        if let first = s["examples"]?.arrayValue?.first { return first }
        if let branch = (s["anyOf"] ?? s["oneOf"])?.arrayValue?.first { return value(for: branch, name: name, depth: depth + 1) }
        if let parts = s["allOf"]?.arrayValue { return value(for: merged(parts), name: name, depth: depth + 1) }

        switch primaryType(s) {
        case "object": return object(s, depth: depth)
        case "array": return array(s, name: name, depth: depth)
        case "string": return .string(string(s, name: name))
        case "integer": return .int(Int64(number(s, integer: true)))
        case "number": return .double(number(s, integer: false))
        case "boolean": return true
        case "null": return .null
        default: return .string("example \(name)")
        }
    }

    private func primaryType(_ s: [String: JSONValue]) -> String? {
        if let type = s["type"]?.stringValue { return type }
        if let types = s["type"]?.arrayValue?.compactMap(\.stringValue) { return types.first { $0 != "null" } ?? types.first }
        if s["properties"] != nil { return "object" }
        if s["items"] != nil { return "array" }
        return nil
    }

    private func object(_ s: [String: JSONValue], depth: Int) -> JSONValue {
        var out: [String: JSONValue] = [:]
        let properties = s["properties"]?.objectValue ?? [:]
        let required = Set(s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for (key, propertySchema) in properties {
            out[key] = value(for: propertySchema, name: key, depth: depth + 1)
        }
        for key in required where out[key] == nil { out[key] = .string("example \(key)") }
        return .object(out)
    }

    private func array(_ s: [String: JSONValue], name: String, depth: Int) -> JSONValue {
        var items: [JSONValue] = (s["prefixItems"]?.arrayValue ?? []).map { value(for: $0, name: name, depth: depth + 1) }
        let count = max(Int(s["minItems"]?.intValue ?? 1), items.count, 1)
        let itemSchema = s["items"] ?? [:]
        // Unique items drawn from an enum (a synthesis conflict's workers) take its values in turn.
        let distinct = s["uniqueItems"]?.boolValue == true ? itemSchema["enum"]?.arrayValue ?? [] : []
        while items.count < count {
            items.append(distinct.isEmpty ? value(for: itemSchema, name: name, depth: depth + 1) : distinct[items.count % distinct.count])
        }
        if let maxItems = s["maxItems"]?.intValue, items.count > Int(maxItems) { items = Array(items.prefix(Int(maxItems))) }
        return .array(items)
    }

    private func string(_ s: [String: JSONValue], name: String) -> String {
        var text: String
        switch s["format"]?.stringValue {
        case "date-time": text = "2026-01-01T00:00:00Z"
        case "date": text = "2026-01-01"
        case "time": text = "00:00:00Z"
        case "email": text = "user@example.com"
        case "uri", "url", "iri": text = "https://example.com/"
        case "uuid": text = "00000000-0000-4000-8000-000000000000"
        case "ipv4": text = "192.0.2.1"
        case "hostname": text = "example.com"
        default: text = "example \(name)"
        }
        if let minLength = s["minLength"]?.intValue, text.count < Int(minLength) {
            text += String(repeating: "x", count: Int(minLength) - text.count)
        }
        if let maxLength = s["maxLength"]?.intValue, text.count > Int(maxLength) { text = String(text.prefix(Int(maxLength))) }
        return text
    }

    private func number(_ s: [String: JSONValue], integer: Bool) -> Double {
        let step = s["multipleOf"]?.doubleValue ?? (integer ? 1 : 0)
        var low = s["minimum"]?.doubleValue ?? -Double.greatestFiniteMagnitude
        if let exclusive = s["exclusiveMinimum"]?.doubleValue { low = max(low, exclusive + max(step, integer ? 1 : 0.5)) }
        var high = s["maximum"]?.doubleValue ?? Double.greatestFiniteMagnitude
        if let exclusive = s["exclusiveMaximum"]?.doubleValue { high = min(high, exclusive - max(step, integer ? 1 : 0.5)) }
        var candidate = min(max(1, low), high)
        if step > 0 { candidate = (candidate / step).rounded(.up) * step }
        if candidate > high, step > 0 { candidate = (high / step).rounded(.down) * step }
        return integer ? candidate.rounded(.up) : candidate
    }

    /// `#/$defs/Name`, `#/definitions/Name` or any other JSON pointer into the root.
    private func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        var node = root
        for token in ref.dropFirst().split(separator: "/") {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if let next = node[key] { node = next } else if let index = Int(key), let next = node.arrayValue?[safe: index] {
                node = next
            } else { return nil }
        }
        return node
    }

    private func merged(_ parts: [JSONValue]) -> JSONValue {
        var out: [String: JSONValue] = [:]
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for part in parts {
            let resolved = part["$ref"]?.stringValue.flatMap(resolve) ?? part
            for (key, value) in resolved.objectValue ?? [:] {
                switch key {
                case "properties": properties.merge(value.objectValue ?? [:]) { first, _ in first }
                case "required": required += value.arrayValue ?? []
                default: out[key] = out[key] ?? value
                }
            }
        }
        if !properties.isEmpty { out["properties"] = .object(properties) }
        if !required.isEmpty { out["required"] = .array(required) }
        return .object(out)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
