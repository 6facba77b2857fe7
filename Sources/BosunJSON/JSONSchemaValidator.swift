import Foundation

/// One way a value fails a schema, located by a JSON Pointer into the value.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer to the offending part of the value ("" is the whole value).
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Validates JSON values against JSON Schema (draft 2020-12), the vocabulary that worker
/// output schemas and tool inputs use: types, enum/const, object, array, string and number
/// keywords, the applicators (allOf/anyOf/oneOf/not/if-then-else) and local `$ref`s.
/// `format` and other annotations are not asserted, as the draft allows.
public enum JSONSchemaValidator {
    public static func validate(_ value: JSONValue, against schema: JSONValue) -> [SchemaViolation] {
        var run = Run(root: schema)
        run.check(value, schema, path: "", depth: 0)
        return run.violations
    }

    /// Problems with a schema itself (wrong keyword types, unknown type names, dangling
    /// `$ref`s), so a bad `output.schema` is refused at `spawn` rather than at the end.
    public static func problems(inSchema schema: JSONValue) -> [SchemaViolation] {
        var problems: [SchemaViolation] = []
        lint(schema, root: schema, path: "", into: &problems, depth: 0)
        return problems
    }

    private static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]
    private static let subschemaKeys = ["not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames"]
    private static let subschemaListKeys = ["allOf", "anyOf", "oneOf", "prefixItems"]
    private static let subschemaMapKeys = ["properties", "patternProperties", "$defs", "definitions"]

    private static func lint(_ schema: JSONValue, root: JSONValue, path: String, into problems: inout [SchemaViolation], depth: Int) {
        guard depth < 64 else { return problems.append(.init(path: path, message: "schema nests deeper than 64 levels")) }
        if case .bool = schema { return }
        guard let object = schema.objectValue else {
            return problems.append(.init(path: path, message: "a schema must be an object or a boolean, got \(schema.typeName)"))
        }
        if let type = object["type"] {
            let names = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue)
            if let names, names.allSatisfy(typeNames.contains) {} else {
                problems.append(.init(path: path + "/type", message: "type must be one of \(typeNames.sorted().joined(separator: ", ")) or a list of them"))
            }
        }
        if let required = object["required"], required.arrayValue?.allSatisfy({ $0.stringValue != nil }) != true {
            problems.append(.init(path: path + "/required", message: "required must be a list of property names"))
        }
        if let pattern = object["pattern"]?.stringValue, (try? NSRegularExpression(pattern: pattern)) == nil {
            problems.append(.init(path: path + "/pattern", message: "pattern is not a valid regular expression"))
        }
        if let ref = object["$ref"]?.stringValue, resolve(ref: ref, in: root) == nil {
            problems.append(.init(path: path + "/$ref", message: "cannot resolve $ref \(ref) (only local refs like #/$defs/name are supported)"))
        }
        for key in subschemaKeys {
            if let sub = object[key] { lint(sub, root: root, path: path + "/" + key, into: &problems, depth: depth + 1) }
        }
        for key in subschemaListKeys {
            guard let list = object[key] else { continue }
            guard let items = list.arrayValue else {
                problems.append(.init(path: path + "/" + key, message: "\(key) must be a list of schemas"))
                continue
            }
            for (i, sub) in items.enumerated() { lint(sub, root: root, path: "\(path)/\(key)/\(i)", into: &problems, depth: depth + 1) }
        }
        for key in subschemaMapKeys {
            guard let map = object[key] else { continue }
            guard let entries = map.objectValue else {
                problems.append(.init(path: path + "/" + key, message: "\(key) must map names to schemas"))
                continue
            }
            for (name, sub) in entries { lint(sub, root: root, path: "\(path)/\(key)/\(escape(name))", into: &problems, depth: depth + 1) }
        }
    }

    static func resolve(ref: String, in root: JSONValue) -> JSONValue? {
        guard ref.hasPrefix("#") else { return nil }
        var node = root
        for token in ref.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let object):
                guard let next = object[key] else { return nil }
                node = next
            case .array(let array):
                guard let index = Int(key), array.indices.contains(index) else { return nil }
                node = array[index]
            default:
                return nil
            }
        }
        return node
    }

    /// A JSON Pointer reference token: `~` as `~0`, `/` as `~1`. Most keys have neither, and
    /// Foundation's `replacingOccurrences` costs microseconds even then.
    static func escape(_ token: String) -> String {
        guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return token }
        return token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    private struct Run {
        let root: JSONValue
        var violations: [SchemaViolation] = []

        mutating func fail(_ path: String, _ message: String) {
            violations.append(SchemaViolation(path: path, message: message))
        }

        /// True when `value` passes `schema`, without recording anything.
        func passes(_ value: JSONValue, _ schema: JSONValue, path: String, depth: Int) -> Bool {
            var probe = Run(root: root)
            probe.check(value, schema, path: path, depth: depth)
            return probe.violations.isEmpty
        }

        mutating func check(_ value: JSONValue, _ schema: JSONValue, path: String, depth: Int) {
            if case .bool(let allowed) = schema {
                if !allowed { fail(path, "no value is allowed here") }
                return
            }
            guard let s = schema.objectValue else { return }
            guard depth < 128 else { return fail(path, "schema recursion deeper than 128 levels") }

            if let ref = s["$ref"]?.stringValue {
                if let target = JSONSchemaValidator.resolve(ref: ref, in: root) {
                    check(value, target, path: path, depth: depth + 1)
                } else {
                    fail(path, "cannot resolve $ref \(ref)")
                }
            }
            checkType(value, s, path: path)
            if let options = s["enum"]?.arrayValue, !options.contains(where: { Self.equal($0, value) }) {
                fail(path, "must be one of \(options.map { $0.jsonString() }.joined(separator: ", "))")
            }
            if let constant = s["const"], !Self.equal(constant, value) {
                fail(path, "must be \(constant.jsonString())")
            }
            switch value {
            case .object(let object): checkObject(object, s, path: path, depth: depth)
            case .array(let array): checkArray(array, s, path: path, depth: depth)
            case .string(let string): checkString(string, s, path: path)
            case .int, .double: checkNumber(value.doubleValue ?? 0, s, path: path)
            default: break
            }
            checkApplicators(value, s, path: path, depth: depth)
        }

        mutating func checkType(_ value: JSONValue, _ s: [String: JSONValue], path: String) {
            guard let type = s["type"] else { return }
            let allowed = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue) ?? []
            let matches = allowed.contains { name in
                switch name {
                case "integer": return value.intValue != nil
                case "number": return value.doubleValue != nil
                default: return value.typeName == name || (name == "number" && value.typeName == "integer")
                }
            }
            if !matches { fail(path, "expected \(allowed.joined(separator: " or ")), got \(value.typeName)") }
        }

        mutating func checkObject(_ object: [String: JSONValue], _ s: [String: JSONValue], path: String, depth: Int) {
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                fail(path, "missing required property \"\(name)\"")
            }
            if let min = s["minProperties"]?.intValue, object.count < min { fail(path, "must have at least \(min) properties") }
            if let max = s["maxProperties"]?.intValue, object.count > max { fail(path, "must have at most \(max) properties") }
            if let dependent = s["dependentRequired"]?.objectValue {
                for (name, needs) in dependent where object[name] != nil {
                    for other in needs.arrayValue?.compactMap(\.stringValue) ?? [] where object[other] == nil {
                        fail(path, "property \"\(name)\" requires property \"\(other)\"")
                    }
                }
            }
            let properties = s["properties"]?.objectValue ?? [:]
            let patterns = (s["patternProperties"]?.objectValue ?? [:]).compactMap { pattern, sub in
                (try? NSRegularExpression(pattern: pattern)).map { ($0, sub) }
            }
            for key in object.keys.sorted() {
                let child = object[key]!
                let childPath = path + "/" + JSONSchemaValidator.escape(key)
                var matched = false
                if let sub = properties[key] {
                    matched = true
                    check(child, sub, path: childPath, depth: depth + 1)
                }
                for (regex, sub) in patterns where Self.matches(regex, key) {
                    matched = true
                    check(child, sub, path: childPath, depth: depth + 1)
                }
                if !matched, let additional = s["additionalProperties"] {
                    if additional == .bool(false) {
                        fail(childPath, "property \"\(key)\" is not allowed")
                    } else {
                        check(child, additional, path: childPath, depth: depth + 1)
                    }
                }
                if let names = s["propertyNames"], !passes(.string(key), names, path: childPath, depth: depth + 1) {
                    fail(childPath, "property name \"\(key)\" is not allowed")
                }
            }
        }

        mutating func checkArray(_ array: [JSONValue], _ s: [String: JSONValue], path: String, depth: Int) {
            if let min = s["minItems"]?.intValue, array.count < min { fail(path, "must have at least \(min) items") }
            if let max = s["maxItems"]?.intValue, array.count > max { fail(path, "must have at most \(max) items") }
            if s["uniqueItems"]?.boolValue == true {
                for i in array.indices where array[..<i].contains(where: { Self.equal($0, array[i]) }) {
                    fail("\(path)/\(i)", "duplicates an earlier item")
                }
            }
            let prefix = s["prefixItems"]?.arrayValue ?? []
            for (i, item) in array.enumerated() {
                if i < prefix.count {
                    check(item, prefix[i], path: "\(path)/\(i)", depth: depth + 1)
                } else if let items = s["items"] {
                    check(item, items, path: "\(path)/\(i)", depth: depth + 1)
                }
            }
            if let contains = s["contains"] {
                let count = array.enumerated().filter { passes($0.element, contains, path: "\(path)/\($0.offset)", depth: depth + 1) }.count
                let min = s["minContains"]?.intValue ?? 1
                if count < min { fail(path, "must contain at least \(min) matching item(s)") }
                if let max = s["maxContains"]?.intValue, count > max { fail(path, "must contain at most \(max) matching item(s)") }
            }
        }

        mutating func checkString(_ string: String, _ s: [String: JSONValue], path: String) {
            let length = string.unicodeScalars.count
            if let min = s["minLength"]?.intValue, length < min { fail(path, "must be at least \(min) characters long") }
            if let max = s["maxLength"]?.intValue, length > max { fail(path, "must be at most \(max) characters long") }
            if let pattern = s["pattern"]?.stringValue {
                if let regex = try? NSRegularExpression(pattern: pattern) {
                    if !Self.matches(regex, string) { fail(path, "must match the pattern \(pattern)") }
                } else {
                    fail(path, "the schema's pattern \(pattern) is not a valid regular expression")
                }
            }
        }

        mutating func checkNumber(_ number: Double, _ s: [String: JSONValue], path: String) {
            if let min = s["minimum"]?.doubleValue, number < min { fail(path, "must be ≥ \(Self.show(min))") }
            if let max = s["maximum"]?.doubleValue, number > max { fail(path, "must be ≤ \(Self.show(max))") }
            if let min = s["exclusiveMinimum"]?.doubleValue, number <= min { fail(path, "must be > \(Self.show(min))") }
            if let max = s["exclusiveMaximum"]?.doubleValue, number >= max { fail(path, "must be < \(Self.show(max))") }
            if let step = s["multipleOf"]?.doubleValue, step > 0 {
                let quotient = number / step
                if abs(quotient - quotient.rounded()) > 1e-9 { fail(path, "must be a multiple of \(Self.show(step))") }
            }
        }

        mutating func checkApplicators(_ value: JSONValue, _ s: [String: JSONValue], path: String, depth: Int) {
            for sub in s["allOf"]?.arrayValue ?? [] { check(value, sub, path: path, depth: depth + 1) }
            if let options = s["anyOf"]?.arrayValue, !options.contains(where: { passes(value, $0, path: path, depth: depth + 1) }) {
                fail(path, "must match at least one of the anyOf schemas")
            }
            if let options = s["oneOf"]?.arrayValue {
                let count = options.filter { passes(value, $0, path: path, depth: depth + 1) }.count
                if count != 1 { fail(path, "must match exactly one of the oneOf schemas (matched \(count))") }
            }
            if let not = s["not"], passes(value, not, path: path, depth: depth + 1) {
                fail(path, "must not match the \"not\" schema")
            }
            if let condition = s["if"] {
                if passes(value, condition, path: path, depth: depth + 1) {
                    if let then = s["then"] { check(value, then, path: path, depth: depth + 1) }
                } else if let otherwise = s["else"] {
                    check(value, otherwise, path: path, depth: depth + 1)
                }
            }
        }

        /// JSON equality, where 1 and 1.0 are the same number.
        static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
            switch (a, b) {
            case (.int, .double), (.double, .int): return a.doubleValue == b.doubleValue
            case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
            case (.object(let x), .object(let y)):
                return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
            default: return a == b
            }
        }

        static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
            regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }

        static func show(_ number: Double) -> String {
            number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        }
    }
}
