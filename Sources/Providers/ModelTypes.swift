import BosunJSON
import Foundation

// The model-neutral conversation that workers speak. Provider clients translate it to
// and from Anthropic Messages or OpenAI Chat Completions; nothing above Providers ever
// sees a provider's wire format.

public enum ChatRole: String, Codable, Sendable {
    case user
    case assistant
}

public enum ContentBlock: Sendable, Hashable {
    case text(String)
    /// The model asks for a tool: `id` is the provider's call id, echoed in the result.
    case toolUse(id: String, name: String, input: JSONValue)
    case toolResult(toolUseId: String, content: String, isError: Bool)
}

extension ContentBlock: Codable {
    private enum CodingKeys: String, CodingKey { case type, text, id, name, input, toolUseId, content, isError }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "text":
            self = .text(try c.decode(String.self, forKey: .text))
        case "tool_use":
            self = .toolUse(id: try c.decode(String.self, forKey: .id), name: try c.decode(String.self, forKey: .name),
                            input: try c.decode(JSONValue.self, forKey: .input))
        case "tool_result":
            self = .toolResult(toolUseId: try c.decode(String.self, forKey: .toolUseId),
                               content: try c.decode(String.self, forKey: .content),
                               isError: try c.decodeIfPresent(Bool.self, forKey: .isError) ?? false)
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown content block type \(other)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try c.encode("text", forKey: .type)
            try c.encode(text, forKey: .text)
        case .toolUse(let id, let name, let input):
            try c.encode("tool_use", forKey: .type)
            try c.encode(id, forKey: .id)
            try c.encode(name, forKey: .name)
            try c.encode(input, forKey: .input)
        case .toolResult(let toolUseId, let content, let isError):
            try c.encode("tool_result", forKey: .type)
            try c.encode(toolUseId, forKey: .toolUseId)
            try c.encode(content, forKey: .content)
            try c.encode(isError, forKey: .isError)
        }
    }
}

public struct ChatMessage: Codable, Sendable, Hashable {
    public var role: ChatRole
    public var content: [ContentBlock]

    public init(role: ChatRole, content: [ContentBlock]) {
        self.role = role
        self.content = content
    }

    public static func user(_ text: String) -> ChatMessage { ChatMessage(role: .user, content: [.text(text)]) }
    public static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: .assistant, content: [.text(text)]) }
}

/// A tool the model may call, described by a JSON Schema for its input.
public struct ToolSpec: Codable, Sendable, Hashable {
    public var name: String
    public var description: String
    public var inputSchema: JSONValue {
        didSet { encodedSchema = EncodedSchema(inputSchema) }
    }
    /// `inputSchema` as JSON text, written when the spec is made: a worker sends the same
    /// specs with every model call, and re-encoding their schemas showed in profiles.
    private(set) var encodedSchema: EncodedSchema

    public init(name: String, description: String, inputSchema: JSONValue) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        encodedSchema = EncodedSchema(inputSchema)
    }

    private enum CodingKeys: String, CodingKey { case name, description, inputSchema }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), description: try c.decode(String.self, forKey: .description),
                  inputSchema: try c.decode(JSONValue.self, forKey: .inputSchema))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(inputSchema, forKey: .inputSchema)
    }

    // The encoding follows from the schema, so equality ignores it.
    public static func == (a: ToolSpec, b: ToolSpec) -> Bool {
        a.name == b.name && a.description == b.description && a.inputSchema == b.inputSchema
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(description)
        hasher.combine(inputSchema)
    }
}

/// A JSON value written once, to be copied into larger documents (`RequestBodyWriter`).
struct EncodedSchema: Sendable {
    /// The text `JSONValueWriter` writes for the value on its own; nil if it refused it.
    let json: [UInt8]?
    /// How deeply its containers nest (0 for a scalar), for the writer's nesting limit.
    let levels: Int

    init(_ value: JSONValue) {
        var writer = JSONValueWriter()
        json = writer.write(value) ? writer.bytes : nil
        levels = writer.deepestLevel
    }
}

public enum ToolChoice: Sendable, Hashable {
    case auto
    /// The model must call some tool.
    case any
    case tool(String)
    case none
}

public struct ModelRequest: Sendable {
    /// The provider's own model id (not bosun's alias).
    public var model: String
    public var system: String
    public var messages: [ChatMessage]
    public var tools: [ToolSpec]
    public var toolChoice: ToolChoice
    public var maxTokens: Int
    public var stream: Bool
    /// OpenAI `response_format: json_schema`, when a plain-text answer must match a schema.
    public var responseSchema: JSONValue?
    /// Marks the request for the provider's prompt cache, under this key: Anthropic gets
    /// `cache_control` breakpoints on the stable prefix (tools, system) and on the last
    /// message (a rolling breakpoint, so each step reads what the step before wrote); OpenAI
    /// gets `prompt_cache_key`. Nil sends neither.
    public var cacheKey: String?

    public init(model: String, system: String = "", messages: [ChatMessage], tools: [ToolSpec] = [],
                toolChoice: ToolChoice = .auto, maxTokens: Int = 4096, stream: Bool = true,
                responseSchema: JSONValue? = nil, cacheKey: String? = nil) {
        self.model = model
        self.system = system
        self.messages = messages
        self.tools = tools
        self.toolChoice = toolChoice
        self.maxTokens = maxTokens
        self.stream = stream
        self.responseSchema = responseSchema
        self.cacheKey = cacheKey
    }
}

public enum StopReason: String, Codable, Sendable {
    case endTurn = "end_turn"
    case toolUse = "tool_use"
    case maxTokens = "max_tokens"
    case stopSequence = "stop_sequence"
    case refusal
    case other
}

public struct Usage: Codable, Sendable, Hashable {
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
    }

    public var totalTokens: Int { inputTokens + outputTokens + cacheReadTokens + cacheWriteTokens }

    public static func + (a: Usage, b: Usage) -> Usage {
        Usage(inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens,
              cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens, cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens)
    }
}

/// USD per million tokens.
public struct ModelPrice: Codable, Sendable, Hashable {
    public var input: Double
    public var output: Double
    public var cacheRead: Double
    public var cacheWrite: Double

    public init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead ?? input * 0.1
        self.cacheWrite = cacheWrite ?? input * 1.25
    }

    public func cost(of usage: Usage) -> Double {
        (Double(usage.inputTokens) * input + Double(usage.outputTokens) * output
            + Double(usage.cacheReadTokens) * cacheRead + Double(usage.cacheWriteTokens) * cacheWrite) / 1_000_000
    }
}

public struct ModelReply: Sendable {
    public var content: [ContentBlock]
    public var stopReason: StopReason
    public var usage: Usage
    /// The provider's request id (`request-id` / `x-request-id`), for support tickets.
    public var requestId: String?
    /// HTTP attempts this call took, retries included.
    public var attempts: Int

    public init(content: [ContentBlock], stopReason: StopReason, usage: Usage, requestId: String? = nil, attempts: Int = 1) {
        self.content = content
        self.stopReason = stopReason
        self.usage = usage
        self.requestId = requestId
        self.attempts = attempts
    }
}

/// What a client reports while a call is under way, for live `worker/event`s.
public enum ModelCallProgress: Sendable {
    /// A fragment of streamed text.
    case textDelta(String)
    /// A transient failure that will be retried after `delay` seconds.
    case retrying(attempt: Int, delay: Double, error: ProviderError)
}

/// A failure from a provider, classified once, carrying what a user needs to act on it.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        case rateLimited = "rate_limited"
        case overloaded
        case server = "server_error"
        case timeout
        case connection
        case authentication
        case permission
        case invalidRequest = "invalid_request"
        case notFound = "not_found"
        case tooLarge = "request_too_large"
        case spendLimit = "spend_limit"
        case malformedResponse = "malformed_response"
        case cancelled
    }

    public var kind: Kind
    public var provider: String
    /// HTTP status, when a response arrived.
    public var status: Int?
    /// The body's `error.type`, when it had one.
    public var type: String?
    public var message: String
    public var requestId: String?
    public var retryable: Bool

    public init(kind: Kind, provider: String, status: Int? = nil, type: String? = nil, message: String,
                requestId: String? = nil, retryable: Bool) {
        self.kind = kind
        self.provider = provider
        self.status = status
        self.type = type
        self.message = message
        self.requestId = requestId
        self.retryable = retryable
    }

    public var description: String {
        var parts = ["\(provider): \(message)"]
        if let status { parts.append("HTTP \(status)") }
        if let type { parts.append("type \(type)") }
        if let requestId { parts.append("request \(requestId)") }
        return parts.joined(separator: ", ")
    }
}

/// One model endpoint behind one interface. Transient errors are retried inside
/// `complete`; what it throws is final (a `ProviderError`, or `CancellationError`).
/// Cancelling the calling task aborts the HTTP transfer. `progress` may be called on the
/// HTTP thread (streamed text arrives there): it must return quickly and never block.
public protocol ModelClient: Sendable {
    var providerName: String { get }
    func complete(_ request: ModelRequest,
                  progress: (@Sendable (ModelCallProgress) -> Void)?) async throws -> ModelReply
}
