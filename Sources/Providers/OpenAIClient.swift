import BosunJSON
import Foundation
import HTTP

/// A client for OpenAI-compatible Chat Completions.
public struct OpenAIClient: ModelClient {
    public let endpoint: ProviderEndpoint
    private let http: HTTPClient

    /// `max_completion_tokens` for OpenAI itself, `max_tokens` for every compatible server.
    /// Worked out once: parsing the URL on every request showed in profiles.
    let tokenLimitField: OpenAIWire.TokenLimitField

    public init(endpoint: ProviderEndpoint, http: HTTPClient = .shared) {
        self.endpoint = endpoint
        self.http = http
        tokenLimitField = URL(string: endpoint.baseURL)?.host?.lowercased() == "api.openai.com" ? .maxCompletionTokens : .maxTokens
    }

    public var providerName: String { endpoint.name }

    public func complete(_ request: ModelRequest,
                         progress: (@Sendable (ModelCallProgress) -> Void)?) async throws -> ModelReply {
        let call = ProviderCall(endpoint: endpoint, http: http, progress: progress)
        let provider = endpoint.name
        return try await call.run(httpRequest(request), streaming: request.stream) { data, requestId in
            let completion = try ProviderCall.decode(OpenAIWire.Completion.self, from: data, what: "the completion",
                                                     provider: provider, requestId: requestId)
            return try Self.reply(completion, provider: provider, requestId: requestId)
        } makeAccumulator: {
            OpenAIStreamAccumulator(provider: provider, progress: progress)
        }
    }

    func httpRequest(_ request: ModelRequest) -> HTTPRequest {
        var headers = [
            HTTPHeader(name: "content-type", value: "application/json"),
            HTTPHeader(name: "accept", value: request.stream ? "text/event-stream" : "application/json"),
        ]
        if let key = endpoint.apiKey, !key.isEmpty { headers.append(HTTPHeader(name: "authorization", value: "Bearer \(key)")) }
        headers += endpoint.extraHeaders.sorted { $0.key < $1.key }.map { HTTPHeader(name: $0.key, value: $0.value) }
        return HTTPRequest(method: "POST", url: endpoint.url("/chat/completions"), headers: headers,
                           body: OpenAIWire.requestBody(request, tokenLimitField: tokenLimitField),
                           connectTimeout: endpoint.connectTimeout, idleTimeout: endpoint.idleTimeout)
    }


    static func reply(_ completion: OpenAIWire.Completion, provider: String, requestId: String?) throws -> ModelReply {
        guard let choice = completion.choices?.first else {
            throw ProviderErrorClassifier.malformed("the completion has no choices", provider: provider, requestId: requestId)
        }
        var content: [ContentBlock] = []
        if let text = choice.message?.content, !text.isEmpty { content.append(.text(text)) }
        if let refusal = choice.message?.refusal, !refusal.isEmpty { content.append(.text(refusal)) }
        for (position, call) in (choice.message?.tool_calls ?? []).enumerated() {
            let name = call.function?.name ?? ""
            content.append(.toolUse(id: call.id ?? "call_\(position)", name: name,
                                    input: try OpenAIWire.arguments(call.function?.arguments ?? "", tool: name,
                                                                    provider: provider, requestId: requestId)))
        }
        var stop = OpenAIWire.stopReason(choice.finish_reason)
        if choice.message?.refusal?.isEmpty == false { stop = .refusal }
        return ModelReply(content: content, stopReason: stop, usage: completion.usage?.usage ?? Usage(), requestId: requestId)
    }
}

/// Assembles a reply from `chat.completion.chunk`s: text deltas, tool calls whose
/// `arguments` arrive as fragments keyed by `index`, the final usage chunk, and `[DONE]`.
struct OpenAIStreamAccumulator: StreamAccumulator {
    let provider: String
    let progress: (@Sendable (ModelCallProgress) -> Void)?

    private var text = ""
    private var tools: [Int: (id: String?, name: String, arguments: String)] = [:]
    private var finishReason: String?
    private var usage: Usage?
    private var done = false

    init(provider: String, progress: (@Sendable (ModelCallProgress) -> Void)?) {
        self.provider = provider
        self.progress = progress
    }

    mutating func consume(_ event: SSEEvent) throws {
        let data = event.data.trimmingWhitespace()
        if data == "[DONE]" {
            done = true
            return
        }
        if event.event == "error" {
            throw ProviderErrorClassifier.classifyStreamError(data: data, provider: provider, requestId: nil)
        }
        let chunk: OpenAIWire.Chunk
        do {
            chunk = try OpenAIWire.Chunk.decode(data)
        } catch {
            throw ProviderErrorClassifier.malformed("stream chunk is not valid JSON: \(data.prefix(200))",
                                                    provider: provider, requestId: nil)
        }
        if chunk.error != nil {
            throw ProviderErrorClassifier.classifyStreamError(data: data, provider: provider, requestId: nil)
        }
        if let usage = chunk.usage { self.usage = usage.usage }
        guard let choice = chunk.choices?.first else { return }
        if let reason = choice.finish_reason { finishReason = reason }
        guard let delta = choice.delta else { return }
        if let piece = delta.content, !piece.isEmpty {
            text += piece
            progress?(.textDelta(piece))
        }
        for (position, call) in (delta.tool_calls ?? []).enumerated() {
            let index = call.index ?? position
            var tool = tools[index] ?? (nil, "", "")
            if let id = call.id { tool.id = id }
            if let name = call.function?.name { tool.name += name }
            if let fragment = call.function?.arguments { tool.arguments += fragment }
            tools[index] = tool
        }
    }

    func finish() throws -> ModelReply {
        // Some compatible servers end without `[DONE]`; a finish_reason is enough evidence.
        guard done || finishReason != nil else {
            throw AttemptFailure(error: ProviderError(kind: .connection, provider: provider,
                                                      message: "the response stream ended before [DONE]",
                                                      requestId: nil, retryable: true))
        }
        var content: [ContentBlock] = []
        if !text.isEmpty { content.append(.text(text)) }
        for index in tools.keys.sorted() {
            let tool = tools[index]!
            content.append(.toolUse(id: tool.id ?? "call_\(index)", name: tool.name,
                                    input: try OpenAIWire.arguments(tool.arguments, tool: tool.name, provider: provider,
                                                                    requestId: nil)))
        }
        return ModelReply(content: content, stopReason: OpenAIWire.stopReason(finishReason), usage: usage ?? Usage())
    }
}
