import BosunJSON
import Foundation
import Synchronization

/// How much an operation's params may hold: every string and array a client sends has a
/// limit, so no request can make the session keep, store and repeat megabytes it never needed.
///
/// The limits are the `maxLength` and `maxItems` that protocol/bosun-1.schema.json gives the
/// params' fields (so clients, the MCP tool schemas and the docs see the same numbers); a
/// string or array the schema leaves open (inside an output schema, say) gets the defaults
/// below, and all the text of one request together is bounded too. A check walks the typed
/// params (`SizeCheckingEncoder`), building no JSON.
public struct InputBounds: Sendable {
    /// A string without a limit of its own: 64 Ki characters.
    public static let defaultMaxLength = 65_536
    /// An array without a limit of its own.
    public static let defaultMaxItems = 1_000
    /// All the strings of one request's params together (keys included): 4 Mi characters.
    public static let maxTotalLength = 4 << 20

    /// A field's limits, by its path with array indexes as `[]` (`inputs[]`, `checks[].command`).
    struct Limit: Sendable, Hashable {
        var maxLength: Int?
        var maxItems: Int?
    }

    let limits: [String: Limit]

    /// The bounds of a `$defs` definition of the schema (`spawn.params`).
    public static func of(definition: String, in schema: ProtocolSchema = .shared) -> InputBounds {
        if let known = cache.withLock({ $0[definition] }) { return known }
        var limits: [String: Limit] = [:]
        if let root = schema.definitions[definition] {
            collect(root, at: "", into: &limits, definitions: schema.definitions, depth: 0)
        }
        let bounds = InputBounds(limits: limits)
        cache.withLock { $0[definition] = bounds }
        return bounds
    }

    private static let cache = Mutex<[String: InputBounds]>([:])

    /// Refuses `params` with -32602 naming the first field past its limit, and the limit.
    public func check<Params: Encodable>(_ params: Params) throws {
        let walk = SizeCheckingEncoder.Walk(bounds: self)
        do {
            try params.encode(to: SizeCheckingEncoder(walk: walk, codingPath: []))
        } catch let error as SessionError {
            throw error
        } catch {
            // Params that cannot be encoded were decoded from JSON moments ago; never here.
            return
        }
    }

    /// The limit of the field at `pattern`, or the defaults.
    public func maxLength(at pattern: String) -> Int { limits[pattern]?.maxLength ?? Self.defaultMaxLength }
    public func maxItems(at pattern: String) -> Int { limits[pattern]?.maxItems ?? Self.defaultMaxItems }

    /// Records the limits found in `schema` for the field at `path`, following `$ref`s,
    /// `properties`, `items` and every branch of `oneOf`, `anyOf`
    /// and `allOf` (a field named in several branches gets the largest limit).
    private static func collect(_ schema: JSONValue, at path: String, into limits: inout [String: Limit],
                                definitions: [String: JSONValue], depth: Int) {
        guard depth < 16, case .object(let node) = schema else { return }
        if let reference = node["$ref"]?.stringValue, reference.hasPrefix("#/$defs/"),
           let target = definitions[String(reference.dropFirst("#/$defs/".count))] {
            collect(target, at: path, into: &limits, definitions: definitions, depth: depth + 1)
        }
        if node["maxLength"] != nil || node["maxItems"] != nil {
            var limit = limits[path] ?? Limit()
            if let length = node["maxLength"]?.intValue { limit.maxLength = max(limit.maxLength ?? 0, Int(length)) }
            if let items = node["maxItems"]?.intValue { limit.maxItems = max(limit.maxItems ?? 0, Int(items)) }
            limits[path] = limit
        }
        for (name, child) in node["properties"]?.objectValue ?? [:] {
            collect(child, at: path.isEmpty ? name : "\(path).\(name)", into: &limits, definitions: definitions, depth: depth + 1)
        }
        if let items = node["items"] {
            collect(items, at: path + "[]", into: &limits, definitions: definitions, depth: depth + 1)
        }
        for keyword in ["oneOf", "anyOf", "allOf"] {
            for branch in node[keyword]?.arrayValue ?? [] {
                collect(branch, at: path, into: &limits, definitions: definitions, depth: depth + 1)
            }
        }
    }

    static func tooLong(_ field: String, length: Int, limit: Int) -> SessionError {
        SessionError.invalidParams(field, """
            \(field) is \(length) characters long; the limit is \(limit). Put long material in a file in the \
            workspace and name the file in inputs, or send less.
            """)
    }

    static func tooMany(_ field: String, limit: Int) -> SessionError {
        SessionError.invalidParams(field, "\(field) has more than \(limit) items; the limit is \(limit). Send fewer, or split the work.")
    }

    static func tooMuch(_ field: String) -> SessionError {
        SessionError.invalidParams(field, """
            The params hold more than \(maxTotalLength) characters of text in all (the limit of one request), \
            most of it in \(field). Put long material in files in the workspace and name them in inputs.
            """)
    }
}
