import BosunJSON
import BosunProtocol
import Providers
import Foundation

/// `ask`: the worker asks a person a question, optionally with choices, and waits for the
/// answer. While it waits it holds no slot and its timeout clock is stopped; an ask nobody
/// answers within the worker's `maxWaitSeconds` comes back declined.
public struct AskTool: WorkerTool {
    public static let name = "ask"
    static let maxOptions = 20

    public init() {}

    public var spec: ToolSpec { Self.spec }

    /// Made once per process (it depends on nothing): a spec encodes its schema.
    static let spec =
        ToolSpec(name: Self.name, description: """
            Ask the person you work for a question you cannot settle yourself (which of two readings of the \
            task they meant, a value only they know), and wait for the answer. Give options when the answer \
            is one of a few choices. Ask only what blocks the task; decide the rest yourself. The answer may \
            come late or not at all: then decide, and say what you assumed.
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "question": ["type": "string", "minLength": 1, "description": "One clear question."],
                    "options": ["type": "array", "items": ["type": "string", "minLength": 1], "maxItems": 20,
                                "description": "The choices, if the answer is one of them."],
                ],
                "required": ["question"],
                "additionalProperties": false,
            ])

    public func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        guard let asking = context.asking else {
            throw ToolError("Nobody can answer questions here. Decide yourself, and say what you assumed in your result.")
        }
        let question = input["question"]?.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        guard !question.isEmpty else { throw ToolError("Give the question to ask: {\"question\": \"...\"}.") }
        var options: [Ask.Option]?
        if let given = input["options"] {
            guard let items = given.arrayValue?.compactMap(\.stringValue), items.count == given.arrayValue?.count,
                  !items.isEmpty, items.count <= Self.maxOptions else {
                throw ToolError("options must be a list of 1 to \(Self.maxOptions) strings, the choices; leave it out for a free answer.")
            }
            var seen: Set<String> = []
            options = items.compactMap { item in
                let choice = item.trimmingCharacters(in: .whitespacesAndNewlines)
                return !choice.isEmpty && seen.insert(choice).inserted ? Ask.Option(id: choice, label: choice) : nil
            }
        }
        let reply = try await asking.ask(.question(text: question, options: options), from: context.workerId)
        return ToolOutput(text: Self.resultText(reply))
    }

    /// What the worker reads as the tool's result (also when the answer comes to a worker
    /// resumed after a restart).
    public static func resultText(_ reply: AskReply) -> String {
        guard reply.decision != .deny, let text = reply.text else {
            let why = reply.text.map { " (\($0))" } ?? ""
            return "No answer\(why). Decide yourself, and say what you assumed in your result."
        }
        return "The answer (from \(reply.answeredBy)): \(text)"
    }
}
