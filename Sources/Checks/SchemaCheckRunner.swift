import BosunProtocol
import BosunJSON
import Foundation

/// `result.structured` against the check's schema or the worker's own output schema.
enum SchemaCheckRunner {
    static func run(schema given: JSONValue?, context: CheckContext) -> CheckOutcome {
        guard let schema = given ?? context.outputSchema else {
            return CheckOutcome(kind: "schema", passed: false, summary: """
                no schema to check against: the worker was spawned without output.schema and the check gives none; \
                add schema to the check
                """)
        }
        let refusals = JSONSchemaValidator.problems(inSchema: schema)
        guard refusals.isEmpty else {
            return CheckOutcome(kind: "schema", passed: false, summary: "the check's schema cannot be used: \(refusals[0])",
                                output: refusals.map(\.description).joined(separator: "\n"))
        }
        guard let value = context.resultStructured else {
            return CheckOutcome(kind: "schema", passed: false, summary: "the result has no structured value to check")
        }
        let violations = JSONSchemaValidator.validate(value, against: schema)
        if violations.isEmpty { return CheckOutcome(kind: "schema", passed: true, summary: "result.structured matches the schema") }
        let listed = violations.map { "\($0.path.isEmpty ? "(the whole value)" : $0.path): \($0.message)" }
        return CheckOutcome(kind: "schema", passed: false,
                            summary: "result.structured fails the schema in \(violations.count) place(s), first at \(listed[0])",
                            output: OutputExcerpt.bounded(listed.joined(separator: "\n"), limit: 8192))
    }
}
