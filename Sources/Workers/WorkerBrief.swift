import BosunJSON
import Foundation

/// The commission a worker receives: what to do, with what, within which bounds, in what
/// shape to answer, and which mistakes to avoid. Rendered once into the worker's opening
/// message; the role's prompt stays in the system prompt above it.
public struct WorkerBrief: Sendable, Hashable, Codable {
    /// How the answer must look: free text guidance, a JSON Schema, or both.
    public struct Output: Sendable, Hashable, Codable {
        public var format: String?
        public var schema: JSONValue?

        public init(format: String? = nil, schema: JSONValue? = nil) {
            self.format = format
            self.schema = schema
        }
    }

    /// A result of an earlier worker this one was spawned `after`, handed over as context.
    public struct Predecessor: Sendable, Hashable, Codable {
        public var workerId: String
        public var task: String
        public var result: String
        /// The files or URLs its result rests on, for this worker to use and cite.
        public var sources: [String]

        public init(workerId: String, task: String, result: String, sources: [String] = []) {
            self.workerId = workerId
            self.task = task
            self.result = result
            self.sources = sources
        }
    }

    public var task: String
    public var inputs: [String]
    public var scope: String?
    public var output: Output?
    public var doNot: [String]
    /// An orchestration's subtask: its submission may propose follow-ups (`followUps`).
    public var mayProposeFollowUps: Bool?

    public init(task: String, inputs: [String] = [], scope: String? = nil, output: Output? = nil, doNot: [String] = [],
                mayProposeFollowUps: Bool? = nil) {
        self.task = task
        self.inputs = inputs
        self.scope = scope
        self.output = output
        self.doNot = doNot
        self.mayProposeFollowUps = mayProposeFollowUps
    }

    /// The input schema of `submit_result`: the brief's output schema, or `{text}` when it gives none.
    public var submitSchema: JSONValue {
        if let schema = output?.schema { return schema }
        var properties: [String: JSONValue] = [
            "text": ["type": "string", "description": "Your complete answer."],
            "sources": ["type": "array", "items": ["type": "string"], "description": "Files or URLs the answer rests on."],
        ]
        if mayProposeFollowUps == true {
            properties["followUps"] = ["type": "array", "items": ["type": "string", "minLength": 1], "maxItems": 3,
                                       "description": "Work the goal needs that you found beyond your task, one task each; the orchestrator decides."]
        }
        return ["type": "object", "properties": .object(properties), "required": ["text"]]
    }

    /// The opening user message: TASK / INPUTS / SCOPE / OUTPUT / DO NOT, then any results of
    /// earlier workers. Empty sections are left out rather than filled with "none".
    public func render(predecessors: [Predecessor] = []) -> String {
        var sections = ["TASK\n\(task)"]
        if !inputs.isEmpty {
            sections.append("INPUTS\n" + inputs.map { "- \($0)" }.joined(separator: "\n"))
        }
        if let scope, !scope.isEmpty {
            sections.append("SCOPE\n\(scope)")
        }
        sections.append("OUTPUT\n" + renderOutput())
        if !doNot.isEmpty {
            sections.append("DO NOT\n" + doNot.map { "- \($0)" }.joined(separator: "\n"))
        }
        if !predecessors.isEmpty {
            let blocks = predecessors.map { earlier in
                "[\(earlier.workerId)] \(earlier.task)\n\(earlier.result)" +
                    (earlier.sources.isEmpty ? "" : "\nsources: " + earlier.sources.joined(separator: ", "))
            }
            sections.append("RESULTS OF EARLIER WORKERS\n" + blocks.joined(separator: "\n\n"))
        }
        return sections.joined(separator: "\n\n")
    }

    private func renderOutput() -> String {
        var lines: [String] = []
        if let format = output?.format, !format.isEmpty { lines.append(format) }
        if let schema = output?.schema {
            lines.append("Call submit_result with an input that matches this JSON Schema:\n\(schema.jsonString())")
        } else {
            lines.append("Call submit_result with your answer in `text`, and the files or URLs it rests on in `sources`.")
        }
        return lines.joined(separator: "\n")
    }

    /// The system prompt: the role's own prompt, then the rules every bosun worker follows.
    public static func systemPrompt(rolePrompt: String) -> String {
        let rules = """
            You are a worker commissioned by an orchestrator through bosun. You have one bounded task, \
            described in the brief below. Use the tools you are given to gather what you need, stay inside \
            the brief's scope, and do not ask questions: nobody will answer them. When you are done, call \
            submit_result exactly once with your answer; a plain-text reply is not seen by anyone. If the \
            task cannot be done, say why in your submission instead of guessing. Messages marked as coming \
            from the orchestrator are instructions from the one who commissioned you.
            """
        // Trimmed at both ends by hand: `trimmingCharacters` bridges the whole prompt to NSString.
        var trimmed = Substring(rolePrompt)
        while trimmed.first?.isWhitespace == true { trimmed.removeFirst() }
        while trimmed.last?.isWhitespace == true { trimmed.removeLast() }
        return trimmed.isEmpty ? rules : "\(trimmed)\n\n\(rules)"
    }
}
