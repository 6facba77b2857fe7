import BosunJSON
import Foundation
import Testing
@testable import Providers

/// The request bodies are written straight to text, tool schemas copied in from their
/// encoding at `ToolSpec` creation; these compare them byte for byte with the tree the
/// wires built before (`ReferenceRequestBodies`), over every option and awkward content.
@Suite struct RequestBodyTests {
    private static let awkward = "quote \" backslash \\ slash / \u{1}\t\n é 日本 😀 \u{2028}"

    private static let schema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["path"],
        "properties": ["path": ["type": "string", "description": .string(awkward)], "limit": ["type": "integer", "minimum": 1],
                       "ratio": ["type": "number", "maximum": 0.5], "b": ["enum": [nil, true, -3, 1e21]]],
    ]

    private static let tools = [
        ToolSpec(name: "list_files", description: "List files.", inputSchema: schema),
        ToolSpec(name: "odd \"name\"", description: awkward, inputSchema: ["type": "object"]),
        ToolSpec(name: "bare", description: "", inputSchema: true),
    ]

    private static let conversations: [[ChatMessage]] = [
        [],
        [.user("hello")],
        [.user(awkward), .assistant("text only"), ChatMessage(role: .user, content: [.text("one"), .text("two")])],
        [
            .user("brief"),
            ChatMessage(role: .assistant, content: [.text("thinking"), .toolUse(id: "c1", name: "list_files", input: ["path": ".", "limit": 1]),
                                                    .toolUse(id: "c2", name: "bare", input: [:]), .text("more")]),
            ChatMessage(role: .user, content: [.toolResult(toolUseId: "c1", content: "a\nb", isError: false),
                                               .toolResult(toolUseId: "c2", content: Self.awkward, isError: true), .text("and a note")]),
            ChatMessage(role: .assistant, content: [.toolUse(id: "c3", name: "list_files", input: ["nested": [["x": 1.5], [], nil]])]),
            ChatMessage(role: .user, content: [.toolResult(toolUseId: "c3", content: "", isError: false)]),
            ChatMessage(role: .assistant, content: []),
            ChatMessage(role: .user, content: [.toolUse(id: "odd", name: "in a user message", input: 1)]),
            ChatMessage(role: .assistant, content: [.toolResult(toolUseId: "r", content: "result in an assistant message", isError: false)]),
        ],
    ]

    private func expectSame(_ request: ModelRequest, _ note: String) {
        for field in [OpenAIWire.TokenLimitField.maxTokens, .maxCompletionTokens] {
            let name = field == .maxTokens ? "max_tokens" : "max_completion_tokens"
            let written = OpenAIWire.requestBody(request, tokenLimitField: field)
            let reference = ReferenceRequestBodies.openAI(request, tokenLimitField: name).jsonData()
            #expect(written == reference, "openai \(name) \(note)\n\(String(decoding: written, as: UTF8.self))\n\(String(decoding: reference, as: UTF8.self))")
        }
        let written = AnthropicWire.requestBody(request)
        let reference = ReferenceRequestBodies.anthropic(request).jsonData()
        #expect(written == reference, "anthropic \(note)\n\(String(decoding: written, as: UTF8.self))\n\(String(decoding: reference, as: UTF8.self))")
    }

    @Test func everyOptionMatchesTheTree() {
        let choices: [ToolChoice] = [.auto, .any, .none, .tool("list_files"), .tool(Self.awkward)]
        for (c, messages) in Self.conversations.enumerated() {
            for system in ["", "You are careful.", Self.awkward] {
                for tools in [[], Self.tools, [Self.tools[2]]] {
                    for choice in choices {
                        for stream in [false, true] {
                            for responseSchema in [nil, Self.schema] as [JSONValue?] {
                                let request = ModelRequest(model: c == 1 ? Self.awkward : "m", system: system, messages: messages,
                                                           tools: tools, toolChoice: choice, maxTokens: c * 1000 + 1,
                                                           stream: stream, responseSchema: responseSchema)
                                expectSame(request, "conversation \(c) system \(system.count) tools \(tools.count) \(choice) \(stream) \(responseSchema != nil)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// What `JSONEncoder` refuses makes the whole body `null`, wherever it sits.
    @Test func unwritableValuesMakeTheSameNullBody() {
        let nan = JSONValue.double(.nan)
        let requests = [
            ModelRequest(model: "m", messages: [ChatMessage(role: .assistant, content: [.toolUse(id: "1", name: "t", input: ["x": nan])])]),
            ModelRequest(model: "m", messages: [.user("hi")], tools: [ToolSpec(name: "t", description: "", inputSchema: ["minimum": nan])]),
            ModelRequest(model: "m", messages: [.user("hi")], responseSchema: ["const": nan]),
        ]
        for (position, request) in requests.enumerated() {
            expectSame(request, "unwritable \(position)")
            let body = position == 2 ? OpenAIWire.requestBody(request) : AnthropicWire.requestBody(request)
            #expect(body == Data("null".utf8), "place \(position)")
        }
    }

    /// Around `JSONEncoder`'s nesting limit, at each place a value is copied in.
    @Test func nestingNearTheLimitMatchesTheTree() {
        for levels in 500...512 {
            var deep: JSONValue = 1
            for level in 0..<levels { deep = level % 2 == 0 ? .array([deep]) : ["k": deep] }
            let requests = [
                ModelRequest(model: "m", messages: [ChatMessage(role: .assistant, content: [.toolUse(id: "1", name: "t", input: deep)])]),
                ModelRequest(model: "m", messages: [.user("hi")], tools: [ToolSpec(name: "t", description: "", inputSchema: deep)]),
                ModelRequest(model: "m", messages: [.user("hi")], responseSchema: deep),
            ]
            for (position, request) in requests.enumerated() {
                expectSame(request, "\(levels) levels at place \(position)")
                // Both sides of the limit are in this range, at every place. (OpenAI sends a tool
                // input as a string, encoded on its own, and Anthropic has no response schema.)
                let body = position == 2 ? OpenAIWire.requestBody(request) : AnthropicWire.requestBody(request)
                if levels == 500 { #expect(body != Data("null".utf8), "place \(position)") }
                if levels == 512 { #expect(body == Data("null".utf8), "place \(position)") }
            }
        }
    }

    /// The cached encoding follows the schema however the spec was made or changed, and is
    /// invisible to equality, hashing and Codable.
    @Test func toolSpecEncodingFollowsTheSchema() throws {
        var spec = ToolSpec(name: "t", description: "d", inputSchema: ["type": "object"])
        spec.inputSchema = Self.schema
        #expect(spec.encodedSchema.json == Self.schema.jsonBytes())
        let encoded = try JSONEncoder().encode(spec)
        #expect(try JSONValue.parse(encoded) == ["name": "t", "description": "d", "inputSchema": Self.schema])
        let decoded = try JSONDecoder().decode(ToolSpec.self, from: encoded)
        #expect(decoded == spec && decoded.hashValue == spec.hashValue)
        #expect(decoded.encodedSchema.json == Self.schema.jsonBytes())
        #expect(spec != ToolSpec(name: "t", description: "d", inputSchema: ["type": "object"]))
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ToolSpec.self, from: Data(#"{"name":"t","description":"d"}"#.utf8)) }
    }
}
