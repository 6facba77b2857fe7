import BosunJSON
import Foundation

/// The JSON documents and SSE events each API sends, shaped like the real ones
/// (including fields clients must ignore, such as `service_tier` and `system_fingerprint`).
struct MockWireFormat {
    let api: MockAPI
    let model: String
    let messageId: String

    // MARK: Whole replies

    func completeBody(_ plan: MockReplyPlan, outputTokens: Int) -> JSONValue {
        switch api {
        case .anthropic:
            var content: [JSONValue] = []
            if let text = plan.text { content.append(["type": "text", "text": .string(text)]) }
            for call in plan.toolCalls {
                content.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": call.input])
            }
            return ["id": .string(messageId), "type": "message", "role": "assistant", "model": .string(model),
                    "content": .array(content), "stop_reason": .string(anthropicStop(plan)), "stop_sequence": nil,
                    "usage": anthropicUsage(plan, output: outputTokens)]
        case .openai:
            var message: [String: JSONValue] = ["role": "assistant", "content": plan.text.map(JSONValue.string) ?? .null,
                                                "refusal": nil]
            if !plan.toolCalls.isEmpty {
                message["tool_calls"] = .array(plan.toolCalls.map {
                    ["id": .string($0.id), "type": "function",
                     "function": ["name": .string($0.name), "arguments": .string($0.input.jsonString())]]
                })
            }
            return ["id": .string(messageId), "object": "chat.completion", "created": .int(Int64(Date().timeIntervalSince1970)),
                    "model": .string(model), "system_fingerprint": "fp_mock", "service_tier": "default",
                    "choices": [["index": 0, "message": .object(message), "logprobs": nil,
                                 "finish_reason": .string(plan.toolCalls.isEmpty ? "stop" : "tool_calls")]],
                    "usage": openaiUsage(plan, output: outputTokens)]
        }
    }

    func errorBody(_ fault: FaultSpec) -> JSONValue {
        let type = fault.anthropicErrorType
        switch api {
        case .anthropic:
            return ["type": "error", "error": ["type": .string(type), "message": .string(fault.defaultMessage)],
                    "request_id": .string("req_\(messageId)")]
        case .openai:
            let openAIType: String = switch type {
            case "rate_limit_error": "rate_limit_exceeded"
            case "overloaded_error": "server_error"
            default: type
            }
            return ["error": ["message": .string(fault.defaultMessage), "type": .string(openAIType), "param": nil,
                              "code": .string(openAIType)]]
        }
    }

    // MARK: Streams

    /// Events before the first token.
    func streamStart(_ plan: MockReplyPlan) -> [String] {
        switch api {
        case .anthropic:
            let message: JSONValue = ["id": .string(messageId), "type": "message", "role": "assistant", "model": .string(model),
                                      "content": [], "stop_reason": nil, "stop_sequence": nil,
                                      "usage": anthropicUsage(plan, output: 1)]
            return [event("message_start", ["type": "message_start", "message": message]), event("ping", ["type": "ping"])]
        case .openai:
            return [chunk(["role": "assistant", "content": ""], finish: nil)]
        }
    }

    func blockStart(index: Int, toolCall: MockReplyPlan.ToolCall?) -> [String] {
        switch api {
        case .anthropic:
            let block: JSONValue = toolCall.map { ["type": "tool_use", "id": .string($0.id), "name": .string($0.name), "input": [:]] }
                ?? ["type": "text", "text": ""]
            return [event("content_block_start", ["type": "content_block_start", "index": .int(Int64(index)), "content_block": block])]
        case .openai:
            guard let toolCall else { return [] }
            return [chunk(["tool_calls": [["index": .int(Int64(index)), "id": .string(toolCall.id), "type": "function",
                                           "function": ["name": .string(toolCall.name), "arguments": ""]]]], finish: nil)]
        }
    }

    /// One token: a text fragment, or (with `toolIndex`) a fragment of a tool's JSON input.
    func delta(index: Int, fragment: String, isTool: Bool) -> String {
        switch api {
        case .anthropic:
            let delta: JSONValue = isTool ? ["type": "input_json_delta", "partial_json": .string(fragment)]
                : ["type": "text_delta", "text": .string(fragment)]
            return event("content_block_delta", ["type": "content_block_delta", "index": .int(Int64(index)), "delta": delta])
        case .openai:
            if isTool {
                return chunk(["tool_calls": [["index": .int(Int64(index)), "function": ["arguments": .string(fragment)]]]], finish: nil)
            }
            return chunk(["content": .string(fragment)], finish: nil)
        }
    }

    func blockStop(index: Int) -> [String] {
        api == .anthropic ? [event("content_block_stop", ["type": "content_block_stop", "index": .int(Int64(index))])] : []
    }

    func streamEnd(_ plan: MockReplyPlan, outputTokens: Int, includeUsage: Bool) -> [String] {
        switch api {
        case .anthropic:
            return [event("message_delta", ["type": "message_delta",
                                            "delta": ["stop_reason": .string(anthropicStop(plan)), "stop_sequence": nil],
                                            "usage": ["output_tokens": .int(Int64(outputTokens))]]),
                    event("message_stop", ["type": "message_stop"])]
        case .openai:
            var out = [chunk([:], finish: plan.toolCalls.isEmpty ? "stop" : "tool_calls")]
            if includeUsage {
                out.append(sse(["id": .string(messageId), "object": "chat.completion.chunk", "model": .string(model),
                                "system_fingerprint": "fp_mock", "choices": [],
                                "usage": openaiUsage(plan, output: outputTokens)]))
            }
            out.append("data: [DONE]\n\n")
            return out
        }
    }

    func streamError(_ fault: FaultSpec) -> String {
        switch api {
        case .anthropic: return event("error", errorBody(fault))
        case .openai: return sse(errorBody(fault))
        }
    }

    /// A data line that is not JSON, cut off mid-object.
    var malformedEvent: String {
        switch api {
        case .anthropic: return "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\n\n"
        case .openai: return "data: {\"id\": \"\(messageId)\", \"choices\": [{\"delta\": {\"content\n\n"
        }
    }

    // MARK: Pieces

    private func anthropicStop(_ plan: MockReplyPlan) -> String { plan.toolCalls.isEmpty ? "end_turn" : "tool_use" }

    /// Anthropic counts input apart from cache writes and reads.
    private func anthropicUsage(_ plan: MockReplyPlan, output: Int) -> JSONValue {
        ["input_tokens": .int(Int64(plan.inputTokens)), "output_tokens": .int(Int64(output)),
         "cache_creation_input_tokens": .int(Int64(plan.cacheWriteTokens)), "cache_read_input_tokens": .int(Int64(plan.cacheReadTokens)),
         "cache_creation": ["ephemeral_5m_input_tokens": .int(Int64(plan.cacheWriteTokens)), "ephemeral_1h_input_tokens": 0],
         "service_tier": "standard"]
    }

    /// OpenAI counts cached tokens inside `prompt_tokens`.
    private func openaiUsage(_ plan: MockReplyPlan, output: Int) -> JSONValue {
        let prompt = plan.inputTokens + plan.cacheReadTokens
        return ["prompt_tokens": .int(Int64(prompt)), "completion_tokens": .int(Int64(output)),
                "total_tokens": .int(Int64(prompt + output)), "prompt_tokens_details": ["cached_tokens": .int(Int64(plan.cacheReadTokens))]]
    }

    private func chunk(_ delta: JSONValue, finish: String?) -> String {
        sse(["id": .string(messageId), "object": "chat.completion.chunk", "created": .int(Int64(Date().timeIntervalSince1970)),
             "model": .string(model), "system_fingerprint": "fp_mock",
             "choices": [["index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish.map(JSONValue.string) ?? .null]]])
    }

    private func event(_ name: String, _ data: JSONValue) -> String { "event: \(name)\ndata: \(data.jsonString())\n\n" }
    private func sse(_ data: JSONValue) -> String { "data: \(data.jsonString())\n\n" }
}
