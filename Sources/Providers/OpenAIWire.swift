import BosunJSON
import Foundation

/// OpenAI Chat Completions wire format, as OpenAI-compatible servers (Ollama, vLLM,
/// llama.cpp server, LM Studio) accept it. Decoding ignores fields bosun does not use
/// (`system_fingerprint`, `service_tier`, `logprobs`, ...).
enum OpenAIWire {
    /// `tokenLimitField`: OpenAI's own API wants `max_completion_tokens` (its reasoning models
    /// reject `max_tokens`); compatible servers know `max_tokens`.
    static func requestBody(_ request: ModelRequest, tokenLimitField: String = "max_tokens") -> JSONValue {
        var messages: [JSONValue] = []
        if !request.system.isEmpty { messages.append(["role": "system", "content": .string(request.system)]) }
        for message in request.messages { messages += wireMessages(message) }
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "messages": .array(messages),
            tokenLimitField: .int(Int64(request.maxTokens)),
        ]
        if request.stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map {
                ["type": "function",
                 "function": ["name": .string($0.name), "description": .string($0.description), "parameters": $0.inputSchema]]
            })
            switch request.toolChoice {
            case .auto: body["tool_choice"] = "auto"
            case .any: body["tool_choice"] = "required"
            case .none: body["tool_choice"] = "none"
            case .tool(let name): body["tool_choice"] = ["type": "function", "function": ["name": .string(name)]]
            }
        }
        if let schema = request.responseSchema {
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": "response", "schema": schema]]
        }
        return .object(body)
    }

    /// One bosun message can become several: tool results are separate `tool` messages.
    private static func wireMessages(_ message: ChatMessage) -> [JSONValue] {
        var text: [String] = []
        var toolCalls: [JSONValue] = []
        var toolResults: [JSONValue] = []
        for block in message.content {
            switch block {
            case .text(let t):
                text.append(t)
            case .toolUse(let id, let name, let input):
                toolCalls.append(["id": .string(id), "type": "function",
                                  "function": ["name": .string(name), "arguments": .string(input.jsonString())]])
            case .toolResult(let toolUseId, let content, let isError):
                toolResults.append(["role": "tool", "tool_call_id": .string(toolUseId),
                                    "content": .string(isError ? "ERROR: \(content)" : content)])
            }
        }
        var out = toolResults
        switch message.role {
        case .assistant:
            if !text.isEmpty || !toolCalls.isEmpty {
                var m: [String: JSONValue] = ["role": "assistant",
                                              "content": text.isEmpty ? .null : .string(text.joined(separator: "\n"))]
                if !toolCalls.isEmpty { m["tool_calls"] = .array(toolCalls) }
                out.append(.object(m))
            }
        case .user:
            if !text.isEmpty { out.append(["role": "user", "content": .string(text.joined(separator: "\n"))]) }
        }
        return out
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
