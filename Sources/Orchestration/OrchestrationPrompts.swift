import BosunJSON
import BosunProtocol
import Foundation

/// Every word an orchestration says to the models of its own workers: the planner's brief,
/// what goes back to it about an invalid plan, the coordinator's briefs (a failed subtask, a
/// proposed follow-up, a subtask's ask), the synthesis instruction and the evaluator's rubric.
/// The schemas their answers must match and the checks on a plan are `OrchestrationPlanning`'s.
enum OrchestrationPrompts {
    // MARK: - The planner

    static func planner(_ params: OrchestrateParams, roles: [Role], maxWorkers: Int, testCommand: [String]?,
                        schema: JSONValue, limits: LimitOverrides?) -> SpawnParams {
        SpawnParams(
            task: "Plan how bosun's workers achieve this goal: \(params.goal)",
            inputs: plannerInputs(params, roles: roles, maxWorkers: maxWorkers, testCommand: testCommand),
            scope: "Planning only: do not do the subtasks yourself.",
            output: OutputSpec(schema: schema),
            doNot: ["give a subtask a brief another worker could not act on without asking",
                    "add a dependency (after) a subtask does not need: it delays the plan"],
            role: "planner", limits: limits)
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

    /// What goes back to the planner about a plan bosun cannot run.
    static func invalidPlan(_ list: String) -> String {
        """
        bosun cannot run this plan:
        \(list)
        Fix each of these and call submit_result again with the whole corrected plan.
        """
    }

    // MARK: - The coordinator

    /// A decision about a failed subtask, from the progress record.
    static func decision(about subtaskId: String, record: [String], schema: JSONValue, limits: LimitOverrides?) -> SpawnParams {
        SpawnParams(
            task: "Decide what to do about the failed subtask \(subtaskId) of this plan.",
            inputs: record,
            scope: "One decision about subtask \(subtaskId).",
            output: OutputSpec(schema: schema),
            doNot: ["retry what failed for a reason a retry will not change",
                    "substitute without saying in the new brief what is different"],
            role: "coordinator", limits: limits)
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

    /// What a retried worker is told when the coordinator gave no feedback of its own.
    static func retryFeedback(why: String, reason: String) -> String {
        "Your result was not accepted: \(why). \(reason) Try again."
    }

    /// Whether a follow-up a subtask proposed joins the plan.
    static func followUp(_ proposal: String, by proposer: PlanSubtask, in ledger: OrchestrationLedger, schema: JSONValue,
                         limits: LimitOverrides?) -> SpawnParams {
        let plan = ledger.planned.map { "- [\($0.ledger.status.rawValue)] \($0.spec.id) (role \($0.spec.role)): \($0.spec.brief.task)" }
        return SpawnParams(
            task: "Decide whether this follow-up, proposed by subtask \(proposer.id), joins the plan.",
            inputs: ["GOAL: \(ledger.goal)", "PLAN:\n" + plan.joined(separator: "\n"),
                     "PROPOSED FOLLOW-UP (by \(proposer.id), \(proposer.brief.task)): \(proposal)",
                     "ROOM LEFT: \(ledger.maxWorkers - ledger.planned.count) subtask(s), \(ledger.maxReplans - ledger.replans) replan(s)"],
            scope: "One decision about this follow-up.",
            output: OutputSpec(schema: schema),
            doNot: ["add work the goal does not need", "add what a subtask of the plan already does"],
            role: "coordinator", limits: limits)
    }

    /// The answer to an ask of one of the orchestration's subtasks, when the goal settles it.
    static func askAnswer(_ ask: Ask, subtask: String, goal: String, goalInputs: [String], schema: JSONValue) -> SpawnParams {
        var inputs = ["GOAL: \(goal)"] + goalInputs.map { "GOAL INPUT: \($0)" }
        inputs.append("THE SUBTASK'S TASK: \(subtask)")
        switch ask.kind {
        case .question:
            inputs.append("ITS QUESTION: \(ask.question)")
            if let options = ask.options { inputs.append("ITS OPTIONS: \(options.map(\.id).joined(separator: ", "))") }
        case .permission:
            inputs.append("IT ASKS PERMISSION TO CALL: \(ask.tool ?? "a tool") with \(ask.input?.jsonString() ?? "{}")")
        }
        return SpawnParams(
            task: "Answer the question a subtask's worker asked, if the goal settles it.",
            inputs: inputs,
            scope: "One answer to ask \(ask.askId), from the goal and its inputs only.",
            output: OutputSpec(schema: schema),
            doNot: ["guess what the person who set the goal would say", "answer what the goal does not settle"],
            role: "coordinator")
    }

    // MARK: - The synthesis and the evaluator

    /// The synthesizer's instruction: the goal, and the abandoned parts it must name in gaps.
    static func synthesis(goal: String, abandoned: [String]) -> String {
        var instruction = "Answer this goal from the subtasks' results: \(goal)"
        if !abandoned.isEmpty {
            instruction += "\nThese parts of the plan were abandoned and have no result; name each in gaps:\n" + abandoned.joined(separator: "\n")
        }
        return instruction
    }

    /// What an evaluator checks when the plan gave a subtask no deterministic check.
    static let evaluatorRubric = """
        The result does what the brief's TASK asks, within its SCOPE and in the OUTPUT it asks for. \
        Every fact it states about the workspace holds when you look (files, contents, lines), and it \
        claims nothing it did not do.
        """
}
