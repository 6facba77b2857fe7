import BosunProtocol
import BosunJSON
import Foundation
import Providers

/// An evaluator model reads the brief, the result and the rubric and answers through a
/// `submit_verdict` tool whose input is schema-validated; an invalid answer is sent back
/// once with what was wrong. Each call's usage is reported to the session.
enum JudgeCheckRunner {
    static let verdictSchema: JSONValue = [
        "type": "object",
        "properties": [
            "passed": ["type": "boolean", "description": "true only if the result meets every point of the rubric"],
            "reasons": ["type": "array", "items": ["type": "string"], "minItems": 1,
                        "description": "One reason per rubric point that decided the verdict, concrete and checkable"],
        ],
        "required": ["passed", "reasons"],
        "additionalProperties": false,
    ]

    static let system = """
        You are an evaluator. A worker was given a brief and produced a result. Judge the result \
        against the rubric only: not against what you would have done, and not by the worker's own \
        claims of success. A result passes only if it meets every point of the rubric. Answer by \
        calling submit_verdict with passed and one concrete reason per point that decided it.
        """

    static let attempts = 2

    static func run(_ check: JudgeCheck, context: CheckContext) async -> CheckOutcome {
        func failed(_ summary: String, _ output: String = "") -> CheckOutcome {
            CheckOutcome(kind: "judge", passed: false, summary: summary, output: output)
        }
        if check.inspect == true {
            guard let evaluate = context.evaluate else { return failed("no evaluator worker can run here for an inspecting judge") }
            return await evaluate(check)
        }
        guard let judge = context.judge else { return failed("no evaluator model is configured for judge checks") }
        let modelId: String
        let client: any ModelClient
        do {
            (modelId, client) = try judge.resolve(check.model)
        } catch {
            return failed("the judge's model cannot be used: \(error)")
        }
        let tool = ToolSpec(name: "submit_verdict", description: "Give the verdict on the result.", inputSchema: verdictSchema)
        var structured = ""
        if let value = context.resultStructured { structured = "\n\nStructured result:\n" + value.jsonString() }
        var messages: [ChatMessage] = [.user("""
            Brief given to the worker:
            \(context.brief)

            Result:
            \(context.resultText)\(structured)

            Rubric:
            \(check.rubric)
            """)]
        for _ in 0..<attempts {
            let reply: ModelReply
            do {
                reply = try await client.complete(ModelRequest(model: modelId, system: system, messages: messages, tools: [tool],
                                                               toolChoice: .tool(tool.name), maxTokens: 2048), progress: nil)
            } catch {
                return failed("the judge's model call failed: \(error)")
            }
            await judge.record(modelId, reply.usage)
            guard let (callId, input) = reply.content.lazy.compactMap({ block -> (String, JSONValue)? in
                if case .toolUse(let id, "submit_verdict", let input) = block { return (id, input) }
                return nil
            }).first else {
                messages += [ChatMessage(role: .assistant, content: reply.content.isEmpty ? [.text("")] : reply.content),
                             .user("Answer by calling submit_verdict.")]
                continue
            }
            let violations = JSONSchemaValidator.validate(input, against: verdictSchema)
            guard violations.isEmpty, let passed = input["passed"]?.boolValue else {
                messages += [ChatMessage(role: .assistant, content: reply.content),
                             ChatMessage(role: .user, content: [.toolResult(toolUseId: callId, content: """
                                 The verdict does not match the schema: \(violations.map(\.description).joined(separator: "; ")). Call submit_verdict again.
                                 """, isError: true)])]
                continue
            }
            let reasons = input["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []
            let summary = (passed ? "the judge (\(modelId)) passed it: " : "the judge (\(modelId)) failed it: ") + (reasons.first ?? "")
            return CheckOutcome(kind: "judge", passed: passed, summary: summary,
                                output: reasons.map { "- " + $0 }.joined(separator: "\n"))
        }
        return failed("the judge (\(modelId)) gave no valid verdict in \(attempts) attempts")
    }
}
