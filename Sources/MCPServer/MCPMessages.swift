import BosunJSON
import Foundation
import JSONRPC

/// The protocol versions MCP mode speaks, newest first. A client asking for one of them gets
/// it; any other gets the newest, as the specification's version negotiation says.
public enum MCPVersion {
    public static let supported = ["2025-11-25", "2025-06-18", "2025-03-26"]
    public static let latest = supported[0]

    public static func negotiate(_ requested: String) -> String {
        supported.contains(requested) ? requested : latest
    }

    /// Tasks came with 2025-11-25 (with `notifications/tasks/status`); 2026-07-28 has them as an extension.
    static func hasTasks(_ version: String) -> Bool { version == "2025-11-25" || version == MCPStateless.version }
}

/// `initialize` params of an MCP client; only what bosun reads.
struct MCPInitializeParams: Decodable, Sendable {
    struct ClientInfo: Decodable, Sendable {
        var name: String
        var version: String?
    }

    var protocolVersion: String
    var capabilities: JSONValue?
    var clientInfo: ClientInfo?

    /// The client answers `roots/list`.
    var offersRoots: Bool { capabilities?["roots"]?.objectValue != nil }
}

/// `tools/call` params, read with BosunJSON's parser rather than `Decodable`: this is the
/// path of every tool call, and the parser is several times faster. `arguments` stays raw
/// so it can be checked against the tool's input schema before the operation decodes it.
struct MCPCallToolParams: Sendable {
    var name: String
    var arguments: JSONValue?
    /// `_meta.progressToken`: progress notifications go to it.
    var progressToken: JSONValue?
    /// `_meta.traceparent`, when it is a well-formed W3C trace context (OpenTelemetry's
    /// convention for MCP): a worker the call spawns links its span to the caller's.
    var traceparent: String?
    /// Present when the call is task-augmented (its `ttl` is not needed: tasks live in the
    /// trace store until pruned).
    var task: JSONValue?
    /// MCP 2026-07-28: the client's capabilities (in `_meta`) take form elicitation, so an
    /// ask can come back as an input request.
    var elicitsForms = false
    /// MCP 2026-07-28's retry of an `input_required` answer: the `requestState` it carried
    /// (the waiting worker) and the client's `inputResponses`.
    var requestState: String?
    var inputResponses: JSONValue?

    init(message: Data) throws(RPCError) {
        guard let request = MCPRequestReader.read(message) else {
            throw RPCError.loneSurrogate(inParamsOf: message)
                ?? .invalidParams("params must be an object with the tool's name and arguments", field: "params")
        }
        try self.init(reading: request)
    }

    /// From the request already read (2026-07-28 reads its `_meta` first).
    init(reading request: MCPRequestReader) throws(RPCError) {
        guard !request.paramsNotAnObject else {
            throw .invalidParams("params must be an object with the tool's name and arguments", field: "params")
        }
        guard let name = request["name"] else { throw .invalidParams("missing required field 'name'", field: "name") }
        guard case .string(let text) = name else { throw .invalidParams("field 'name' must be a string", field: "name") }
        self.name = text
        arguments = request["arguments"].flatMap { $0.isNull ? nil : $0 }
        progressToken = request.meta["progressToken"].flatMap { $0.isNull ? nil : $0 }
        traceparent = request.meta["traceparent"]?.stringValue.flatMap { MCPTraceContext.isValid($0) ? $0 : nil }
        elicitsForms = MCPAskForm.acceptsForms(request.meta[MCPStateless.capabilitiesKey]?["elicitation"])
        if let state = request["requestState"], !state.isNull {
            guard let text = state.stringValue else { throw .invalidParams("requestState must be the string bosun sent", field: "requestState") }
            requestState = text
        }
        inputResponses = request["inputResponses"].flatMap { $0.isNull ? nil : $0 }
        if let task = request["task"], !task.isNull {
            guard task.objectValue != nil else { throw .invalidParams("field 'task' must be an object", field: "task") }
            self.task = task
        }
    }
}

/// `tasks/get`, `tasks/result`, `tasks/cancel` params.
struct MCPTaskParams: Decodable, Sendable {
    var taskId: String
}

/// `tasks/list` params.
struct MCPListParams: Decodable, Sendable {
    var cursor: String?
}

/// `logging/setLevel` params.
struct MCPSetLevelParams: Decodable, Sendable {
    var level: String
}

/// `notifications/cancelled` params.
struct MCPCancelledParams: Decodable, Sendable {
    var requestId: JSONValue
    var reason: String?
}

/// An MCP task: how a worker looks to a client that spawned it as one.
struct MCPTask: Codable, Sendable, Hashable {
    var taskId: String
    var status: String
    var statusMessage: String?
    var createdAt: String
    var lastUpdatedAt: String
    /// Always null: tasks live in the trace store until `bosun trace prune` removes them.
    var ttl: Int?
    var pollInterval: Int

    enum CodingKeys: String, CodingKey { case taskId, status, statusMessage, createdAt, lastUpdatedAt, ttl, pollInterval }

    /// `ttl` is written as `null` rather than left out: the specification requires the key.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(taskId, forKey: .taskId)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(statusMessage, forKey: .statusMessage)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lastUpdatedAt, forKey: .lastUpdatedAt)
        try container.encode(ttl, forKey: .ttl)
        try container.encode(pollInterval, forKey: .pollInterval)
    }
}

/// MCP's log levels (syslog's), in increasing severity.
enum MCPLogLevel: String, CaseIterable, Sendable, Comparable {
    case debug, info, notice, warning, error, critical, alert, emergency

    private var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    static func < (a: MCPLogLevel, b: MCPLogLevel) -> Bool { a.rank < b.rank }
}

/// W3C trace context: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`, ids not all zeros.
enum MCPTraceContext {
    static func isValid(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "00", parts[1].count == 32, parts[2].count == 16, parts[3].count == 2 else { return false }
        let hex = parts.dropFirst().allSatisfy { $0.allSatisfy { $0.isHexDigit && !$0.isUppercase } }
        return hex && parts[1].contains { $0 != "0" } && parts[2].contains { $0 != "0" }
    }
}
