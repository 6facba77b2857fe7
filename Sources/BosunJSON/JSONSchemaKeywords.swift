import Foundation

/// The draft 2020-12 keywords bosun's validator knows, and the check of a schema itself:
/// every keyword of a schema is either asserted, an annotation, or refused by name, so a
/// schema never passes a value because a keyword it relies on was quietly skipped.
enum JSONSchemaKeywords {
    /// The dialect a `$schema` may name; any other dialect is refused.
    static let dialect = "https://json-schema.org/draft/2020-12/schema"

    /// Keywords whose value is one subschema.
    static let subschema: Set<String> = ["not", "if", "then", "else", "items", "contains", "additionalProperties", "propertyNames"]
    /// Keywords whose value is a list of subschemas.
    static let subschemaList: Set<String> = ["allOf", "anyOf", "oneOf", "prefixItems"]
    /// Keywords whose value maps names (or patterns) to subschemas.
    static let subschemaMap: Set<String> = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]
    /// Keywords asserted on the value itself.
    static let assertions: Set<String> = [
        "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains",
        "maxProperties", "minProperties", "required", "dependentRequired", "$ref",
    ]
    /// Keywords that only annotate (the draft lets `format` be an annotation); never asserted.
    static let annotations: Set<String> = [
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly",
        "writeOnly", "format", "contentEncoding", "contentMediaType", "contentSchema",
    ]

    static let known = subschema.union(subschemaList).union(subschemaMap).union(assertions).union(annotations)

    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]

    /// Why a keyword bosun does not support is refused, and what to do instead.
    static func unsupported(_ keyword: String) -> String {
        switch keyword {
        case "unevaluatedProperties": return "keyword \"unevaluatedProperties\" is not supported; use additionalProperties"
        case "unevaluatedItems": return "keyword \"unevaluatedItems\" is not supported; use items with prefixItems"
        case "$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef", "$recursiveAnchor":
            return "keyword \"\(keyword)\" is not supported; use a $ref to a JSON Pointer such as #/$defs/name"
        default: return "keyword \"\(keyword)\" is not supported by bosun's schema validator; remove it or express it with supported keywords"
        }
    }

    /// Problems with one schema node and, recursively, its subschemas.
    static func lint(_ schema: JSONValue, root: JSONValue, path: String, into problems: inout [SchemaViolation], depth: Int) {
        guard depth < 64 else { return problems.append(.init(path: path, message: "schema nests deeper than 64 levels")) }
        if case .bool = schema { return }
        guard let object = schema.objectValue else {
            return problems.append(.init(path: path, message: "a schema must be an object or a boolean, got \(schema.typeName)"))
        }
        for key in object.keys.sorted() {
            if let problem = refusal(of: key, in: object, isRoot: depth == 0) {
                problems.append(.init(path: path + "/" + JSONSchemaValidator.escape(key), message: problem, keyword: key))
            }
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
        if let pattern = object["pattern"]?.stringValue, JSONSchemaValidator.regex(pattern) == nil {
            problems.append(.init(path: path + "/pattern", message: "pattern is not a valid regular expression"))
        }
        if let ref = object["$ref"]?.stringValue, ref.hasPrefix("#"), JSONSchemaValidator.resolve(ref: ref, in: root) == nil {
            problems.append(.init(path: path + "/$ref", message: "cannot resolve $ref \(ref): no such location in this schema"))
        }
        for key in subschema.sorted() {
            if let sub = object[key] { lint(sub, root: root, path: path + "/" + key, into: &problems, depth: depth + 1) }
        }
        for key in subschemaList.sorted() {
            guard let list = object[key] else { continue }
            guard let items = list.arrayValue else {
                problems.append(.init(path: path + "/" + key, message: "\(key) must be a list of schemas"))
                continue
            }
            for (i, sub) in items.enumerated() { lint(sub, root: root, path: "\(path)/\(key)/\(i)", into: &problems, depth: depth + 1) }
        }
        for key in subschemaMap.sorted() {
            guard let map = object[key] else { continue }
            guard let entries = map.objectValue else {
                problems.append(.init(path: path + "/" + key, message: "\(key) must map names to schemas"))
                continue
            }
            for (name, sub) in entries.sorted(by: { $0.key < $1.key }) {
                lint(sub, root: root, path: "\(path)/\(key)/\(JSONSchemaValidator.escape(name))", into: &problems, depth: depth + 1)
            }
        }
    }

    /// Why `key` cannot be used in this schema node, or nil when it can.
    static func refusal(of key: String, in object: [String: JSONValue], isRoot: Bool) -> String? {
        guard known.contains(key) else { return unsupported(key) }
        switch key {
        case "$ref":
            guard let ref = object[key]?.stringValue, ref.hasPrefix("#") else {
                return "keyword \"$ref\" is supported only for references inside this schema (#, #/$defs/name); remote references are not fetched"
            }
        case "$id" where !isRoot:
            return "keyword \"$id\" is supported only at the root of a schema; nested schema resources are not supported"
        case "$schema" where object[key]?.stringValue != dialect:
            return "keyword \"$schema\" names a dialect other than \(dialect); only draft 2020-12 is supported"
        default: break
        }
        return nil
    }
}
