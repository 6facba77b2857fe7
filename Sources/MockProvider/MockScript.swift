import BosunJSON
import Foundation
import Yams

/// Scripted replies: the first rule whose `match` fits a request decides the reply.
/// A request no rule matches gets the synthetic reply. See docs/providers.md for the format.
public struct MockScript: Sendable {
    public var rules: [MockRule]

    public init(rules: [MockRule]) {
        self.rules = rules
    }

    /// Parses a script from YAML text; errors name the rule and field at fault.
    public init(yaml: String) throws {
        let file: ScriptFile
        do {
            file = try YAMLDecoder().decode(ScriptFile.self, from: yaml)
        } catch {
            throw MockScriptError(reason: "the script is not valid: \(error)")
        }
        try Self.rejectUnknownKeys(yaml)
        rules = try file.rules.enumerated().map { index, raw in try MockRule(raw, index: index) }
    }

    public init(contentsOf path: String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw MockScriptError(reason: "cannot read script \(path): \(error.localizedDescription)")
        }
        try self.init(yaml: text)
    }
}

public struct MockScriptError: Error, CustomStringConvertible, Sendable {
    public var reason: String
    public var description: String { reason }
}

extension MockScript {
    private static let ruleKeys: Set<String> = ["match", "reply", "latencyMs", "tokensPerSecond", "usage", "fault", "times", "hold"]
    private static let nestedKeys: [String: Set<String>] = [
        "match": ["model", "system", "lastMessage", "lastMessageRegex", "turn"],
        "reply": ["text", "toolCalls", "synthetic"],
        "usage": ["inputTokens", "outputTokens"],
    ]

    /// A misspelt key would otherwise be ignored and the rule would silently match everything.
    private static func rejectUnknownKeys(_ yaml: String) throws {
        guard let root = (try? Yams.load(yaml: yaml)) as? [String: Any] else { return }
        if let extra = Set(root.keys).subtracting(["rules"]).first {
            throw MockScriptError(reason: "unknown top-level key \"\(extra)\"; a script has only \"rules\"")
        }
        for (index, rule) in ((root["rules"] as? [Any]) ?? []).enumerated() {
            guard let rule = rule as? [String: Any] else { continue }
            if let extra = Set(rule.keys).subtracting(ruleKeys).sorted().first {
                throw MockScriptError(reason: "rule \(index + 1): unknown key \"\(extra)\"; use one of \(ruleKeys.sorted().joined(separator: ", "))")
            }
            for (section, allowed) in nestedKeys {
                guard let fields = rule[section] as? [String: Any] else { continue }
                if let extra = Set(fields.keys).subtracting(allowed).sorted().first {
                    throw MockScriptError(reason: "rule \(index + 1): unknown key \"\(extra)\" in \(section); use one of \(allowed.sorted().joined(separator: ", "))")
                }
            }
        }
    }
}

/// What a request is matched on, normalised from either API.
public struct MockRequestFacts: Sendable {
    public var model: String
    public var system: String
    /// The text of the last message: its text blocks and tool results, joined by newlines.
    public var lastMessage: String
    /// Assistant messages so far: 0 on the first call of a conversation.
    public var turn: Int
    public var tools: [(name: String, schema: JSONValue)]
}

public struct MockRule: Sendable {
    public struct ToolCall: Sendable {
        public var name: String
        /// Nil: generated from the tool's input schema in the request.
        public var input: JSONValue?
    }

    public var model: String?
    public var systemContains: String?
    public var lastMessageContains: String?
    public var lastMessagePattern: String?
    public var turn: Int?
    public var text: String?
    public var toolCalls: [ToolCall]
    /// Reply the synthetic way even though a rule matched (to attach latency or faults).
    public var synthetic: Bool
    public var latencyMs: Int?
    public var tokensPerSecond: Double?
    public var inputTokens: Int?
    public var outputTokens: Int?
    public var fault: FaultSpec?
    /// Applies to the first N matching requests only.
    public var times: Int?
    /// The request waits until `POST /holds/release` (`MockProviderServer.releaseHeld`) lets it go on.
    public var hold: Bool
    /// Position in the script, for counting `times`.
    public let index: Int

    fileprivate init(_ raw: ScriptFile.Rule, index: Int) throws {
        self.index = index
        let at = "rule \(index + 1)"
        model = raw.match?.model
        systemContains = raw.match?.system
        lastMessageContains = raw.match?.lastMessage
        lastMessagePattern = raw.match?.lastMessageRegex
        if let pattern = lastMessagePattern, (try? NSRegularExpression(pattern: pattern)) == nil {
            throw MockScriptError(reason: "\(at): lastMessageRegex \"\(pattern)\" is not a valid regular expression")
        }
        turn = raw.match?.turn
        text = raw.reply?.text
        toolCalls = (raw.reply?.toolCalls ?? []).map { ToolCall(name: $0.name, input: $0.input) }
        synthetic = raw.reply?.synthetic ?? (raw.reply == nil || (text == nil && toolCalls.isEmpty))
        latencyMs = raw.latencyMs
        tokensPerSecond = raw.tokensPerSecond
        inputTokens = raw.usage?.inputTokens
        outputTokens = raw.usage?.outputTokens
        times = raw.times
        hold = raw.hold ?? false
        if let spec = raw.fault {
            do { fault = try FaultSpec(parsing: spec) } catch { throw MockScriptError(reason: "\(at): \(error)") }
        }
        if let tps = tokensPerSecond, tps <= 0 { throw MockScriptError(reason: "\(at): tokensPerSecond must be positive") }
    }

    func matches(_ facts: MockRequestFacts) -> Bool {
        if let model, model != facts.model { return false }
        if let turn, turn != facts.turn { return false }
        if let systemContains, !facts.system.contains(systemContains) { return false }
        if let lastMessageContains, !facts.lastMessage.contains(lastMessageContains) { return false }
        if let pattern = lastMessagePattern {
            guard let regex = try? NSRegularExpression(pattern: pattern),
                  regex.firstMatch(in: facts.lastMessage, range: NSRange(facts.lastMessage.startIndex..., in: facts.lastMessage)) != nil
            else { return false }
        }
        return true
    }
}

/// The YAML shape, decoded as written.
private struct ScriptFile: Decodable {
    struct Match: Decodable {
        var model: String?
        var system: String?
        var lastMessage: String?
        var lastMessageRegex: String?
        var turn: Int?
    }
    struct ToolCall: Decodable {
        var name: String
        var input: JSONValue?
    }
    struct Reply: Decodable {
        var text: String?
        var toolCalls: [ToolCall]?
        var synthetic: Bool?
    }
    struct UsageCounts: Decodable {
        var inputTokens: Int?
        var outputTokens: Int?
    }
    struct Rule: Decodable {
        var match: Match?
        var reply: Reply?
        var latencyMs: Int?
        var tokensPerSecond: Double?
        var usage: UsageCounts?
        var fault: String?
        var times: Int?
        var hold: Bool?
    }
    var rules: [Rule]
}
