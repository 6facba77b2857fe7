import BosunJSON
import BosunProtocol
import Foundation

/// How the orchestrator model's answers are checked: the plan's and the decisions'
/// submission schemas, the checks bosun runs on a plan beyond its schema, and the checks a
/// subtask's result must pass. Pure functions of their inputs; what the models are told is
/// `OrchestrationPrompts`.
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
            checks.append(.judge(JudgeCheck(rubric: OrchestrationPrompts.evaluatorRubric, inspect: true)))
        }
        return checks
    }

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
}
