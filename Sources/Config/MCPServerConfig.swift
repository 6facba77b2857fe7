import BosunJSON
import Foundation

/// One MCP server workers may use, in the shape of Claude Code's `.mcp.json` entries: a
/// command bosun starts and talks to over stdio, or a Streamable HTTP endpoint. Values may
/// use `${VAR}` and `${VAR:-default}`, expanded from bosun's environment when the server
/// starts (`expanded(environment:)`). Env and header values are secrets: they are redacted
/// from the trace store and never shown by `bosun config`.
public struct MCPServerConfig: Sendable, Hashable {
    public enum Transport: Sendable, Hashable {
        case stdio(command: String, args: [String], env: [String: String], cwd: String?)
        case http(url: String, headers: [String: String])
    }

    public var name: String
    public var transport: Transport

    public init(name: String, transport: Transport) {
        self.name = name
        self.transport = transport
    }

    /// The values that must never reach the store: env values and header values, expanded.
    public func secretValues(environment: [String: String]) -> [String] {
        switch expanded(environment: environment).transport {
        case .stdio(_, _, let env, _): return Array(env.values)
        case .http(_, let headers): return Array(headers.values)
        }
    }

    /// Every `${VAR}` and `${VAR:-default}` in the command, args, env, cwd, url and headers
    /// replaced from `environment`; an unset variable without a default becomes empty.
    public func expanded(environment: [String: String]) -> MCPServerConfig {
        let expand = { (text: String) in Self.expand(text, environment: environment) }
        switch transport {
        case .stdio(let command, let args, let env, let cwd):
            return MCPServerConfig(name: name, transport: .stdio(command: expand(command), args: args.map(expand),
                                                                  env: env.mapValues(expand), cwd: cwd.map(expand)))
        case .http(let url, let headers):
            return MCPServerConfig(name: name, transport: .http(url: expand(url), headers: headers.mapValues(expand)))
        }
    }

    static func expand(_ text: String, environment: [String: String]) -> String {
        substitute(text) { name, fallback in
            let value = environment[name] ?? ""
            return value.isEmpty ? fallback ?? value : value
        }
    }

    /// The `${NAME}` and `${NAME:-default}` in `text`, in order.
    static func references(in text: String) -> [(name: String, hasDefault: Bool)] {
        var found: [(String, Bool)] = []
        _ = substitute(text) { name, fallback in
            found.append((name, fallback != nil))
            return ""
        }
        return found
    }

    /// `text` with each `${NAME}` and `${NAME:-default}` replaced by `value(NAME, default)`;
    /// an unclosed `${` stays as written.
    private static func substitute(_ text: String, value: (String, String?) -> String) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                out += rest[start.lowerBound...]
                return out
            }
            let body = rest[start.upperBound..<end]
            if let split = body.range(of: ":-") {
                out += value(String(body[..<split.lowerBound]), String(body[split.upperBound...]))
            } else {
                out += value(String(body), nil)
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}

/// Errors in an MCP server entry that came as JSON (a workspace's `.mcp.json`, an ACP
/// client's `session/new`): `field` names where, the message what to do.
public struct MCPServerConfigError: Error, Sendable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { "\(field): \(message)" }
}

extension MCPServerConfig {
    /// An entry of `.mcp.json`'s `mcpServers` object: `{type?, command, args?, env?, cwd?}` or
    /// `{type?: "http", url, headers?}`.
    public static func fromClaudeCodeJSON(name: String, _ value: JSONValue, field: String) throws -> MCPServerConfig {
        guard case .object(let object) = value else {
            throw MCPServerConfigError(field: field, message: "expected an object with command or url, got \(value.typeName)")
        }
        let type = try optionalString(object["type"], field: "\(field).type")
        if let url = try optionalString(object["url"], field: "\(field).url") {
            try checkHTTPType(type, field: field)
            return MCPServerConfig(name: name, transport: .http(url: try checkedURL(url, field: "\(field).url"),
                                                                 headers: try stringMap(object["headers"], field: "\(field).headers")))
        }
        guard let command = try optionalString(object["command"], field: "\(field).command"), !command.isEmpty else {
            throw MCPServerConfigError(field: field, message: "an MCP server needs a command (stdio) or a url (Streamable HTTP)")
        }
        if let type, type != "stdio" {
            throw MCPServerConfigError(field: "\(field).type", message: "a server with a command is a stdio server; type must be stdio or absent, got \"\(type)\"")
        }
        let args = try stringList(object["args"], field: "\(field).args")
        return MCPServerConfig(name: name, transport: .stdio(command: command, args: args,
                                                              env: try stringMap(object["env"], field: "\(field).env"),
                                                              cwd: try optionalString(object["cwd"], field: "\(field).cwd")))
    }

    /// One entry of ACP's `session/new` `mcpServers` list: `{name, command, args, env: [{name, value}]}`
    /// or `{type: "http", name, url, headers: [{name, value}]}`.
    public static func fromACPJSON(_ value: JSONValue, field: String) throws -> MCPServerConfig {
        guard case .object(let object) = value, let name = object["name"]?.stringValue, !name.isEmpty else {
            throw MCPServerConfigError(field: "\(field).name", message: "every MCP server needs a name")
        }
        if let url = try optionalString(object["url"], field: "\(field).url") {
            try checkHTTPType(try optionalString(object["type"], field: "\(field).type"), field: field)
            return MCPServerConfig(name: name, transport: .http(url: try checkedURL(url, field: "\(field).url"),
                                                                 headers: try namedValues(object["headers"], field: "\(field).headers")))
        }
        guard let command = try optionalString(object["command"], field: "\(field).command"), !command.isEmpty else {
            throw MCPServerConfigError(field: field, message: "an MCP server needs a command (stdio) or a url (http)")
        }
        return MCPServerConfig(name: name, transport: .stdio(command: command, args: try stringList(object["args"], field: "\(field).args"),
                                                              env: try namedValues(object["env"], field: "\(field).env"), cwd: nil))
    }

    static func checkHTTPType(_ type: String?, field: String) throws {
        if let type, type != "http" {
            let hint = type == "sse" ? "; the old HTTP+SSE transport is not supported, use the server's Streamable HTTP endpoint with type http" : ""
            throw MCPServerConfigError(field: "\(field).type", message: "a server with a url must have type http or none, got \"\(type)\"\(hint)")
        }
    }

    /// An http(s) URL with a host; one that uses `${VAR}` is checked when it is expanded.
    static func checkedURL(_ url: String, field: String) throws -> String {
        if url.contains("${") { return url }
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host != nil else {
            throw MCPServerConfigError(field: field, message: "expected an http:// or https:// URL, got \"\(url)\"")
        }
        return url
    }

    private static func optionalString(_ value: JSONValue?, field: String) throws -> String? {
        guard let value, !value.isNull else { return nil }
        guard let text = value.stringValue else { throw MCPServerConfigError(field: field, message: "expected a string, got \(value.typeName)") }
        return text
    }

    private static func stringList(_ value: JSONValue?, field: String) throws -> [String] {
        guard let value, !value.isNull else { return [] }
        guard let items = value.arrayValue else { throw MCPServerConfigError(field: field, message: "expected a list of strings, got \(value.typeName)") }
        return try items.enumerated().map { index, item in
            guard let text = item.stringValue else {
                throw MCPServerConfigError(field: "\(field)[\(index)]", message: "expected a string, got \(item.typeName)")
            }
            return text
        }
    }

    private static func stringMap(_ value: JSONValue?, field: String) throws -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        guard let object = value.objectValue else { throw MCPServerConfigError(field: field, message: "expected an object of strings, got \(value.typeName)") }
        return try object.mapValues { item in
            guard let text = item.stringValue else { throw MCPServerConfigError(field: field, message: "every value must be a string, got \(item.typeName)") }
            return text
        }
    }

    private static func namedValues(_ value: JSONValue?, field: String) throws -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        guard let items = value.arrayValue else { throw MCPServerConfigError(field: field, message: "expected a list of {name, value}, got \(value.typeName)") }
        var map: [String: String] = [:]
        for (index, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue, let text = item["value"]?.stringValue else {
                throw MCPServerConfigError(field: "\(field)[\(index)]", message: "expected {name, value} with two strings")
            }
            map[name] = text
        }
        return map
    }
}

/// `mcp` in the config: how bosun uses MCP servers (`mcpServers` lists them).
public struct MCPSettings: Sendable, Hashable {
    /// The servers of `mcpServers`, by name.
    public var servers: [String: MCPServerConfig] = [:]
    /// Also use the servers in the workspace's own `.mcp.json`. Off by default: that file
    /// comes with the workspace, and it can start any command.
    public var workspaceServers = false
    /// How long a server may take to start and answer `initialize` and `tools/list`.
    public var startTimeoutSeconds: Double = 30
    /// How long one tool call may take.
    public var callTimeoutSeconds: Double = 120
    /// The most bytes of a tool's result the model sees; the rest is cut with a note.
    public var maxResultBytes = 100_000

    public init() {}

    static let keys = ["workspaceServers", "startTimeoutSeconds", "callTimeoutSeconds", "maxResultBytes"]
}
