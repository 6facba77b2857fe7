import BosunJSON
import Foundation
import Testing
@testable import Providers

/// The wire types are read straight from the JSON text (`JSONTape`); these check that they
/// read what `JSONDecoder` reads, and fail where it fails.
@Suite struct WireFastPathTests {
    private func same<T: WireObject>(_ type: T.Type, _ text: String) {
        let data = Data(text.utf8)
        let fast = Result { try T.decode(data) }
        let reference = Result { try JSONDecoder().decode(T.self, from: data) }
        switch (fast, reference) {
        case (.success(let a), .success(let b)): #expect(canonical(a) == canonical(b), "\(text)")
        case (.failure, .failure): break
        default: Issue.record("\(text): fast \(fast), JSONDecoder \(reference)")
        }
        // And the direct read itself must not accept what JSONDecoder rejects.
        if case .failure = reference {
            let direct = data.withUnsafeBytes { raw in
                JSONTape.read(raw.bindMemory(to: UInt8.self)) { root in WireFields(root).flatMap { try? T(fields: $0) } }
            }
            #expect((direct ?? nil) == nil, "\(text)")
        }
    }

    /// Every field, by reflection, with dictionary entries sorted: two equal dictionaries
    /// may iterate in different orders, so their plain descriptions can differ.
    private func canonical(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.children.isEmpty { return String(reflecting: value) }
        let parts = mirror.children.map { child in (child.label.map { "\($0): " } ?? "") + canonical(child.value) }
        let body = mirror.displayStyle == .dictionary ? parts.sorted() : parts
        return "\(mirror.subjectType)(\(body.joined(separator: ", ")))"
    }

    @Test func openAIChunksReadAsJSONDecoderReadsThem() {
        let chunks = [
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":"hi "},"logprobs":null,"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"list_files","arguments":""}}]}}]}"#,
            #"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"pa"}}]}}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}}}"#,
            #"{"choices":[{"delta":{},"finish_reason":"tool_calls"}],"usage":null}"#,
            #"{"error":{"message":"overloaded","type":"server_error"}}"#, #"{"error":null}"#, "{}",
            // Shapes JSONDecoder rejects, or might read its own way.
            #"{"choices":"none"}"#, #"{"choices":[1]}"#, #"{"choices":[{"delta":{"content":5}}]}"#,
            #"{"choices":[{"delta":{"tool_calls":[{"index":"0"}]}}]}"#, #"{"choices":[{"delta":{"tool_calls":[{"index":1.0}]}}]}"#,
            #"{"usage":{"prompt_tokens":1e2}}"#, #"{"usage":{"prompt_tokens":99999999999999999999}}"#, "[]", "null", "{",
            // Keys the tape leaves to JSONDecoder (escaped, non-ASCII, repeated); values it decodes (escapes, non-ASCII, fractions).
            #"{"ch\u006fices":[{"delta":{"content":"x"}}]}"#, #"{"choices":[{"delta":{"content":"x","cöntent":"y"}}]}"#,
            #"{"choices":[{"delta":{"content":"x","content":"y"}}]}"#, #"{"choices":[{"delta":{"content":"é\u00e9\"\n😀"}}]}"#,
            #"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":\"\u00e9\"}"}}]},"logprobs":{"p":-0.25}}]}"#,
        ]
        for chunk in chunks { same(OpenAIWire.Chunk.self, chunk) }
        same(OpenAIWire.Completion.self, #"{"choices":[{"message":{"content":"a","refusal":null,"tool_calls":[{"id":"x","function":{"name":"n","arguments":"{}"}}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":1}}"#)
        same(OpenAIWire.Completion.self, #"{"choices":[{"message":{"content":["a"]}}]}"#)
    }

    @Test func anthropicEventsReadAsJSONDecoderReadsThem() {
        let events = [
            #"{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"stop_reason":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#,
            #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"n","input":{}}}"#,
            #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hé 😀"}}"#,
            #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":9}}"#,
            #"{"type":"ping"}"#, #"{"type":"message_stop"}"#,
            #"{"index":0}"#, #"{"type":null}"#, #"{"type":3}"#, #"{"type":"content_block_start","content_block":{"text":"no type"}}"#,
            #"{"type":"message_delta","usage":{"output_tokens":"9"}}"#, #"{"type":"x","index":-1.5}"#,
        ]
        for event in events { same(AnthropicWire.StreamEvent.self, event) }
        same(AnthropicWire.MessageBody.self, #"{"content":[{"type":"text","text":"a"},{"type":"tool_use","id":"i","name":"n","input":{"k":[1,2.5,null]}}],"stop_reason":"end_turn","usage":{"input_tokens":1}}"#)
    }
}
