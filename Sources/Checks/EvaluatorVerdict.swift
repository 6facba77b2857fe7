import BosunJSON
import BosunProtocol
import Foundation

/// What an evaluator worker (a `judge` check with `inspect`) reads and submits, and the check
/// outcome made of its verdict. The evaluator sees the brief, the result as a set of claims,
/// and the rubric; never the worker's conversation.
public enum EvaluatorVerdict {
    /// `submit_result`'s schema: a verdict with reasons and the evidence it rests on.
    public static let schema: JSONValue = [
        "type": "object",
        "properties": [
            "passed": ["type": "boolean", "description": "true only if what you found meets every point of the rubric"],
            "reasons": ["type": "array", "items": ["type": "string", "minLength": 1], "minItems": 1,
                        "description": "One reason per rubric point that decided the verdict, each from what you inspected"],
            "evidence": ["type": "array", "items": [
                "type": "object", "required": ["path", "note"], "additionalProperties": false,
                "properties": ["path": ["type": "string", "minLength": 1, "description": "A file (or URL) you inspected"],
                               "line": ["type": "integer", "minimum": 1],
                               "note": ["type": "string", "minLength": 1, "description": "What it shows"]],
            ], "description": "Where you looked and what you saw: paths and lines"],
        ],
        "required": ["passed", "reasons", "evidence"],
        "additionalProperties": false,
    ]

    public static let task = "Decide whether a worker's result meets the rubric, from what you inspect yourself."

    /// The evaluator's inputs: the worker's brief, its result as claims to check, the rubric.
    public static func inputs(brief: String, resultText: String, resultStructured: JSONValue?, sources: [String]?,
                              rubric: String) -> [String] {
        var result = resultText
        if let structured = resultStructured { result += "\nstructured: " + structured.jsonString() }
        if let sources, !sources.isEmpty { result += "\nsources it names: " + sources.joined(separator: ", ") }
        return ["THE BRIEF THE WORKER WAS GIVEN:\n\(brief)",
                "WHAT THE WORKER HANDED IN (claims to check, not evidence):\n\(result)",
                "RUBRIC:\n\(rubric)"]
    }

    /// The most of a diff an evaluator is shown.
    static let maxDiffCharacters = 40_000

    /// A writing worker's changes (a unified diff), which are not in the workspace the
    /// evaluator's tools show until they are applied.
    public static func changes(_ diff: String) -> String {
        let shown = diff.count > maxDiffCharacters
            ? String(diff.prefix(maxDiffCharacters)) + "\n[… \(diff.count - maxDiffCharacters) more characters of the diff cut]" : diff
        return "THE CHANGES IT MADE (a unified diff; the files you can read do not have them yet):\n\(shown)"
    }

    public static let doNot = [
        "take the worker's word for anything: a claim of success is not evidence",
        "pass a result you did not check against the workspace",
        "change anything: you only look",
    ]

    /// The outcome of a verdict the evaluator `evaluatorId` submitted.
    public static func outcome(_ verdict: JSONValue, evaluatorId: String) -> CheckOutcome {
        let passed = verdict["passed"]?.boolValue ?? false
        let reasons = verdict["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let evidence = (verdict["evidence"]?.arrayValue ?? []).map { item -> String in
            let place = (item["path"]?.stringValue ?? "?") + (item["line"]?.intValue.map { ":\($0)" } ?? "")
            return "  \(place): \(item["note"]?.stringValue ?? "")"
        }
        var lines = reasons.map { "- " + $0 }
        if !evidence.isEmpty { lines += ["evidence:"] + evidence }
        let summary = "the evaluator \(evaluatorId) \(passed ? "passed" : "failed") it: " + (reasons.first ?? "")
        return CheckOutcome(kind: "judge", passed: passed, summary: summary, output: lines.joined(separator: "\n"))
    }
}
