import BosunJSON
import Foundation

/// Anthropic Messages wire format: the request body, and the response and stream event
/// shapes. Decoding names only the fields bosun uses, so extra fields real responses
/// carry (`stop_details`, `service_tier`, `cache_creation`, ...) are ignored.
enum AnthropicWire {
    /// The request body as JSON text, its keys written in sorted order (see `RequestBodyWriter`).
    static func requestBody(_ request: ModelRequest) -> Data {
        var w = RequestBodyWriter()
        w.raw(#"{"max_tokens":"#)
        w.int(request.maxTokens)
        w.raw(#","messages":["#)
        let caching = request.cacheKey != nil
        for (position, message) in request.messages.enumerated() {
            if position > 0 { w.raw(",") }
            writeMessage(message, breakpoint: caching && position == request.messages.count - 1, into: &w)
        }
        w.raw(#"],"model":"#)
        w.string(request.model)
        if request.stream { w.raw(#","stream":true"#) }
        if !request.system.isEmpty {
            w.raw(#","system":"#)
            if caching {
                w.raw(#"[{"cache_control":{"type":"ephemeral"},"text":"#)
                w.string(request.system)
                w.raw(#","type":"text"}]"#)
            } else {
                w.string(request.system)
            }
        }
        if !request.tools.isEmpty {
            switch request.toolChoice {
            case .auto: w.raw(#","tool_choice":{"type":"auto"}"#)
            case .any: w.raw(#","tool_choice":{"type":"any"}"#)
            case .tool(let name):
                w.raw(#","tool_choice":{"name":"#)
                w.string(name)
                w.raw(#","type":"tool"}"#)
            case .none: w.raw(#","tool_choice":{"type":"none"}"#)
            }
            w.raw(#","tools":["#)
            for (position, tool) in request.tools.enumerated() {
                if position > 0 { w.raw(",") }
                w.raw("{")
                if caching && position == request.tools.count - 1 { w.raw(#""cache_control":{"type":"ephemeral"},"#) }
                w.raw(#""description":"#)
                w.string(tool.description)
                w.raw(#","input_schema":"#)
                w.encoded(tool.encodedSchema, depth: 3)
                w.raw(#","name":"#)
                w.string(tool.name)
                w.raw("}")
            }
            w.raw("]")
        }
        w.raw("}")
        return w.data
    }

    /// `breakpoint`: the message's last block carries `cache_control`.
    private static func writeMessage(_ message: ChatMessage, breakpoint: Bool, into w: inout RequestBodyWriter) {
        w.raw(#"{"content":["#)
        for (position, block) in message.content.enumerated() {
            if position > 0 { w.raw(",") }
            w.raw("{")
            if breakpoint && position == message.content.count - 1 { w.raw(#""cache_control":{"type":"ephemeral"},"#) }
            switch block {
            case .text(let text):
                w.raw(#""text":"#)
                w.string(text)
                w.raw(#","type":"text"}"#)
            case .toolUse(let id, let name, let input):
                w.raw(#""id":"#)
                w.string(id)
                w.raw(#","input":"#)
                w.value(input, depth: 5)
                w.raw(#","name":"#)
                w.string(name)
                w.raw(#","type":"tool_use"}"#)
            case .toolResult(let toolUseId, let content, let isError):
                w.raw(#""content":"#)
                w.string(content)
                if isError { w.raw(#","is_error":true"#) }
                w.raw(#","tool_use_id":"#)
                w.string(toolUseId)
                w.raw(#","type":"tool_result"}"#)
            }
        }
        w.raw(#"],"role":"#)
        w.string(message.role.rawValue)
        w.raw("}")
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
