import BosunJSON
import Foundation

/// protocol/bosun-1.schema.json, compiled into the binary: the one source of every
/// operation's JSON Schemas. (`Resources/bosun-1.schema.json` is a link to that file, which
/// SwiftPM embeds as bytes, so the schemas a front end serves cannot drift from the file.)
public struct ProtocolSchema: Sendable {
    /// The bundle this build was compiled with. Parsing it cannot fail at run time: a test
    /// parses the same bytes, and a schema file that is not JSON fails it.
    public static let shared = ProtocolSchema(bundle: (try? JSONValue.parse(Data(PackageResources.bosun_1_schema_json))) ?? [:])

    /// The whole file: `$schema`, `$id`, `$defs`.
    public let bundle: JSONValue

    public init(bundle: JSONValue) {
        self.bundle = bundle
    }

    /// Every definition under `$defs`, by name (`Worker`, `spawn.params`, …).
    public var definitions: [String: JSONValue] { bundle["$defs"]?.objectValue ?? [:] }

    /// Definition `name` as a schema of its own, for a front end that hands schemas out one at
    /// a time (MCP's `inputSchema`/`outputSchema`): the definition itself, `$schema`, and every
    /// definition it refers to, directly or not, under `$defs`, where its `#/$defs/…`
    /// references still point. A definition that is only a `$ref` is replaced by the one it
    /// names, so the top level shows the type. `null` if there is no such definition.
    public func standalone(_ name: String) -> JSONValue {
        let definitions = self.definitions
        guard var root = definitions[name]?.objectValue else { return .null }
        while root.count == 1, let target = root["$ref"]?.stringValue.flatMap(Self.definitionName),
              let referred = definitions[target]?.objectValue {
            root = referred
        }
        var used: [String: JSONValue] = [:]
        var pending = Self.references(in: .object(root))
        while let next = pending.popLast() {
            guard used[next] == nil, let definition = definitions[next] else { continue }
            used[next] = definition
            pending += Self.references(in: definition)
        }
        if let schema = bundle["$schema"] { root["$schema"] = schema }
        if !used.isEmpty { root["$defs"] = .object(used) }
        return .object(root)
    }

    /// Definition `name` as a self-contained schema whose top level is an object, as a front
    /// end that always sends and gets an object of arguments needs (MCP's `inputSchema` and
    /// `outputSchema` must say `"type": "object"`). Params that bosun/1 also accepts absent
    /// (`"type": ["object", "null"]`, or `NoParams`) become their object form; a result
    /// that is one of several objects (`status`) says so at the top.
    public func objectSchema(_ name: String) -> JSONValue {
        guard case .object(var root) = standalone(name) else { return .null }
        if let types = root["type"]?.arrayValue, types.contains("object") {
            root["type"] = "object"
        } else if root["type"] == nil, let alternatives = (root["anyOf"] ?? root["oneOf"])?.arrayValue {
            let objects = alternatives.map(resolved).filter { $0["type"] == "object" }
            if objects.count == alternatives.count {
                root["type"] = "object"
            } else if objects.count == 1, case .object(let only) = objects[0] {
                root["anyOf"] = nil
                root["oneOf"] = nil
                root.merge(only) { _, new in new }
            }
        }
        return .object(root)
    }

    /// What a `$ref`-only schema points at; any other schema as it is.
    private func resolved(_ schema: JSONValue) -> JSONValue {
        guard schema.objectValue?.count == 1, let name = schema["$ref"]?.stringValue.flatMap(Self.definitionName),
              let definition = definitions[name] else { return schema }
        if let alternatives = definition["anyOf"]?.arrayValue, definition["type"] == nil {
            let objects = alternatives.filter { $0["type"] == "object" }
            if objects.count == 1 { return objects[0] }
        }
        return definition
    }

    /// The definition names `value`'s `$ref`s point at.
    static func references(in value: JSONValue) -> [String] {
        switch value {
        case .object(let members):
            var names = members["$ref"]?.stringValue.flatMap(definitionName).map { [$0] } ?? []
            for (key, member) in members where key != "$ref" { names += references(in: member) }
            return names
        case .array(let items):
            return items.flatMap(references(in:))
        default:
            return []
        }
    }

    /// `Worker` from `#/$defs/Worker` (JSON Pointer escapes undone); nil for other references.
    static func definitionName(_ reference: String) -> String? {
        let prefix = "#/$defs/"
        guard reference.hasPrefix(prefix) else { return nil }
        return String(reference.dropFirst(prefix.count)).replacingOccurrences(of: "~1", with: "/")
            .replacingOccurrences(of: "~0", with: "~")
    }
}
