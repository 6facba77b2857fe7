import BosunJSON
import Foundation
import MockProvider
import Testing
@testable import Providers

/// Both APIs, streaming and not, against the mock over loopback HTTP.
@Suite struct ModelClientTests {
    static let combinations: [(ProviderKind, Bool)] = [(.anthropic, false), (.anthropic, true), (.openai, false), (.openai, true)]

    @Test(arguments: combinations)
    func textReplyWithUsageAndCost(kind: ProviderKind, stream: Bool) async throws {
        try await withMock(MockProviderOptions(syntheticTextTokens: 12)) { server, port in
            let client = makeModelClient(endpoint(kind, port: port))
            let log = ProgressLog()
            let reply = try await client.complete(request(model: "claude-haiku-4-5", stream: stream)) { log.record($0) }
            #expect(reply.text == MockReplyPlannerText.expected(words: 12))
            #expect(reply.stopReason == .endTurn)
            #expect(reply.usage.outputTokens == 12)
            #expect(reply.usage.inputTokens > 0)
            #expect(reply.requestId?.hasPrefix("req_msg_mock_") == true)
            #expect(reply.attempts == 1)
            if stream { #expect(log.text == reply.text) } else { #expect(log.text.isEmpty) }
            let cost = try #require(PriceTable.cost(model: "claude-haiku-4-5", usage: reply.usage))
            #expect(abs(cost - (Double(reply.usage.inputTokens) * 1 + 12 * 5) / 1_000_000) < 1e-12)
            #expect(server.stats().requests == 1)
        }
    }

    @Test(arguments: combinations)
    func syntheticToolStepsThenSubmitResult(kind: ProviderKind, stream: Bool) async throws {
        try await withMock(MockProviderOptions(syntheticToolSteps: 2)) { _, port in
            let client = makeModelClient(endpoint(kind, port: port))
            var messages: [ChatMessage] = [.user("Do the task")]
            var calls: [String] = []
            for _ in 0..<3 {
                let reply = try await client.complete(request(stream: stream, tools: [listFilesTool, submitResultTool],
                                                              messages: messages), progress: nil)
                #expect(reply.stopReason == .toolUse)
                let use = try #require(reply.toolUses.first)
                calls.append(use.name)
                messages.append(ChatMessage(role: .assistant, content: reply.content))
                messages.append(ChatMessage(role: .user, content: [.toolResult(toolUseId: use.id, content: "a.txt\nb.txt", isError: false)]))
                if use.name == "list_files" { #expect(use.input == ["path": "."]) }
                if use.name == "submit_result" {
                    #expect(use.input["answer"]?.stringValue?.isEmpty == false)
                    #expect((use.input["score"]?.intValue ?? 0) >= 3)
                }
            }
            #expect(calls == ["list_files", "list_files", "submit_result"])
        }
    }

    @Test(arguments: [ProviderKind.anthropic, .openai])
    func requestsCarryTheWireFormat(kind: ProviderKind) async throws {
        try await withMock { server, port in
            var messages: [ChatMessage] = [.user("Find it")]
            messages.append(ChatMessage(role: .assistant, content: [.text("Looking."),
                                                                    .toolUse(id: "call_1", name: "list_files", input: ["path": "src"])]))
            messages.append(ChatMessage(role: .user, content: [.toolResult(toolUseId: "call_1", content: "no such dir", isError: true)]))
            var req = request(stream: true, tools: [listFilesTool, submitResultTool], messages: messages, system: "Be brief.")
            req.toolChoice = .any
            _ = try await makeModelClient(endpoint(kind, port: port, apiKey: "sk-123")).complete(req, progress: nil)
            let recorded = try #require(server.recordedRequests().last)
            let body = try JSONValue.parse(recorded.body)
            #expect(body["stream"] == true)
            #expect(body["max_tokens"] == 256)
            switch kind {
            case .anthropic:
                #expect(recorded.path == "/v1/messages")
                #expect(recorded.headers["x-api-key"] == "sk-123")
                #expect(recorded.headers["anthropic-version"] == AnthropicClient.apiVersion)
                #expect(body["system"] == "Be brief.")
                #expect(body["tool_choice"] == ["type": "any"])
                #expect(body["tools"]?.arrayValue?.first?["input_schema"] == listFilesTool.inputSchema)
                let result = body["messages"]?.arrayValue?.last?["content"]?.arrayValue?.first
                #expect(result == ["type": "tool_result", "tool_use_id": "call_1", "content": "no such dir", "is_error": true])
            case .openai:
                #expect(recorded.path == "/v1/chat/completions")
                #expect(recorded.headers["authorization"] == "Bearer sk-123")
                #expect(body["stream_options"] == ["include_usage": true])
                #expect(body["tool_choice"] == "required")
                let wire = try #require(body["messages"]?.arrayValue)
                #expect(wire.map { $0["role"]?.stringValue ?? "" } == ["system", "user", "assistant", "tool"])
                #expect(wire[2]["tool_calls"]?.arrayValue?.first?["function"]?["arguments"] == "{\"path\":\"src\"}")
                #expect(wire[3]["tool_call_id"] == "call_1")
                #expect(body["tools"]?.arrayValue?.first?["function"]?["parameters"] == listFilesTool.inputSchema)
            }
        }
    }

    @Test func openAIItselfGetsMaxCompletionTokens() throws {
        let official = OpenAIClient(endpoint: ProviderEndpoint(name: "openai", kind: .openai))
        let officialBody = try JSONValue.parse(official.httpRequest(request(stream: false)).body!)
        #expect(officialBody["max_completion_tokens"] == 256 && officialBody["max_tokens"] == nil)
        let local = OpenAIClient(endpoint: ProviderEndpoint(name: "local", kind: .openai, baseURL: "http://127.0.0.1:11434/v1"))
        let localBody = try JSONValue.parse(local.httpRequest(request(stream: false)).body!)
        #expect(localBody["max_tokens"] == 256 && localBody["max_completion_tokens"] == nil)
        #expect(official.httpRequest(request(stream: false)).url == "https://api.openai.com/v1/chat/completions")
        let anthropic = AnthropicClient(endpoint: ProviderEndpoint(name: "a", kind: .anthropic))
        #expect(anthropic.httpRequest(request(stream: false)).url == "https://api.anthropic.com/v1/messages")
        let proxied = AnthropicClient(endpoint: ProviderEndpoint(name: "a", kind: .anthropic, baseURL: "https://proxy.example/v1/"))
        #expect(proxied.httpRequest(request(stream: false)).url == "https://proxy.example/v1/messages")
    }

    @Test func openAIWithoutKeySendsNoAuthorization() async throws {
        try await withMock { server, port in
            _ = try await makeModelClient(endpoint(.openai, port: port, apiKey: nil)).complete(request(stream: false), progress: nil)
            #expect(server.recordedRequests().last?.headers["authorization"] == nil)
        }
    }

    @Test(arguments: combinations)
    func scriptedMultiToolReplyWithTokenCounts(kind: ProviderKind, stream: Bool) async throws {
        let script = try MockScript(yaml: """
            rules:
              - match: { lastMessage: "weather" }
                reply:
                  text: "Checking two things."
                  toolCalls:
                    - { name: list_files, input: { path: "docs" } }
                    - { name: submit_result }
                usage: { inputTokens: 1000, outputTokens: 77 }
            """)
        try await withMock(MockProviderOptions(script: script)) { _, port in
            let reply = try await makeModelClient(endpoint(kind, port: port))
                .complete(request(stream: stream, tools: [listFilesTool, submitResultTool], messages: [.user("what is the weather")]),
                          progress: nil)
            #expect(reply.text == "Checking two things.")
            #expect(reply.toolUses.map(\.name) == ["list_files", "submit_result"])
            #expect(reply.toolUses.first?.input == ["path": "docs"])
            #expect(reply.toolUses.map(\.id) == ["toolu_mock_1_0", "toolu_mock_1_1"])
            #expect(reply.usage.inputTokens == 1000)
            #expect(reply.usage.outputTokens == 77)
            #expect(reply.stopReason == .toolUse)
        }
    }

    @Test func pricesFallBackFromSnapshotIdsAndOverridesWin() {
        #expect(PriceTable.price(for: "claude-haiku-4-5-20251001") == PriceTable.defaults["claude-haiku-4-5"])
        #expect(PriceTable.price(for: "gpt-4o-2024-08-06") == PriceTable.defaults["gpt-4o"])
        #expect(PriceTable.price(for: "unknown-model") == nil)
        let custom = ModelPrice(input: 2, output: 4)
        #expect(PriceTable.price(for: "gpt-4o", overrides: ["gpt-4o": custom]) == custom)
        let usage = Usage(inputTokens: 1_000_000, outputTokens: 500_000, cacheReadTokens: 1_000_000, cacheWriteTokens: 1_000_000)
        #expect(abs(PriceTable.defaults["claude-sonnet-4-5"]!.cost(of: usage) - (3 + 7.5 + 0.3 + 3.75)) < 1e-9)
    }
}

/// The synthetic text the mock sends, recomputed here so the test fails if either drifts.
enum MockReplyPlannerText {
    static func expected(words: Int) -> String {
        let vocabulary = ["The", "mock", "provider", "answers", "offline", "with", "synthetic", "words", "so",
                          "orchestrations", "can", "be", "tested", "without", "a", "key."]
        return (0..<words).map { vocabulary[$0 % vocabulary.count] }.joined(separator: " ")
    }
}
