import BosunJSON
import Foundation
import HTTP

/// A client for the Anthropic Messages API.
public struct AnthropicClient: ModelClient {
    /// The API version this client speaks (`anthropic-version`).
    public static let apiVersion = "2023-06-01"

    public let endpoint: ProviderEndpoint
    private let http: HTTPClient

    public init(endpoint: ProviderEndpoint, http: HTTPClient = .shared) {
        self.endpoint = endpoint
        self.http = http
    }

    public var providerName: String { endpoint.name }

    public func complete(_ request: ModelRequest,
                         progress: (@Sendable (ModelCallProgress) -> Void)?) async throws -> ModelReply {
        let call = ProviderCall(endpoint: endpoint, http: http, progress: progress)
        let provider = endpoint.name
        return try await call.run(httpRequest(request), streaming: request.stream) { data, requestId in
            let message = try ProviderCall.decode(AnthropicWire.MessageBody.self, from: data, what: "the message",
                                                  provider: provider, requestId: requestId)
            return AnthropicWire.reply(message, requestId: requestId)
        } makeAccumulator: {
            AnthropicStreamAccumulator(provider: provider, progress: progress)
        }
    }

    func httpRequest(_ request: ModelRequest) -> HTTPRequest {
        var headers = [
            HTTPHeader(name: "content-type", value: "application/json"),
            HTTPHeader(name: "anthropic-version", value: Self.apiVersion),
            HTTPHeader(name: "accept", value: request.stream ? "text/event-stream" : "application/json"),
        ]
        if let key = endpoint.apiKey { headers.append(HTTPHeader(name: "x-api-key", value: key)) }
        headers += endpoint.extraHeaders.sorted { $0.key < $1.key }.map { HTTPHeader(name: $0.key, value: $0.value) }
        let path = endpoint.baseURL.hasSuffix("/v1") || endpoint.baseURL.hasSuffix("/v1/") ? "/messages" : "/v1/messages"
        return HTTPRequest(method: "POST", url: endpoint.url(path), headers: headers,
                           body: AnthropicWire.requestBody(request),
                           connectTimeout: endpoint.connectTimeout, idleTimeout: endpoint.idleTimeout)
    }
}

/// Assembles a reply from `message_start`, `content_block_*`, `message_delta` and
/// `message_stop` events; an `error` event (which can follow a 200) fails the attempt.
struct AnthropicStreamAccumulator: StreamAccumulator {
    let provider: String
    let progress: (@Sendable (ModelCallProgress) -> Void)?

    /// Blocks by stream index; tool input arrives as JSON text fragments.
    private var texts: [Int: String] = [:]
    private var tools: [Int: (id: String, name: String, json: String)] = [:]
    private var order: [Int] = []
    private var usage = Usage()
    private var stopReason: String?
    private var stopped = false

    init(provider: String, progress: (@Sendable (ModelCallProgress) -> Void)?) {
        self.provider = provider
        self.progress = progress
    }

    mutating func consume(_ event: SSEEvent) throws {
        if event.event == "error" {
            throw ProviderErrorClassifier.classifyStreamError(data: event.data, provider: provider, requestId: nil)
        }
        let parsed: AnthropicWire.StreamEvent
        do {
            parsed = try AnthropicWire.StreamEvent.decode(event.data)
        } catch {
            throw ProviderErrorClassifier.malformed("stream event \(event.event ?? "message") is not valid JSON: \(event.data.prefix(200))",
                                                    provider: provider, requestId: nil)
        }
        switch parsed.type {
        case "message_start":
            parsed.message?.usage?.merged(into: &usage)
        case "content_block_start":
            guard let index = parsed.index, let block = parsed.content_block else { return }
            switch block.type {
            case "text":
                texts[index] = block.text ?? ""
                order.append(index)
            case "tool_use":
                tools[index] = (block.id ?? "", block.name ?? "", "")
                order.append(index)
            default:
                break
            }
        case "content_block_delta":
            guard let index = parsed.index, let delta = parsed.delta else { return }
            if let text = delta.text, delta.type == "text_delta", texts[index] != nil {
                texts[index]! += text
                progress?(.textDelta(text))
            } else if let fragment = delta.partial_json, tools[index] != nil {
                tools[index]!.json += fragment
            }
        case "message_delta":
            if let reason = parsed.delta?.stop_reason { stopReason = reason }
            parsed.usage?.merged(into: &usage)
        case "message_stop":
            stopped = true
        case "error":
            throw ProviderErrorClassifier.classifyStreamError(data: event.data, provider: provider, requestId: nil)
        default:
            break  // ping, content_block_stop, and event types added later
        }
    }

    func finish() throws -> ModelReply {
        guard stopped else {
            throw AttemptFailure(error: ProviderError(kind: .connection, provider: provider,
                                                      message: "the response stream ended before message_stop",
                                                      requestId: nil, retryable: true))
        }
        var content: [ContentBlock] = []
        for index in order {
            if let text = texts[index] {
                content.append(.text(text))
            } else if let tool = tools[index] {
                let input: JSONValue
                if tool.json.trimmingWhitespace().isEmpty {
                    input = [:]
                } else {
                    do { input = try JSONValue.parse(tool.json) } catch {
                        throw ProviderErrorClassifier.malformed("tool \(tool.name) input is not valid JSON: \(tool.json.prefix(200))",
                                                                provider: provider, requestId: nil)
                    }
                }
                content.append(.toolUse(id: tool.id, name: tool.name, input: input))
            }
        }
        return ModelReply(content: content, stopReason: AnthropicWire.stopReason(stopReason), usage: usage)
    }
}
