import BosunJSON
import Foundation

/// Which API a request came in on.
enum MockAPI: Sendable {
    case anthropic
    case openai
}

/// A decoded model request: what the mock matches on, plus how to answer.
struct MockModelRequest: Sendable {
    var api: MockAPI
    var facts: MockRequestFacts
    var stream: Bool
    /// OpenAI `stream_options.include_usage`.
    var includeUsage: Bool
    /// A rough count: body bytes / 4.
    var inputTokens: Int
    /// The request's prompt prefixes, shortest first, as a prompt cache sees them: Anthropic's
    /// up to each block (in its order: tools, system, messages), the ones ending in a
    /// `cache_control` breakpoint being those it writes; OpenAI's up to each message under a
    /// `prompt_cache_key`, every one kept.
    var cachePrefixes: [MockCachePrefix] = []
    /// Whether the API bills cache writes (Anthropic) or caches for free (OpenAI).
    var billsCacheWrites: Bool { api == .anthropic }

    /// Reads either API's request body; the error text goes back as a 400.
    init(api: MockAPI, body: Data) throws {
        guard let json = try? JSONValue.parse(body), case .object(let root) = json else {
            throw MockScriptError(reason: "the request body is not a JSON object")
        }
        guard let model = root["model"]?.stringValue else { throw MockScriptError(reason: "\"model\" (string) is required") }
        guard let messages = root["messages"]?.arrayValue else { throw MockScriptError(reason: "\"messages\" (array) is required") }
        self.api = api
        stream = root["stream"]?.boolValue ?? false
        includeUsage = root["stream_options"]?["include_usage"]?.boolValue ?? false
        inputTokens = max(1, body.count / 4)
        var system = ""
        var turn = 0
        var tools: [(name: String, schema: JSONValue)] = []
        switch api {
        case .anthropic:
            system = root["system"]?.stringValue
                ?? (root["system"]?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined(separator: "\n")
            for tool in root["tools"]?.arrayValue ?? [] {
                if let name = tool["name"]?.stringValue { tools.append((name, tool["input_schema"] ?? [:])) }
            }
        case .openai:
            system = messages.filter { ["system", "developer"].contains($0["role"]?.stringValue) }
                .map { Self.text(of: $0["content"]) }.joined(separator: "\n")
            for tool in root["tools"]?.arrayValue ?? [] {
                if let name = tool["function"]?["name"]?.stringValue { tools.append((name, tool["function"]?["parameters"] ?? [:])) }
            }
        }
        cachePrefixes = Self.cachePrefixes(api: api, root: root, messages: messages)
        turn = messages.filter { $0["role"]?.stringValue == "assistant" }.count
        let last = messages.last { !["system", "developer"].contains($0["role"]?.stringValue) }
        facts = MockRequestFacts(model: model, system: system, lastMessage: Self.text(of: last?["content"]), turn: turn, tools: tools)
    }

    private static func cachePrefixes(api: MockAPI, root: [String: JSONValue], messages: [JSONValue]) -> [MockCachePrefix] {
        var prefixes: [MockCachePrefix] = []
        var text = ""
        // A block is the same prefix whether or not it carries the breakpoint this time.
        func unmarked(_ block: JSONValue) -> String {
            guard case .object(var fields) = block else { return block.jsonString() }
            fields["cache_control"] = nil
            return JSONValue.object(fields).jsonString()
        }
        func mark(_ breakpoint: Bool) {
            prefixes.append(MockCachePrefix(key: text.hashValue, tokens: max(1, text.utf8.count / 4), breakpoint: breakpoint))
        }
        switch api {
        case .anthropic:
            for tool in root["tools"]?.arrayValue ?? [] {
                text += unmarked(tool)
                mark(tool["cache_control"] != nil)
            }
            for block in root["system"]?.arrayValue ?? [] {
                text += unmarked(block)
                mark(block["cache_control"] != nil)
            }
            if let system = root["system"]?.stringValue { text += system }
            for message in messages {
                text += message["role"]?.stringValue ?? ""
                for block in message["content"]?.arrayValue ?? [] {
                    text += unmarked(block)
                    mark(block["cache_control"] != nil)
                }
                if let content = message["content"]?.stringValue { text += content }
            }
        case .openai:
            guard let key = root["prompt_cache_key"]?.stringValue else { return [] }
            text = key + (root["tools"]?.jsonString() ?? "")
            for message in messages {
                text += message.jsonString()
                mark(true)
            }
        }
        return prefixes
    }

    /// Text of a message's content: a string, or blocks of text and tool results.
    private static func text(of content: JSONValue?) -> String {
        if let string = content?.stringValue { return string }
        return (content?.arrayValue ?? []).compactMap { block -> String? in
            if let text = block["text"]?.stringValue { return text }
            if block["type"]?.stringValue == "tool_result" { return text(of: block["content"]) }
            return nil
        }.joined(separator: "\n")
    }
}

/// A prompt prefix: its fingerprint, its size, and whether the cache keeps it (a breakpoint).
struct MockCachePrefix: Sendable, Hashable {
    var key: Int
    var tokens: Int
    var breakpoint: Bool
}

/// What to send back for one request.
struct MockReplyPlan: Sendable {
    struct ToolCall: Sendable {
        var id: String
        var name: String
        var input: JSONValue
    }
    var text: String?
    var toolCalls: [ToolCall] = []
    var latencyMs: Int
    var tokensPerSecond: Double?
    var inputTokens: Int
    /// Input tokens read from, and written to, the prompt cache (`inputTokens` is the rest).
    var cacheReadTokens = 0
    var cacheWriteTokens = 0
    /// Overrides the counted output tokens.
    var outputTokens: Int?
    var fault: FaultSpec?
    /// Wait for a release before replying (a rule's `hold`).
    var hold = false
}

/// Decides replies: script rules first, else synthetic (N tool steps, then `submit_result`).
struct MockReplyPlanner: Sendable {
    var options: MockProviderOptions

    /// `rule` picks the script rule (the server counts uses); nil means synthetic.
    func plan(for request: MockModelRequest, rule: MockRule?, callNumber: Int) -> MockReplyPlan {
        var plan = MockReplyPlan(latencyMs: options.latencyMs, tokensPerSecond: options.tokensPerSecond,
                                 inputTokens: request.inputTokens)
        if let rule {
            plan.latencyMs = rule.latencyMs ?? plan.latencyMs
            plan.tokensPerSecond = rule.tokensPerSecond ?? plan.tokensPerSecond
            plan.inputTokens = rule.inputTokens ?? plan.inputTokens
            plan.outputTokens = rule.outputTokens
            plan.fault = rule.fault
            plan.hold = rule.hold
            if !rule.synthetic {
                plan.text = rule.text
                plan.toolCalls = rule.toolCalls.enumerated().map { position, call in
                    let schema = request.facts.tools.first { $0.name == call.name }?.schema ?? [:]
                    return MockReplyPlan.ToolCall(id: Self.callId(callNumber, position), name: call.name,
                                                  input: call.input.map { Self.fillEnumPlaceholders($0, from: schema) }
                                                      ?? SchemaExampleGenerator.example(for: schema))
                }
                return plan
            }
        }
        synthesize(into: &plan, facts: request.facts, callNumber: callNumber)
        return plan
    }

    private func synthesize(into plan: inout MockReplyPlan, facts: MockRequestFacts, callNumber: Int) {
        let submit = facts.tools.first { $0.name == "submit_result" }
        let harmless = facts.tools.first { $0.name == "list_files" } ?? facts.tools.first { $0.name != "submit_result" }
        if facts.turn < options.syntheticToolSteps, let harmless {
            var input = SchemaExampleGenerator.example(for: harmless.schema)
            // A path the workspace surely has, so the tool call succeeds.
            if case .object(var fields) = input, fields["path"]?.stringValue != nil {
                fields["path"] = "."
                input = .object(fields)
            }
            input = Self.varied(input, schema: harmless.schema, step: facts.turn)
            plan.toolCalls = [MockReplyPlan.ToolCall(id: Self.callId(callNumber, 0), name: harmless.name, input: input)]
        } else if let submit {
            plan.toolCalls = [MockReplyPlan.ToolCall(id: Self.callId(callNumber, 0), name: submit.name,
                                                     input: Self.submitInput(submit.schema))]
        } else {
            plan.text = Self.syntheticText(words: options.syntheticTextTokens)
        }
    }

    /// The step's input made different from every other step's, as a model that looks
    /// around asks different things: the first integer field the schema has (by name, without
    /// `enum` or `const`; `list_files`' `limit`) is set to 100 plus the step, within its
    /// `minimum` and `maximum`. Identical calls in a row would trip the worker's stall
    /// detector (a nudge at `stallRepeats`, then `stalled`).
    static func varied(_ input: JSONValue, schema: JSONValue, step: Int) -> JSONValue {
        guard case .object(var fields) = input, case .object(let properties)? = schema["properties"] else { return input }
        let integer = properties.keys.sorted().first { name in
            let property = properties[name]!
            return property["type"]?.stringValue == "integer" && property["enum"] == nil && property["const"] == nil
        }
        guard let integer, let property = properties[integer] else { return input }
        let minimum = property["minimum"]?.intValue.map(Int.init) ?? 0
        let maximum = property["maximum"]?.intValue.map(Int.init) ?? Int.max
        guard maximum > minimum else { return input }
        let value = minimum + 100 + step
        fields[integer] = .int(Int64(value <= maximum ? value : minimum + step % (maximum - minimum + 1)))
        return .object(fields)
    }

    /// Replaces each string `$enum[N]` in a scripted input with the N-th value of the first
    /// `enum` in the tool's schema (keys visited in sorted order). A script cannot know the
    /// ids a server makes at run time; a synthesis submission's schema lists the given
    /// worker ids as such an enum, so a script can cite "the second worker".
    static func fillEnumPlaceholders(_ input: JSONValue, from schema: JSONValue) -> JSONValue {
        switch input {
        case .string(let text) where text.hasPrefix("$enum[") && text.hasSuffix("]"):
            guard let index = Int(text.dropFirst(6).dropLast()), let options = firstEnum(in: schema),
                  options.indices.contains(index) else { return input }
            return options[index]
        case .array(let items): return .array(items.map { fillEnumPlaceholders($0, from: schema) })
        case .object(let fields): return .object(fields.mapValues { fillEnumPlaceholders($0, from: schema) })
        default: return input
        }
    }

    private static func firstEnum(in schema: JSONValue) -> [JSONValue]? {
        switch schema {
        case .object(let fields):
            if let options = fields["enum"]?.arrayValue { return options }
            for key in fields.keys.sorted() { if let found = firstEnum(in: fields[key]!) { return found } }
            return nil
        case .array(let items):
            for item in items { if let found = firstEnum(in: item) { return found } }
            return nil
        default: return nil
        }
    }

    /// `submit_result` input: the schema's example, with a real sentence where it wants free text.
    private static func submitInput(_ schema: JSONValue) -> JSONValue {
        var input = SchemaExampleGenerator.example(for: schema)
        if case .object(var fields) = input, fields["text"]?.stringValue != nil, schema["properties"]?["text"]?["enum"] == nil {
            fields["text"] = "Synthetic result from bosun mock-provider."
            input = .object(fields)
        }
        return input
    }

    static func syntheticText(words: Int) -> String {
        let vocabulary = ["The", "mock", "provider", "answers", "offline", "with", "synthetic", "words", "so",
                          "orchestrations", "can", "be", "tested", "without", "a", "key."]
        return (0..<words).map { vocabulary[$0 % vocabulary.count] }.joined(separator: " ")
    }

    private static func callId(_ callNumber: Int, _ position: Int) -> String { "toolu_mock_\(callNumber)_\(position)" }
}
