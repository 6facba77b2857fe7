import BosunJSON
import Foundation
import MockProvider
import Testing
@testable import Providers

/// Prompt caching: the request marks its stable prefix and a rolling breakpoint, and the
/// mock (like the real APIs) bills a repeated prefix as cache reads.
@Suite struct PromptCacheTests {
    /// Three steps of one conversation, with or without a cache key: each step's usage and body.
    func steps(_ kind: ProviderKind, cacheKey: String?) async throws -> [(usage: Usage, body: JSONValue)] {
        try await withMock(MockProviderOptions(syntheticToolSteps: 3)) { server, port in
            let client = makeModelClient(endpoint(kind, port: port))
            var messages: [ChatMessage] = [.user("Do the task: " + String(repeating: "the brief says a lot. ", count: 200))]
            var out: [(Usage, JSONValue)] = []
            for _ in 0..<3 {
                var req = request(stream: true, tools: [listFilesTool, submitResultTool], messages: messages,
                                  system: String(repeating: "You are a careful worker. ", count: 200))
                req.cacheKey = cacheKey
                let reply = try await client.complete(req, progress: nil)
                out.append((reply.usage, try JSONValue.parse(try #require(server.recordedRequests().last).body)))
                let use = try #require(reply.toolUses.first)
                messages.append(ChatMessage(role: .assistant, content: reply.content))
                messages.append(ChatMessage(role: .user, content: [.toolResult(toolUseId: use.id, content: "a.txt", isError: false)]))
            }
            return out
        }
    }

    @Test func anthropicMarksThePrefixAndTheLastMessageAndReadsTheLastStep() async throws {
        let cached = try await steps(.anthropic, cacheKey: "w_1")
        let body = cached[1].body
        #expect(body["system"]?.arrayValue?.first?["cache_control"] == ["type": "ephemeral"])
        #expect(body["tools"]?.arrayValue?.last?["cache_control"] == ["type": "ephemeral"])
        #expect(body["tools"]?.arrayValue?.first?["cache_control"] == nil)
        #expect(body["messages"]?.arrayValue?.last?["content"]?.arrayValue?.last?["cache_control"] == ["type": "ephemeral"])
        #expect(body["messages"]?.arrayValue?.first?["content"]?.arrayValue?.last?["cache_control"] == nil)
        // The first step writes the prefix; each later one reads what the one before wrote.
        #expect(cached[0].usage.cacheWriteTokens > 0 && cached[0].usage.cacheReadTokens == 0)
        #expect(cached[1].usage.cacheReadTokens >= cached[0].usage.cacheWriteTokens)
        #expect(cached[2].usage.cacheReadTokens > cached[1].usage.cacheReadTokens)
        #expect(cached[2].usage.cacheWriteTokens < cached[0].usage.cacheWriteTokens)

        let plain = try await steps(.anthropic, cacheKey: nil)
        #expect(plain[1].body["system"]?.stringValue != nil)
        #expect(plain.allSatisfy { $0.usage.cacheReadTokens == 0 && $0.usage.cacheWriteTokens == 0 })
    }

    @Test func openAISendsThePromptCacheKeyAndCountsCachedTokensApart() async throws {
        let cached = try await steps(.openai, cacheKey: "w_1")
        #expect(cached[0].body["prompt_cache_key"] == "w_1")
        #expect(cached[0].usage.cacheReadTokens == 0 && cached[1].usage.cacheReadTokens > 0)
        #expect(cached.allSatisfy { $0.usage.cacheWriteTokens == 0 })
        let plain = try await steps(.openai, cacheKey: nil)
        #expect(plain[0].body["prompt_cache_key"] == nil)
        #expect(plain.allSatisfy { $0.usage.cacheReadTokens == 0 })
        // The same conversation: what is cached is not also counted as input.
        #expect(cached[1].usage.inputTokens + cached[1].usage.cacheReadTokens <= plain[1].usage.inputTokens + 8)
    }

    /// Anthropic's prices: writes at 1.25x input, reads at 0.1x. Ten steps of a growing
    /// conversation cost far less input with caching than without.
    @Test func tenAnthropicStepsCostAtLeastThreeTimesLessInputWithCaching() async throws {
        let price = try #require(PriceTable.price(for: "claude-haiku-4-5"))
        func inputCost(_ usage: [Usage]) -> Double {
            usage.reduce(0) { total, u in total + price.cost(of: Usage(inputTokens: u.inputTokens, cacheReadTokens: u.cacheReadTokens,
                                                                        cacheWriteTokens: u.cacheWriteTokens)) }
        }
        func run(_ cacheKey: String?) async throws -> [Usage] {
            try await withMock(MockProviderOptions(syntheticToolSteps: 10)) { _, port in
                let client = makeModelClient(endpoint(.anthropic, port: port))
                var messages: [ChatMessage] = [.user("Do the task: " + String(repeating: "the brief says a lot. ", count: 200))]
                var usage: [Usage] = []
                for _ in 0..<10 {
                    var req = request(stream: false, tools: [listFilesTool, submitResultTool], messages: messages,
                                      system: String(repeating: "You are a careful worker. ", count: 200))
                    req.cacheKey = cacheKey
                    let reply = try await client.complete(req, progress: nil)
                    usage.append(reply.usage)
                    let use = try #require(reply.toolUses.first)
                    messages.append(ChatMessage(role: .assistant, content: reply.content))
                    messages.append(ChatMessage(role: .user, content: [.toolResult(toolUseId: use.id, content: "a.txt", isError: false)]))
                }
                return usage
            }
        }
        let with = inputCost(try await run("w_1")), without = inputCost(try await run(nil))
        #expect(without / with >= 3, "without \(without), with \(with)")
    }
}
