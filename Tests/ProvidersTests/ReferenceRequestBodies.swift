import BosunJSON
@testable import Providers

/// The request bodies as they were built before `RequestBodyWriter`: as a `JSONValue` tree,
/// written by `jsonData()`. The reference `RequestBodyTests` compares the writer with.
enum ReferenceRequestBodies {
    static func openAI(_ request: ModelRequest, tokenLimitField: String) -> JSONValue {
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

    static func anthropic(_ request: ModelRequest) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "max_tokens": .int(Int64(request.maxTokens)),
            "messages": .array(request.messages.map(anthropicMessage)),
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

    private static func anthropicMessage(_ message: ChatMessage) -> JSONValue {
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
}
