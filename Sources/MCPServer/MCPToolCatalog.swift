import BosunJSON
import BosunProtocol

/// `tools/list`: every entry of `BosunOperations` as a tool, with its title, the
/// description written for a calling model, its schemas and its hints. Nothing here names
/// an operation; the table does.
enum MCPToolCatalog {
    /// The answer to `tools/list`, built once: the table is fixed for the life of the process.
    static let listResult = EncodedJSON(writtenJSON: JSONValue.object(["tools": .array(BosunOperations.all.map { tool($0) })]).jsonData())

    /// Each operation's MCP input schema, by tool name, for checking arguments.
    static let inputSchemas: [String: CheckedSchema] = Dictionary(
        uniqueKeysWithValues: BosunOperations.all.map { ($0.info.name, CheckedSchema(inputSchema(of: $0))) })

    /// An operation that makes a worker (its result is a `Worker`) can run as an MCP task:
    /// the worker is the task.
    static func makesWorkers(_ operation: some SessionOperation) -> Bool {
        type(of: operation).Result.self == Worker.self
    }

    private static func tool(_ operation: some SessionOperation) -> JSONValue {
        let info = operation.info
        var tool: [String: JSONValue] = [
            "name": .string(info.name),
            "title": .string(info.title),
            "description": .string(info.description),
            "inputSchema": inputSchema(of: operation),
            "outputSchema": outputSchema(of: operation),
            "annotations": [
                "title": .string(info.title),
                "readOnlyHint": .bool(info.readOnly),
                // Nothing bosun does deletes or overwrites what a client had: workers are
                // read-only unless their role grants writes, and every run stays in the trace.
                "destructiveHint": false,
                "idempotentHint": .bool(info.readOnly),
                "openWorldHint": .bool(info.opensWorld),
            ],
        ]
        if makesWorkers(operation) { tool["execution"] = ["taskSupport": "optional"] }
        return .object(tool)
    }

    /// The params schema as MCP wants it: a plain object schema at the top, which is what
    /// model APIs accept (no `anyOf` or `null` there). Alternatives are merged into one set
    /// of properties, and constraints between fields (`cancel`: `workerId` or `all`) are left
    /// to the operation, whose refusal names the field. A progress token field is dropped:
    /// MCP carries it in `_meta.progressToken`. Unknown fields are refused, so a misspelt
    /// field is an error the caller sees rather than a silent default.
    static func inputSchema(of operation: some SessionOperation) -> JSONValue {
        let standalone = operation.inputSchema.objectValue ?? [:]
        let definitions = standalone["$defs"]?.objectValue ?? [:]
        var properties = standalone["properties"]?.objectValue ?? [:]
        let required = standalone["required"]?.arrayValue ?? []
        for alternative in (standalone["anyOf"] ?? standalone["oneOf"])?.arrayValue ?? [] {
            let resolved = resolve(alternative, in: definitions)
            for (name, schema) in resolved["properties"]?.objectValue ?? [:] where properties[name] == nil {
                properties[name] = schema
            }
        }
        properties = properties.filter { $0.value["$ref"]?.stringValue != "#/$defs/ProgressToken" }
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required) }
        if let dialect = standalone["$schema"] { schema["$schema"] = dialect }
        let used = definitions.filter { name, _ in ProtocolSchemaReferences.reaches(name, from: .object(schema), in: definitions) }
        if !used.isEmpty { schema["$defs"] = .object(used) }
        return .object(schema)
    }

    /// The result schema, marked as an object at the top as MCP requires (every result is one;
    /// `status` is one of two object shapes).
    static func outputSchema(of operation: some SessionOperation) -> JSONValue {
        var schema = operation.outputSchema.objectValue ?? [:]
        if schema["type"] == nil { schema["type"] = "object" }
        return .object(schema)
    }

    private static func resolve(_ schema: JSONValue, in definitions: [String: JSONValue]) -> JSONValue {
        guard let reference = schema["$ref"]?.stringValue, reference.hasPrefix("#/$defs/") else { return schema }
        return definitions[String(reference.dropFirst("#/$defs/".count))] ?? schema
    }
}

/// Which `$defs` entries a schema still refers to, directly or through other entries.
enum ProtocolSchemaReferences {
    static func reaches(_ name: String, from schema: JSONValue, in definitions: [String: JSONValue]) -> Bool {
        var seen: Set<String> = []
        var pending = references(in: schema)
        while let next = pending.popLast() {
            if next == name { return true }
            guard seen.insert(next).inserted, let definition = definitions[next] else { continue }
            pending += references(in: definition)
        }
        return false
    }

    private static func references(in value: JSONValue) -> [String] {
        switch value {
        case .object(let members):
            var names: [String] = []
            if let reference = members["$ref"]?.stringValue, reference.hasPrefix("#/$defs/") {
                names.append(String(reference.dropFirst("#/$defs/".count)))
            }
            for (key, member) in members where key != "$ref" && key != "$defs" { names += references(in: member) }
            return names
        case .array(let items):
            return items.flatMap(references(in:))
        default:
            return []
        }
    }
}
