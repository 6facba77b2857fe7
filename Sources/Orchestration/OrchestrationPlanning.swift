import BosunJSON
import BosunProtocol
import Foundation

/// What the orchestrator model is asked and how its answers are checked: the plan's and
/// the decision's submission schemas, the checks bosun runs on a plan beyond its schema,
/// and the progress record a decision is made from. Pure functions of their inputs.
enum OrchestrationPlanning {
    /// Roles only bosun itself runs: a plan cannot use them.
    static let internalRoles: Set<String> = ["planner", "coordinator", "synthesizer", "evaluator"]

    // MARK: - The plan

    /// `submit_result`'s schema for a plan: the protocol's `Plan`, with `role` limited to the
    /// roles it may use and at most `maxWorkers` subtasks. `after` and `checks` default to
    /// empty, so a minimal answer (the offline mock's) is a valid one-subtask plan.
    static func planSchema(roles: [String], maxWorkers: Int) -> JSONValue {
        guard case .object(var root) = ProtocolSchema.shared.standalone("Plan"),
              case .object(var subtasks)? = root["properties"]?["subtasks"],
              case .object(var item)? = subtasks["items"],
              case .object(var properties)? = item["properties"] else { return ["type": "object"] }
        properties["role"] = ["enum": .array(roles.map { .string($0) }), "description": "One of the roles listed in INPUTS."]
        properties["id"] = ["type": "string", "minLength": 1, "description": "Short and unique in the plan, e.g. \"a\", \"tests\"."]
        if case .object(var after)? = properties["after"] {
            after["default"] = []
            after["description"] = "Ids of subtasks whose results this one needs."
            properties["after"] = .object(after)
        }
        if case .object(var checks)? = properties["checks"] {
            checks["default"] = []
            checks["description"] = "Checks its result must pass (schema, command, files, http, judge)."
            properties["checks"] = .object(checks)
        }
        item["properties"] = .object(properties)
        item["additionalProperties"] = false
        subtasks["items"] = .object(item)
        subtasks["maxItems"] = .int(Int64(maxWorkers))
        // `answer` defaults to null, so a minimal answer (the offline mock's) is still a plan of subtasks.
        root["properties"] = ["subtasks": .object(subtasks), "answer": [
            "type": ["string", "null"], "minLength": 1, "default": .null,
            "description": "Only for a goal you can answer yourself in under ~30 s of work: the answer, with subtasks empty.",
        ]]
        root["additionalProperties"] = false
        root["$schema"] = nil
        return .object(root)
    }

    /// The plan in `structured`, or every reason it cannot run: unknown or internal roles,
    /// too many subtasks, duplicate ids, `after` naming no subtask or itself, a cycle, an
    /// empty task; an answer beside subtasks, or where the caller's checks or output schema
    /// need a worker's result.
    static func validate(_ structured: JSONValue, roles: [String], maxWorkers: Int,
                         caller params: OrchestrateParams? = nil) -> Result<OrchestrationPlan, PlanErrors> {
        let plan: OrchestrationPlan
        do {
            plan = try structured.decode(as: OrchestrationPlan.self)
        } catch {
            return .failure(PlanErrors(["the plan does not have the shape of a plan: \(error)"]))
        }
        var errors: [String] = []
        if let answer = plan.answer {
            if !plan.subtasks.isEmpty {
                errors.append("the plan has both an answer and subtasks; answer yourself with no subtasks, or leave out answer")
            }
            if answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { errors.append("answer is empty") }
            if params?.checks?.isEmpty == false {
                errors.append("the caller gave checks, which only a worker's result can pass: plan at least one subtask")
            }
            if params?.output?.schema != nil {
                errors.append("the caller asked for an answer matching a JSON Schema: plan at least one subtask")
            }
        } else if plan.subtasks.isEmpty {
            errors.append("the plan has no subtasks; give at least one, or answer a goal this small yourself in answer")
        }
        if plan.subtasks.count > maxWorkers {
            errors.append("the plan has \(plan.subtasks.count) subtasks; at most \(maxWorkers) are allowed (limits.maxWorkers)")
        }
        let allowed = Set(roles)
        var seen: Set<String> = []
        for subtask in plan.subtasks {
            let id = subtask.id
            if id.trimmingCharacters(in: .whitespaces).isEmpty { errors.append("a subtask has an empty id") }
            if !seen.insert(id).inserted { errors.append("subtask id \"\(id)\" is used twice; ids must be unique") }
            if !allowed.contains(subtask.role) {
                errors.append("subtask \"\(id)\": role \"\(subtask.role)\" is not one of \(roles.joined(separator: ", "))")
            }
            if subtask.brief.task.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                errors.append("subtask \"\(id)\": brief.task is empty; say in one sentence what the worker must do")
            }
        }
        for subtask in plan.subtasks {
            for dependency in subtask.after ?? [] {
                if dependency == subtask.id {
                    errors.append("subtask \"\(subtask.id)\" names itself in after")
                } else if !seen.contains(dependency) {
                    errors.append("subtask \"\(subtask.id)\": after names \"\(dependency)\", which is no subtask of the plan")
                }
            }
        }
        if let cycle = firstCycle(plan) {
            errors.append("after has a cycle: \(cycle.joined(separator: " → ")); no subtask of a cycle could ever start")
        }
        return errors.isEmpty ? .success(plan) : .failure(PlanErrors(errors))
    }

    struct PlanErrors: Error {
        var errors: [String]
        init(_ errors: [String]) { self.errors = errors }
    }

    /// A cycle of `after` edges, as the ids along it (first repeated at the end), if any.
    static func firstCycle(_ plan: OrchestrationPlan) -> [String]? {
        let edges = Dictionary(plan.subtasks.map { ($0.id, $0.after ?? []) }, uniquingKeysWith: { first, _ in first })
        var state: [String: Int] = [:] // 1 visiting, 2 done
        var path: [String] = []
        func visit(_ id: String) -> [String]? {
            if state[id] == 2 { return nil }
            if state[id] == 1, let start = path.firstIndex(of: id) { return Array(path[start...]) + [id] }
            state[id] = 1
            path.append(id)
            for next in edges[id] ?? [] where edges[next] != nil && next != id {
                if let cycle = visit(next) { return cycle }
            }
            path.removeLast()
            state[id] = 2
            return nil
        }
        for subtask in plan.subtasks {
            if let cycle = visit(subtask.id) { return cycle }
        }
        return nil
    }

    /// What the planner reads: the roles it may use, the limits, the caller's inputs and checks.
    static func plannerInputs(_ params: OrchestrateParams, roles: [Role], maxWorkers: Int, testCommand: [String]?) -> [String] {
        var inputs = ["Roles you may use (name, model, tools, what it is for):\n" + roles.map { role in
            "- \(role.name) (model \(role.model); tools: \(role.tools.isEmpty ? "none" : role.tools.joined(separator: ", "))" +
                "\(role.permissions.write ? "; may write files" : "")\(role.permissions.exec ? "; may run commands" : "")): \(role.description)"
        }.joined(separator: "\n")]
        inputs.append("""
            At most \(maxWorkers) subtasks; subtasks without after run in parallel. Keep the plan proportionate: \
            a goal you can answer yourself in under ~30 s of work gets your answer in answer and no subtasks; \
            a goal one worker can do gets one subtask, whose verified result is the answer (no synthesis).
            """)
        if params.verify == false {
            inputs.append("The caller turned verification off (verify: false): give no checks.")
        } else {
            inputs.append("""
                Every subtask is verified. Give each the checks that prove its result: command (a program's exit code), \
                files (files it must leave), schema (its output schema), http (a URL that must answer). bosun adds \
                \(testCommand.map { "the project's test command \($0.joined(separator: " ")) to subtasks whose role writes, and " } ?? "")\
                an evaluator (a read-only worker that inspects the workspace) to a subtask with no such check.
                """)
        }
        if let checks = params.checks, !checks.isEmpty, let text = try? JSONValue(encoding: checks).jsonString() {
            inputs.append("Every subtask's result must also pass these checks: \(text)")
        }
        if let output = params.output {
            inputs.append("The final answer (synthesized from the subtasks' results) must be: " +
                          [output.format, output.schema.map { "matching the JSON Schema \($0.jsonString())" }]
                .compactMap { $0 }.joined(separator: ", "))
        }
        for input in params.inputs ?? [] { inputs.append("Input of the goal: \(input)") }
        return inputs
    }

    // MARK: - Checks

    /// The checks a subtask's result must pass: none with `verify: false`; otherwise the
    /// caller's and the plan's, a schema check for an output schema, the project's test
    /// command (run where the role's changes are) for a role that writes, and an evaluator
    /// worker when none of them decides without a model.
    static func checks(for spec: PlanSubtask, params: OrchestrateParams, roleWrites: Bool, testCommand: [String]?) -> [Check] {
        guard params.verify != false else { return [] }
        var checks = (params.checks ?? []) + (spec.checks ?? [])
        if spec.brief.output?.schema != nil, !checks.contains(where: { $0.kind == "schema" }) {
            checks.append(.schema(schema: nil))
        }
        if roleWrites, let testCommand, !checks.contains(where: { $0.kind == "command" }) {
            checks.append(.command(CommandCheck(command: testCommand, writable: true)))
        }
        let inspecting = checks.contains { if case .judge(let judge) = $0 { judge.inspect == true } else { false } }
        if !inspecting, !checks.contains(where: \.isDeterministic) {
            checks.append(.judge(JudgeCheck(rubric: evaluatorRubric, inspect: true)))
        }
        return checks
    }

    /// What an evaluator checks when the plan gave a subtask no deterministic check.
    static let evaluatorRubric = """
        The result does what the brief's TASK asks, within its SCOPE and in the OUTPUT it asks for. \
        Every fact it states about the workspace holds when you look (files, contents, lines), and it \
        claims nothing it did not do.
        """

    // MARK: - Decisions

    /// `submit_result`'s schema for a decision on a failed subtask.
    static func decisionSchema(roles: [String]) -> JSONValue {
        // The brief's definitions move to the root, where its `#/$defs/…` references point.
        guard case .object(var brief) = ProtocolSchema.shared.standalone("SubtaskBrief") else { return ["type": "object"] }
        let definitions = brief.removeValue(forKey: "$defs")
        brief["$schema"] = nil
        brief["description"] = "substitute: the new brief (default: the old one)."
        var schema: [String: JSONValue] = [
            "type": "object", "additionalProperties": false, "required": ["kind", "reason"],
            "properties": [
                "kind": ["enum": .array(DecisionKind.coordinatorChoices.map { .string($0.rawValue) })],
                "reason": ["type": "string", "minLength": 1, "description": "Why, in a sentence the user will read."],
                "feedback": ["type": "string", "description": "retry: what the worker must fix."],
                "role": ["enum": .array(roles.map { .string($0) }), "description": "substitute: another role (default: the same)."],
                "brief": .object(brief),
            ],
        ]
        if let definitions { schema["$defs"] = definitions }
        return .object(schema)
    }

    /// `submit_result`'s schema for a decision on a follow-up a subtask proposed.
    static func followUpSchema(roles: [String]) -> JSONValue {
        guard case .object(var brief) = ProtocolSchema.shared.standalone("SubtaskBrief") else { return ["type": "object"] }
        let definitions = brief.removeValue(forKey: "$defs")
        brief["$schema"] = nil
        brief["description"] = "add: the new subtask's brief (default: the proposal as its task)."
        var schema: [String: JSONValue] = [
            "type": "object", "additionalProperties": false, "required": ["add", "reason"],
            "properties": [
                "add": ["type": "boolean", "description": "true: the goal needs it and no subtask does it yet."],
                "reason": ["type": "string", "minLength": 1, "description": "Why, in a sentence the user will read."],
                "role": ["enum": .array(roles.map { .string($0) }), "description": "add: its role (default: the proposer's)."],
                "brief": .object(brief),
            ],
        ]
        if let definitions { schema["$defs"] = definitions }
        return .object(schema)
    }

    /// The progress record a decision is made from: the goal, every subtask's status, the
    /// failed subtask's brief, why it failed, what was decided about it before and what is left.
    static func progressRecord(_ ledger: OrchestrationLedger, failed subtaskId: String, why: String) -> [String] {
        var lines = ["GOAL: \(ledger.goal)", "PLAN:"]
        for (spec, entry) in ledger.planned {
            let status = spec.id == subtaskId ? "FAILED" : entry.status.rawValue
            lines.append("- [\(status)] \(spec.id) (role \(spec.role)\(spec.after.map { $0.isEmpty ? "" : ", after \($0.joined(separator: ", "))" } ?? "")): " +
                         "\(spec.brief.task) — \(entry.attempts.count) attempt(s)" + (entry.reason.map { "; \($0)" } ?? ""))
        }
        var record = [lines.joined(separator: "\n")]
        if let spec = ledger.plan?.subtasks.first(where: { $0.id == subtaskId }),
           let brief = try? JSONValue(encoding: spec.brief).jsonString() {
            record.append("FAILED SUBTASK \(subtaskId), role \(spec.role), brief: \(brief)")
        }
        record.append("WHY IT FAILED: \(why)")
        let earlier = ledger.decisions.filter { $0.subtask == subtaskId }
        record.append("DECIDED ABOUT IT BEFORE: " + (earlier.isEmpty ? "nothing" : earlier.map { "\($0.kind.rawValue) (\($0.reason))" }.joined(separator: "; ")))
        let left = ledger.planned.filter { $0.ledger.status != .passed && $0.spec.id != subtaskId }.map(\.spec.id)
        record.append("STILL TO DO BESIDES IT: " + (left.isEmpty ? "nothing" : left.joined(separator: ", ")))
        record.append("REPLANS LEFT: \(max(ledger.maxReplans - ledger.replans, 0)) of \(ledger.maxReplans) (retry, substitute and escalate each use one)")
        return record
    }
}
