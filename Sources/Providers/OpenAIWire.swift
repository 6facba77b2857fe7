import BosunJSON
import Foundation
import HTTP

/// OpenAI Chat Completions wire format, as OpenAI-compatible servers (Ollama, vLLM,
/// llama.cpp server, LM Studio) accept it. Decoding ignores fields bosun does not use
/// (`system_fingerprint`, `service_tier`, `logprobs`, ...).
enum OpenAIWire {
    /// The field that limits the reply's tokens: OpenAI's own API wants
    /// `max_completion_tokens` (its reasoning models reject `max_tokens`); compatible servers
    /// know `max_tokens`. Both sort before every other field of the body.
    enum TokenLimitField {
        case maxTokens
        case maxCompletionTokens
    }

    /// The request body as JSON text: the object of fields `model`, `messages`, the token
    /// limit, `stream`/`stream_options`, `tools`/`tool_choice` and `response_format`, written
    /// in sorted key order (see `RequestBodyWriter`).
    static func requestBody(_ request: ModelRequest, tokenLimitField: TokenLimitField = .maxTokens) -> Data {
        var w = RequestBodyWriter()
        switch tokenLimitField {
        case .maxTokens: w.raw(#"{"max_tokens":"#)
        case .maxCompletionTokens: w.raw(#"{"max_completion_tokens":"#)
        }
        w.int(request.maxTokens)
        w.raw(#","messages":["#)
        var first = true
        if !request.system.isEmpty {
            w.raw(#"{"content":"#)
            w.string(request.system)
            w.raw(#","role":"system"}"#)
            first = false
        }
        for message in request.messages { writeMessages(message, first: &first, into: &w) }
        w.raw(#"],"model":"#)
        w.string(request.model)
        if let key = request.cacheKey {
            w.raw(#","prompt_cache_key":"#)
            w.string(key)
        }
        if let schema = request.responseSchema {
            w.raw(#","response_format":{"json_schema":{"name":"response","schema":"#)
            w.value(schema, depth: 3)
            w.raw(#"},"type":"json_schema"}"#)
        }
        if request.stream { w.raw(#","stream":true,"stream_options":{"include_usage":true}"#) }
        if !request.tools.isEmpty {
            switch request.toolChoice {
            case .auto: w.raw(#","tool_choice":"auto""#)
            case .any: w.raw(#","tool_choice":"required""#)
            case .none: w.raw(#","tool_choice":"none""#)
            case .tool(let name):
                w.raw(#","tool_choice":{"function":{"name":"#)
                w.string(name)
                w.raw(#"},"type":"function"}"#)
            }
            w.raw(#","tools":["#)
            for (position, tool) in request.tools.enumerated() {
                if position > 0 { w.raw(",") }
                w.raw(#"{"function":{"description":"#)
                w.string(tool.description)
                w.raw(#","name":"#)
                w.string(tool.name)
                w.raw(#","parameters":"#)
                w.encoded(tool.encodedSchema, depth: 4)
                w.raw(#"},"type":"function"}"#)
            }
            w.raw("]")
        }
        w.raw("}")
        return w.data
    }

    /// One bosun message can become several: tool results are separate `tool` messages,
    /// which come first.
    private static func writeMessages(_ message: ChatMessage, first: inout Bool, into w: inout RequestBodyWriter) {
        func separate() {
            if !first { w.raw(",") }
            first = false
        }
        var text: [String] = []
        var hasToolCalls = false
        for block in message.content {
            switch block {
            case .text(let t):
                text.append(t)
            case .toolUse:
                hasToolCalls = true
            case .toolResult(let toolUseId, let content, let isError):
                separate()
                w.raw(#"{"content":"#)
                w.string(isError ? "ERROR: \(content)" : content)
                w.raw(#","role":"tool","tool_call_id":"#)
                w.string(toolUseId)
                w.raw("}")
            }
        }
        switch message.role {
        case .assistant:
            guard !text.isEmpty || hasToolCalls else { return }
            separate()
            w.raw(#"{"content":"#)
            if text.isEmpty { w.raw("null") } else { w.string(text.joined(separator: "\n")) }
            w.raw(#","role":"assistant""#)
            if hasToolCalls {
                w.raw(#","tool_calls":["#)
                var firstCall = true
                for case .toolUse(let id, let name, let input) in message.content {
                    if !firstCall { w.raw(",") }
                    firstCall = false
                    w.raw(#"{"function":{"arguments":"#)
                    w.string(input.jsonString())
                    w.raw(#","name":"#)
                    w.string(name)
                    w.raw(#"},"id":"#)
                    w.string(id)
                    w.raw(#","type":"function"}"#)
                }
                w.raw("]")
            }
            w.raw("}")
        case .user:
            guard !text.isEmpty else { return }
            separate()
            w.raw(#"{"content":"#)
            w.string(text.joined(separator: "\n"))
            w.raw(#","role":"user"}"#)
        }
    }

    struct UsageBody: Decodable {
        struct PromptDetails: Decodable { var cached_tokens: Int? }
        var prompt_tokens: Int?
        var completion_tokens: Int?
        var prompt_tokens_details: PromptDetails?

        /// OpenAI counts cached tokens inside `prompt_tokens`; bosun counts them apart.
        var usage: Usage {
            let cached = prompt_tokens_details?.cached_tokens ?? 0
            return Usage(inputTokens: max(0, (prompt_tokens ?? 0) - cached), outputTokens: completion_tokens ?? 0,
                         cacheReadTokens: cached)
        }
    }

    struct ToolCall: Decodable {
        struct Function: Decodable {
            var name: String?
            var arguments: String?
        }
        var index: Int?
        var id: String?
        var function: Function?
    }

    struct Message: Decodable {
        var content: String?
        var tool_calls: [ToolCall]?
        var refusal: String?
    }

    struct Completion: Decodable {
        struct Choice: Decodable {
            var message: Message?
            var finish_reason: String?
        }
        var choices: [Choice]?
        var usage: UsageBody?
    }

    struct Chunk: Decodable {
        struct Choice: Decodable {
            var delta: Message?
            var finish_reason: String?
        }
        var choices: [Choice]?
        var usage: UsageBody?
        var error: JSONValue?
    }

    static func stopReason(_ raw: String?) -> StopReason {
        switch raw {
        case "stop": return .endTurn
        case "tool_calls", "function_call": return .toolUse
        case "length": return .maxTokens
        case "content_filter": return .refusal
        default: return .other
        }
    }

    /// Parses a tool call's `arguments` text; an empty string means no arguments.
    static func arguments(_ text: String, tool: String, provider: String, requestId: String?) throws -> JSONValue {
        if text.trimmingWhitespace(newlines: true).isEmpty { return [:] }
        do { return try JSONValue.parse(text) } catch {
            throw ProviderErrorClassifier.malformed("tool \(tool) arguments are not valid JSON: \(text.prefix(200))",
                                                    provider: provider, requestId: requestId)
        }
    }
}

// Direct reads of the same fields (see `WireObject`).
extension OpenAIWire.UsageBody: WireObject {
    init(fields: WireFields) throws {
        prompt_tokens = try fields.int("prompt_tokens")
        completion_tokens = try fields.int("completion_tokens")
        prompt_tokens_details = try fields.nested("prompt_tokens_details")
    }
}

extension OpenAIWire.UsageBody.PromptDetails: WireObject {
    init(fields: WireFields) throws {
        cached_tokens = try fields.int("cached_tokens")
    }
}

extension OpenAIWire.ToolCall: WireObject {
    init(fields: WireFields) throws {
        index = try fields.int("index")
        id = try fields.string("id")
        function = try fields.nested("function")
    }
}

extension OpenAIWire.ToolCall.Function: WireObject {
    init(fields: WireFields) throws {
        name = try fields.string("name")
        arguments = try fields.string("arguments")
    }
}

extension OpenAIWire.Message: WireObject {
    init(fields: WireFields) throws {
        content = try fields.string("content")
        tool_calls = try fields.array("tool_calls")
        refusal = try fields.string("refusal")
    }
}

extension OpenAIWire.Completion: WireObject {
    init(fields: WireFields) throws {
        choices = try fields.array("choices")
        usage = try fields.nested("usage")
    }
}

extension OpenAIWire.Completion.Choice: WireObject {
    init(fields: WireFields) throws {
        message = try fields.nested("message")
        finish_reason = try fields.string("finish_reason")
    }
}

extension OpenAIWire.Chunk: WireObject {
    init(fields: WireFields) throws {
        choices = try fields.array("choices")
        usage = try fields.nested("usage")
        error = fields.json("error")
    }
}

extension OpenAIWire.Chunk.Choice: WireObject {
    init(fields: WireFields) throws {
        delta = try fields.nested("delta")
        finish_reason = try fields.string("finish_reason")
    }
}
