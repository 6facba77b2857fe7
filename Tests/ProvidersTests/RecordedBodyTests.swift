import BosunJSON
import Foundation
import HTTP
import Testing
@testable import Providers

/// Real-shaped bodies: fields bosun does not know are ignored, the ones it needs are read.
@Suite struct RecordedBodyTests {
    private func runStream(_ text: String, into accumulator: some StreamAccumulator, chunk: Int) throws -> ModelReply {
        var accumulator = accumulator
        var parser = SSEParser()
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            for event in parser.feed(bytes[start..<min(start + chunk, bytes.count)]) { try accumulator.consume(event) }
        }
        return try accumulator.finish()
    }

    @Test func anthropicMessageWithExtraFields() throws {
        let message = try JSONDecoder().decode(AnthropicWire.MessageBody.self, from: Data(RecordedBodies.anthropicMessage.utf8))
        let reply = AnthropicWire.reply(message, requestId: "req_1")
        #expect(reply.content == [.text("I'll list the files."),
                                  .toolUse(id: "toolu_01A09q90qw90lq917835lq9", name: "list_files", input: ["path": "src", "depth": 2])])
        #expect(reply.stopReason == .toolUse)
        #expect(reply.usage == Usage(inputTokens: 2095, outputTokens: 503, cacheReadTokens: 1024, cacheWriteTokens: 512))
    }

    @Test(arguments: [1, 7, 64, 100_000])
    func anthropicStreamWithThinkingAndToolInput(chunk: Int) throws {
        let text = RecordedBodies.anthropicStream.replacingOccurrences(of: "\n", with: "\r\n")
        let reply = try runStream(text, into: AnthropicStreamAccumulator(provider: "anthropic", progress: nil),
                                  chunk: chunk)
        #expect(reply.content == [.text("Okay, let's check the weather."),
                                  .toolUse(id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather",
                                           input: ["location": "San Francisco, CA", "unit": "fahrenheit"])])
        #expect(reply.stopReason == .toolUse)
        #expect(reply.usage == Usage(inputTokens: 472, outputTokens: 89, cacheReadTokens: 200, cacheWriteTokens: 0))
    }

    @Test func openAICompletionWithParallelToolCalls() throws {
        let completion = try JSONDecoder().decode(OpenAIWire.Completion.self, from: Data(RecordedBodies.openAICompletion.utf8))
        let reply = try OpenAIClient.reply(completion, provider: "openai", requestId: nil)
        #expect(reply.content == [.toolUse(id: "call_12345xyz", name: "get_weather", input: ["location": "Paris, France"]),
                                  .toolUse(id: "call_67890abc", name: "get_weather", input: ["location": "Bogotá, Colombia"])])
        #expect(reply.stopReason == .toolUse)
        #expect(reply.usage == Usage(inputTokens: 93, outputTokens: 46, cacheReadTokens: 1024))
    }

    @Test(arguments: [1, 13, 100_000])
    func openAIStreamWithFragmentedArguments(chunk: Int) throws {
        let reply = try runStream(RecordedBodies.openAIStream,
                                  into: OpenAIStreamAccumulator(provider: "openai", progress: nil), chunk: chunk)
        #expect(reply.content == [.text("Let me check."),
                                  .toolUse(id: "call_DdmO9pD3xa9XTPNJ32zg2hcA", name: "get_weather", input: ["location": "Paris"]),
                                  .toolUse(id: "call_second", name: "get_time", input: [:])])
        #expect(reply.stopReason == .toolUse)
        #expect(reply.usage == Usage(inputTokens: 82, outputTokens: 17))
    }

    @Test func ollamaCompletion() throws {
        let completion = try JSONDecoder().decode(OpenAIWire.Completion.self, from: Data(RecordedBodies.ollamaCompletion.utf8))
        let reply = try OpenAIClient.reply(completion, provider: "local", requestId: nil)
        #expect(reply.content == [.text("Hello! How can I help?")])
        #expect(reply.stopReason == .endTurn)
    }

    @Test func errorBodiesAreClassified() {
        let overloaded = ProviderErrorClassifier.classify(status: 529, body: Data(RecordedBodies.anthropicOverloaded.utf8),
                                                          headers: [], provider: "anthropic")
        #expect(overloaded.error.kind == .overloaded)
        #expect(overloaded.error.requestId == "req_011CSHoEeqs5C35K2UUqR7Fy")
        #expect(overloaded.error.retryable)
        let quota = ProviderErrorClassifier.classify(
            status: 429, body: Data(#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#.utf8),
            headers: [HTTPHeader(name: "x-request-id", value: "req_q")], provider: "openai")
        #expect(quota.error.kind == .spendLimit)
        #expect(!quota.error.retryable)
        #expect(quota.error.requestId == "req_q")
        let ollama = ProviderErrorClassifier.classify(status: 404, body: Data(#"{"error":"model 'llama9' not found"}"#.utf8),
                                                      headers: [], provider: "local")
        #expect(ollama.error.kind == .notFound)
        #expect(ollama.error.message == "model 'llama9' not found")
        let html = ProviderErrorClassifier.classify(status: 502, body: Data("<html>Bad Gateway</html>".utf8), headers: [],
                                                    provider: "proxy")
        #expect(html.error.kind == .server && html.error.retryable)
        #expect(html.error.message.contains("Bad Gateway"))
        let auth = ProviderErrorClassifier.classify(
            status: 401, body: Data(#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#.utf8),
            headers: [HTTPHeader(name: "request-id", value: "req_a")], provider: "anthropic")
        #expect(auth.error.kind == .authentication)
        #expect(auth.error.description.contains("API key"))
        #expect(auth.error.description.contains("req_a"))
    }

    @Test func streamEndingEarlyIsARetryableConnectionError() throws {
        let cut = RecordedBodies.anthropicStream.components(separatedBy: "event: message_delta")[0]
        let error = try #require(throws: AttemptFailure.self) {
            try runStream(cut, into: AnthropicStreamAccumulator(provider: "a", progress: nil), chunk: 50)
        }
        #expect(error.error.kind == .connection && error.error.retryable)
    }

    /// libcurl missing (it is opened at the first call) is not tried again: it stays missing.
    @Test func httpUnavailableIsNotRetriedAndSaysWhy() {
        let failure = ProviderErrorClassifier.transport(.unavailable("libcurl could not be loaded (no libcurl.so.4)"), provider: "anthropic")
        #expect(failure.error.kind == .connection && !failure.error.retryable)
        #expect(failure.error.message == "HTTP is unavailable: libcurl could not be loaded (no libcurl.so.4)")
    }
}
