import BosunJSON
import Foundation
import JSONRPC

// The Agent Client Protocol (v1) messages bosun's agent mode reads and writes: only the
// fields bosun uses; everything else a client sends is ignored, as the spec's `_meta` and
// unknown fields must be.

/// ACP's protocol version is one integer, raised only for breaking changes.
enum ACPVersion {
    /// The version bosun speaks.
    static let latest = 1

    /// The spec: the client's version if the agent supports it, else the latest the agent
    /// supports (the client then disconnects if it cannot speak that).
    static func negotiate(_ requested: Int) -> Int {
        requested == latest ? requested : latest
    }
}

struct ACPImplementation: Codable, Sendable, Hashable {
    var name: String
    var title: String?
    var version: String?
}

struct ACPInitializeParams: Decodable, Sendable {
    var protocolVersion: Int
    var clientCapabilities: JSONValue?
    var clientInfo: ACPImplementation?
}

struct ACPInitializeResult: Encodable, Sendable {
    struct PromptCapabilities: Encodable, Sendable {
        var image = false
        var audio = false
        /// `resource` blocks (a file's text the editor embedded) are taken as inputs.
        var embeddedContext = true
    }

    struct MCPCapabilities: Encodable, Sendable {
        /// Workers use the servers of `session/new`: stdio always, Streamable HTTP too.
        var http = true
        var sse = false
    }

    struct AgentCapabilities: Encodable, Sendable {
        /// `session/load` resumes a bosun session by its id.
        var loadSession = true
        var promptCapabilities = PromptCapabilities()
        var mcpCapabilities = MCPCapabilities()
    }

    var protocolVersion: Int
    var agentCapabilities = AgentCapabilities()
    var agentInfo: ACPImplementation
    /// bosun needs no login: providers' keys come from its config and environment.
    var authMethods: [JSONValue] = []
}

struct ACPNewSessionParams: Decodable, Sendable {
    var cwd: String
    /// Required by the spec; bosun's workers use their own tools, so these are only logged.
    var mcpServers: [JSONValue]?
}

struct ACPLoadSessionParams: Decodable, Sendable {
    var sessionId: String
    var cwd: String
    var mcpServers: [JSONValue]?
}

struct ACPNewSessionResult: Encodable, Sendable {
    var sessionId: String
}

struct ACPSessionParams: Decodable, Sendable {
    var sessionId: String
}

struct ACPPromptParams: Decodable, Sendable {
    var sessionId: String
    var prompt: [ACPContentBlock]
}

enum ACPStopReason: String, Encodable, Sendable {
    case endTurn = "end_turn"
    case maxTokens = "max_tokens"
    case maxTurnRequests = "max_turn_requests"
    case refusal
    case cancelled
}

struct ACPPromptResult: Encodable, Sendable {
    var stopReason: ACPStopReason
}

/// A prompt's content block. bosun takes `text` as the goal and `resource_link` and
/// `resource` as inputs; it does not advertise images or audio.
enum ACPContentBlock: Decodable, Sendable, Hashable {
    case text(String)
    case resourceLink(uri: String, name: String?)
    /// An embedded resource: its text, or nil for a binary (`blob`) one.
    case resource(uri: String, text: String?, mimeType: String?)
    /// `image`, `audio`, or a type this version of the spec does not have.
    case unsupported(type: String)

    private enum Keys: String, CodingKey { case type, text, uri, name, resource, mimeType }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "text":
            self = .text(try container.decode(String.self, forKey: .text))
        case "resource_link":
            self = .resourceLink(uri: try container.decode(String.self, forKey: .uri),
                                 name: try container.decodeIfPresent(String.self, forKey: .name))
        case "resource":
            let resource = try container.nestedContainer(keyedBy: Keys.self, forKey: .resource)
            self = .resource(uri: try resource.decode(String.self, forKey: .uri),
                             text: try resource.decodeIfPresent(String.self, forKey: .text),
                             mimeType: try resource.decodeIfPresent(String.self, forKey: .mimeType))
        default:
            self = .unsupported(type: type)
        }
    }
}

// MARK: - session/update

/// `session/update`'s params.
struct ACPSessionNotification: Encodable, Sendable {
    var sessionId: String
    var update: ACPSessionUpdate

    /// The params as the wire carries them when the update has a tool call's `rawOutput` (a
    /// worker's outcome as the session wrote it when the worker ended): the rest encoded as
    /// `Encodable` encodes it, `rawOutput` spliced in as it is rather than encoded again. Nil
    /// when there is no `rawOutput`: the notification is then encoded as it is.
    func writtenJSON() throws -> EncodedJSON? {
        guard let split = update.withoutRawOutput else { return nil }
        let rawOutput = split.rawOutput
        // An object with at least `sessionUpdate` and `toolCallId`: `rawOutput` goes before its `}`.
        let encoded = try EncodedJSON(encoding: split.rest).data
        guard encoded.count > 2, encoded.last == UInt8(ascii: "}") else { return nil }
        var out = Data(capacity: encoded.count + rawOutput.data.count + sessionId.utf8.count + 40)
        out.append(contentsOf: #"{"sessionId":"#.utf8)
        out.append(contentsOf: JSONValue.string(sessionId).jsonBytes())
        out.append(contentsOf: #","update":"#.utf8)
        out.append(encoded.dropLast())
        out.append(contentsOf: #","rawOutput":"#.utf8)
        out.append(rawOutput.data)
        out.append(contentsOf: "}}".utf8)
        return EncodedJSON(writtenJSON: out)
    }
}

extension ClientNotifier {
    /// Sends a `session/update`: written around a tool call's `rawOutput`
    /// (`ACPSessionNotification.writtenJSON`), encoded otherwise.
    func sessionUpdate(_ sessionId: String, _ update: ACPSessionUpdate, droppable: Bool = false) {
        let params = ACPSessionNotification(sessionId: sessionId, update: update)
        if let written = try? params.writtenJSON() {
            notify("session/update", written, droppable: droppable)
        } else {
            // Encoded; where encoding fails, the connection logs it as for any notification.
            notify("session/update", params, droppable: droppable)
        }
    }
}

enum ACPPlanEntryStatus: String, Encodable, Sendable, Hashable {
    case pending
    case inProgress = "in_progress"
    case completed
}

enum ACPPlanEntryPriority: String, Encodable, Sendable, Hashable {
    case high, medium, low
}

struct ACPPlanEntry: Encodable, Sendable, Hashable {
    var content: String
    var priority: ACPPlanEntryPriority
    var status: ACPPlanEntryStatus
}

enum ACPToolKind: String, Encodable, Sendable, Hashable {
    case read, edit, delete, move, search, execute, think, fetch
    case other
}

enum ACPToolCallStatus: String, Encodable, Sendable, Hashable {
    case pending
    case inProgress = "in_progress"
    case completed
    case failed
}

/// A file a tool call changed, as a tool call's `diff` content shows it (`Diff`): the whole
/// text before (nil for a new file) and after (empty for a deleted one).
struct ACPDiff: Sendable, Hashable {
    /// Absolute.
    var path: String
    var oldText: String?
    var newText: String

    var json: JSONValue {
        ["type": "diff", "path": .string(path), "oldText": oldText.map(JSONValue.string) ?? .null, "newText": .string(newText)]
    }
}

/// A tool call as `tool_call` announces it (`ToolCall`), or the fields a `tool_call_update`
/// changes (`ToolCallUpdate`: every field but the id optional).
struct ACPToolCall: Encodable, Sendable, Hashable {
    var toolCallId: String
    var title: String?
    var kind: ACPToolKind?
    var status: ACPToolCallStatus?
    /// With `diffs`, replaces the tool call's content: a text block, then a diff per file.
    var text: String?
    var diffs: [ACPDiff]?
    var rawInput: JSONValue?
    /// A worker's outcome, as the session wrote it when the worker ended: the notification
    /// carries these bytes as they are (`ACPSessionNotification.writtenJSON`).
    var rawOutput: EncodedJSON?

    init(toolCallId: String, title: String? = nil, kind: ACPToolKind? = nil, status: ACPToolCallStatus? = nil,
         text: String? = nil, diffs: [ACPDiff]? = nil, rawInput: JSONValue? = nil, rawOutput: EncodedJSON? = nil) {
        self.toolCallId = toolCallId
        self.title = title
        self.kind = kind
        self.status = status
        self.text = text
        self.diffs = diffs
        self.rawInput = rawInput
        self.rawOutput = rawOutput
    }

    private enum Keys: String, CodingKey { case toolCallId, title, kind, status, content, rawInput, rawOutput }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(toolCallId, forKey: .toolCallId)
        try container.encodeIfPresent(title, forKey: .title)
        try container.encodeIfPresent(kind, forKey: .kind)
        try container.encodeIfPresent(status, forKey: .status)
        if text != nil || diffs != nil {
            let block: [JSONValue] = text.map { [["type": "content", "content": ["type": "text", "text": .string($0)]]] } ?? []
            try container.encode(block + (diffs ?? []).map(\.json), forKey: .content)
        }
        try container.encodeIfPresent(rawInput, forKey: .rawInput)
        try container.encodeIfPresent(rawOutput, forKey: .rawOutput)
    }
}

/// What `session/update` reports (`SessionUpdate`), the kinds bosun sends.
enum ACPSessionUpdate: Encodable, Sendable, Hashable {
    /// The whole plan: the client replaces its plan with each one.
    case plan([ACPPlanEntry])
    case agentMessageChunk(String)
    case agentThoughtChunk(String)
    /// Only when `session/load` replays a session's history.
    case userMessageChunk(String)
    case toolCall(ACPToolCall)
    case toolCallUpdate(ACPToolCall)

    /// The `sessionUpdate` discriminator.
    var kind: String {
        switch self {
        case .plan: return "plan"
        case .agentMessageChunk: return "agent_message_chunk"
        case .agentThoughtChunk: return "agent_thought_chunk"
        case .userMessageChunk: return "user_message_chunk"
        case .toolCall: return "tool_call"
        case .toolCallUpdate: return "tool_call_update"
        }
    }

    private enum Keys: String, CodingKey { case sessionUpdate, entries, content }

    /// A tool call's update with its `rawOutput` taken out, and the `rawOutput`; nil when it has none.
    var withoutRawOutput: (rest: ACPSessionUpdate, rawOutput: EncodedJSON)? {
        switch self {
        case .toolCall(var call):
            guard let rawOutput = call.rawOutput else { return nil }
            call.rawOutput = nil
            return (.toolCall(call), rawOutput)
        case .toolCallUpdate(var call):
            guard let rawOutput = call.rawOutput else { return nil }
            call.rawOutput = nil
            return (.toolCallUpdate(call), rawOutput)
        case .plan, .agentMessageChunk, .agentThoughtChunk, .userMessageChunk:
            return nil
        }
    }

    func encode(to encoder: Encoder) throws {
        switch self {
        case .toolCall(let call), .toolCallUpdate(let call):
            try call.encode(to: encoder)
        default:
            break
        }
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(kind, forKey: .sessionUpdate)
        switch self {
        case .plan(let entries):
            try container.encode(entries, forKey: .entries)
        case .agentMessageChunk(let text), .agentThoughtChunk(let text), .userMessageChunk(let text):
            let block: JSONValue = ["type": "text", "text": .string(text)]
            try container.encode(block, forKey: .content)
        case .toolCall, .toolCallUpdate:
            break
        }
    }
}
