import BosunJSON
import Foundation

/// MCP 2026-07-28 over Streamable HTTP mirrors parts of a request into headers, so that
/// whatever sits between bosun and the server can route on them: `Mcp-Method`, `Mcp-Name`,
/// and `Mcp-Param-{Name}` for each tool parameter whose schema says `x-mcp-header`. A tool
/// whose annotations break the spec's rules is left out of the tool list, as the spec asks.
struct MCPHeaderMirror: Sendable {
    /// Each annotated parameter: its header name and its path of `properties` from the root.
    private(set) var parameters: [(header: String, path: [String])] = []

    /// The mirror of a tool's input schema, or why its annotations are invalid.
    static func of(_ schema: JSONValue) -> Result<MCPHeaderMirror, MCPHeaderProblem> {
        var mirror = MCPHeaderMirror()
        if let problem = mirror.collect(schema, path: [], reachable: true) { return .failure(problem) }
        var seen: Set<String> = []
        for parameter in mirror.parameters where !seen.insert(parameter.header.lowercased()).inserted {
            return .failure(MCPHeaderProblem(reason: "x-mcp-header \"\(parameter.header)\" is used twice"))
        }
        return .success(mirror)
    }

    /// `Mcp-Param-{Name}` headers for a call with `arguments`; a parameter without a value has none.
    func headers(for arguments: JSONValue) -> [(name: String, value: String)] {
        parameters.compactMap { parameter in
            var value: JSONValue? = arguments
            for key in parameter.path { value = value?[key] }
            let text: String
            switch value {
            case .string(let string)?: text = string
            case .int(let number)?: text = String(number)
            case .bool(let flag)?: text = flag ? "true" : "false"
            default: return nil
            }
            return ("Mcp-Param-\(parameter.header)", Self.encode(text))
        }
    }

    /// A header value as the spec writes it: plain when it is visible ASCII (inner spaces and
    /// tabs allowed), else `=?base64?…?=` of its UTF-8 (also when plain text looks like that).
    static func encode(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let plain = bytes.allSatisfy { (0x21...0x7E).contains($0) || $0 == 0x20 || $0 == 0x09 }
            && (bytes.first.map { $0 != 0x20 && $0 != 0x09 } ?? true)
            && (bytes.last.map { $0 != 0x20 && $0 != 0x09 } ?? true)
            && !(text.hasPrefix("=?base64?") && text.hasSuffix("?="))
        return plain ? text : "=?base64?\(Data(bytes).base64EncodedString())?="
    }

    /// The headers every modern request over HTTP carries besides the protocol version.
    static func standard(for message: JSONValue) -> [(name: String, value: String)] {
        guard let method = message["method"]?.stringValue else { return [] }
        var headers = [("Mcp-Method", method)]
        let name = method == "resources/read" ? message["params"]?["uri"] : message["params"]?["name"]
        if ["tools/call", "prompts/get", "resources/read"].contains(method), let name = name?.stringValue {
            headers.append(("Mcp-Name", encode(name)))
        }
        return headers
    }

    /// Walks a schema: an annotation counts only on a property reached from the root through
    /// `properties` alone, of type string, integer or boolean, named by an HTTP token.
    private mutating func collect(_ schema: JSONValue, path: [String], reachable: Bool) -> MCPHeaderProblem? {
        switch schema {
        case .object(let fields):
            if let annotation = fields["x-mcp-header"] {
                guard reachable, !path.isEmpty else {
                    return MCPHeaderProblem(reason: "x-mcp-header is allowed only on a property reached through properties alone")
                }
                guard case .string(let header) = annotation, !header.isEmpty, header.utf8.allSatisfy(Self.isTokenByte) else {
                    return MCPHeaderProblem(reason: "x-mcp-header of \(path.joined(separator: ".")) is not an HTTP header name")
                }
                guard let type = fields["type"]?.stringValue, ["string", "integer", "boolean"].contains(type) else {
                    return MCPHeaderProblem(reason: "x-mcp-header is on \(path.joined(separator: ".")), which is not a string, integer or boolean")
                }
                parameters.append((header, path))
            }
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) where !["const", "enum", "default", "examples"].contains(key) {
                if key == "properties", case .object(let properties) = value {
                    for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
                        if let problem = collect(property, path: path + [name], reachable: reachable) { return problem }
                    }
                } else if let problem = collect(value, path: path, reachable: false) {
                    return problem
                }
            }
        case .array(let items):
            for item in items {
                if let problem = collect(item, path: path, reachable: false) { return problem }
            }
        default:
            break
        }
        return nil
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

/// Why a tool's `x-mcp-header` annotations are invalid.
struct MCPHeaderProblem: Error, Equatable {
    var reason: String
}
