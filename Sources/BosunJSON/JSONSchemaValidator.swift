import Foundation
import Synchronization

/// One way a value fails a schema, located by a JSON Pointer into the value.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer to the offending part of the value ("" is the whole value).
    public var path: String
    public var message: String
    /// The schema keyword this is about when the schema itself is refused for using it
    /// (`unevaluatedProperties`, a remote `$ref`, …); nil for a value that fails a schema.
    public var keyword: String?

    public init(path: String, message: String, keyword: String? = nil) {
        self.path = path
        self.message = message
        self.keyword = keyword
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// A schema with its refusals (keywords the validator does not support) found once.
public struct CheckedSchema: Sendable {
    public let schema: JSONValue
    let refusals: [SchemaViolation]

    public init(_ schema: JSONValue) {
        self.schema = schema
        refusals = JSONSchemaValidator.problems(inSchema: schema).filter { $0.keyword != nil }
    }
}

/// Validates JSON values against JSON Schema (draft 2020-12), the vocabulary that worker
/// output schemas, tool inputs and `verify`'s schema checks use: types, enum/const, object,
/// array, string and number keywords, the applicators (allOf/anyOf/oneOf/not/if-then-else,
/// dependentSchemas) and `$ref`s inside the document. `format` and other annotations are
/// not asserted, as the draft allows. A keyword outside that set (`unevaluatedProperties`,
/// `$dynamicRef`, a remote `$ref`, …) is refused by name, by `problems(inSchema:)` and by
/// `validate`, never skipped: a schema that relies on it would otherwise pass anything.
/// The official JSON Schema Test Suite's draft 2020-12 cases prove it (`SchemaTestSuiteTests`).
public enum JSONSchemaValidator {
    /// The ways `value` fails `schema`. A schema that uses a keyword the validator does not
    /// support fails every value, with the refusal (its `keyword` set) as the violation.
    public static func validate(_ value: JSONValue, against schema: JSONValue) -> [SchemaViolation] {
        validate(value, against: CheckedSchema(schema))
    }

    /// `validate` against a schema checked once: for a schema used on every call (a tool's
    /// input schema), which would otherwise be walked for unsupported keywords each time.
    public static func validate(_ value: JSONValue, against checked: CheckedSchema) -> [SchemaViolation] {
        guard checked.refusals.isEmpty else { return checked.refusals }
        var run = Run(root: checked.schema)
        run.check(value, checked.schema, path: "", depth: 0)
        return run.violations
    }

    /// The compiled form of a `pattern` or `patternProperties` key, compiled once per
    /// process: schemas are checked on every tool call, and compiling costs microseconds.
    static func regex(_ pattern: String) -> NSRegularExpression? {
        if let found = regexes.withLock({ $0[pattern] }) { return found.regex }
        let compiled = try? NSRegularExpression(pattern: pattern)
        regexes.withLock { cache in
            if cache.count >= 1024 { cache.removeAll() }
            cache[pattern] = CompiledPattern(regex: compiled)
        }
        return compiled
    }

    private static let regexes = Mutex<[String: CompiledPattern]>([:])

    /// `@unchecked`: an `NSRegularExpression` is immutable once made and safe to share.
    private struct CompiledPattern: @unchecked Sendable {
        let regex: NSRegularExpression?
    }

    /// Problems with a schema itself (unsupported keywords, wrong keyword types, unknown type
    /// names, dangling `$ref`s), so a bad `output.schema` is refused at `spawn` rather than at
    /// the end.
    public static func problems(inSchema schema: JSONValue) -> [SchemaViolation] {
        var problems: [SchemaViolation] = []
        JSONSchemaKeywords.lint(schema, root: schema, path: "", into: &problems, depth: 0)
        return problems
    }

    /// The node a local `$ref` (a URI fragment holding a JSON Pointer, percent-encoded) names.
    static func resolve(ref: String, in root: JSONValue) -> JSONValue? {
        guard ref.hasPrefix("#"), let pointer = String(ref.dropFirst()).removingPercentEncoding else { return nil }
        guard pointer.isEmpty || pointer.hasPrefix("/") else { return nil }
        var node = root
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
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
            for (name, sub) in s["dependentSchemas"]?.objectValue ?? [:] where object[name] != nil {
                check(.object(object), sub, path: path, depth: depth + 1)
            }
            if let dependent = s["dependentRequired"]?.objectValue {
                for (name, needs) in dependent where object[name] != nil {
                    for other in needs.arrayValue?.compactMap(\.stringValue) ?? [] where object[other] == nil {
                        fail(path, "property \"\(name)\" requires property \"\(other)\"")
                    }
                }
            }
            let properties = s["properties"]?.objectValue ?? [:]
            let patterns = (s["patternProperties"]?.objectValue ?? [:]).compactMap { pattern, sub in
                JSONSchemaValidator.regex(pattern).map { ($0, sub) }
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
                if let regex = JSONSchemaValidator.regex(pattern) {
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
                if !quotient.isFinite || abs(quotient - quotient.rounded()) > 1e-9 { fail(path, "must be a multiple of \(Self.show(step))") }
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
