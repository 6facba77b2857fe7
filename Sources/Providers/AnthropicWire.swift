import BosunJSON
import Foundation

/// Anthropic Messages wire format: the request body, and the response and stream event
/// shapes. Decoding names only the fields bosun uses, so extra fields real responses
/// carry (`stop_details`, `service_tier`, `cache_creation`, ...) are ignored.
enum AnthropicWire {
    static func requestBody(_ request: ModelRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "max_tokens": .int(Int64(request.maxTokens)),
            "messages": .array(request.messages.map(message)),
        ]
        if !request.system.isEmpty { body["system"] = .string(request.system) }
        if request.stream { body["stream"] = true }
        if !request.tools.isEmpty {
            body["tools"] = .array(request.tools.map {
                ["name": .string($0.name), "description": .string($0.description), "input_schema": $0.inputSchema]
            })
            switch request.toolChoice {
            case .auto: body["tool_choice"] = ["type": "auto"]
            case .any: body["tool_choice"] = ["type": "any"]
            case .tool(let name): body["tool_choice"] = ["type": "tool", "name": .string(name)]
            case .none: body["tool_choice"] = ["type": "none"]
            }
        }
        return .object(body)
    }

    private static func message(_ message: ChatMessage) -> JSONValue {
        let blocks: [JSONValue] = message.content.map { block in
            switch block {
            case .text(let text):
                return ["type": "text", "text": .string(text)]
            case .toolUse(let id, let name, let input):
                return ["type": "tool_use", "id": .string(id), "name": .string(name), "input": input]
            case .toolResult(let toolUseId, let content, let isError):
                var result: [String: JSONValue] = ["type": "tool_result", "tool_use_id": .string(toolUseId),
                                                   "content": .string(content)]
                if isError { result["is_error"] = true }
                return .object(result)
            }
        }
        return ["role": .string(message.role.rawValue), "content": .array(blocks)]
    }

    struct UsageBody: Decodable {
        var input_tokens: Int?
        var output_tokens: Int?
        var cache_creation_input_tokens: Int?
        var cache_read_input_tokens: Int?

        /// Later (cumulative) counts replace earlier ones; absent fields keep them.
        func merged(into usage: inout Usage) {
            if let v = input_tokens { usage.inputTokens = v }
            if let v = output_tokens { usage.outputTokens = v }
            if let v = cache_creation_input_tokens { usage.cacheWriteTokens = v }
            if let v = cache_read_input_tokens { usage.cacheReadTokens = v }
        }
    }

    struct Block: Decodable {
        var type: String
        var text: String?
        var id: String?
        var name: String?
        var input: JSONValue?
    }

    struct MessageBody: Decodable {
        var content: [Block]?
        var stop_reason: String?
        var usage: UsageBody?
    }

    static func reply(_ message: MessageBody, requestId: String?) -> ModelReply {
        var usage = Usage()
        message.usage?.merged(into: &usage)
        let content = (message.content ?? []).compactMap(contentBlock)
        return ModelReply(content: content, stopReason: stopReason(message.stop_reason), usage: usage, requestId: requestId)
    }

    /// Text and tool calls; other block kinds (thinking, server tools) are not part of bosun's conversation.
    static func contentBlock(_ block: Block) -> ContentBlock? {
        switch block.type {
        case "text": return .text(block.text ?? "")
        case "tool_use": return .toolUse(id: block.id ?? "", name: block.name ?? "", input: block.input ?? [:])
        default: return nil
        }
    }

    static func stopReason(_ raw: String?) -> StopReason {
        switch raw {
        case "end_turn": return .endTurn
        case "tool_use": return .toolUse
        case "max_tokens": return .maxTokens
        case "stop_sequence": return .stopSequence
        case "refusal": return .refusal
        default: return .other
        }
    }

    /// Any streamed event; which fields are set depends on `type`.
    struct StreamEvent: Decodable {
        struct Delta: Decodable {
            var type: String?
            var text: String?
            var partial_json: String?
            var stop_reason: String?
        }
        var type: String
        var index: Int?
        var message: MessageBody?
        var content_block: Block?
        var delta: Delta?
        var usage: UsageBody?
    }
}

// Direct reads of the same fields (see `WireObject`).
extension AnthropicWire.UsageBody: WireObject {
    init(fields: WireFields) throws {
        input_tokens = try fields.int("input_tokens")
        output_tokens = try fields.int("output_tokens")
        cache_creation_input_tokens = try fields.int("cache_creation_input_tokens")
        cache_read_input_tokens = try fields.int("cache_read_input_tokens")
    }
}

extension AnthropicWire.Block: WireObject {
    init(fields: WireFields) throws {
        guard let type = try fields.string("type") else { throw WireFields.Mismatch() }
        self.type = type
        text = try fields.string("text")
        id = try fields.string("id")
        name = try fields.string("name")
        input = fields.json("input")
    }
}

extension AnthropicWire.MessageBody: WireObject {
    init(fields: WireFields) throws {
        content = try fields.array("content")
        stop_reason = try fields.string("stop_reason")
        usage = try fields.nested("usage")
    }
}

extension AnthropicWire.StreamEvent: WireObject {
    init(fields: WireFields) throws {
        guard let type = try fields.string("type") else { throw WireFields.Mismatch() }
        self.type = type
        index = try fields.int("index")
        message = try fields.nested("message")
        content_block = try fields.nested("content_block")
        delta = try fields.nested("delta")
        usage = try fields.nested("usage")
    }
}

extension AnthropicWire.StreamEvent.Delta: WireObject {
    init(fields: WireFields) throws {
        type = try fields.string("type")
        text = try fields.string("text")
        partial_json = try fields.string("partial_json")
        stop_reason = try fields.string("stop_reason")
    }
}
