import BosunJSON
import BosunProtocol
import Foundation
import Testing
@testable import Orchestration
import TestSupport

/// What bosun checks in a plan beyond its schema, and the schemas the orchestrator model answers through.
@Suite struct OrchestrationPlanningTests {
    let roles = ["coder", "worker"]

    func errors(_ plan: JSONValue, maxWorkers: Int = 8) -> [String] {
        switch OrchestrationPlanning.validate(plan, roles: roles, maxWorkers: maxWorkers) {
        case .success: return []
        case .failure(let problems): return problems.errors
        }
    }

    func subtask(_ id: String, role: String = "worker", task: String = "Do it", after: [String] = []) -> JSONValue {
        ["id": .string(id), "role": .string(role), "brief": ["task": .string(task)], "after": .array(after.map { .string($0) })]
    }

    @Test func aValidPlanPasses() throws {
        let plan: JSONValue = ["subtasks": [subtask("a"), subtask("b", role: "coder"), subtask("c", after: ["a", "b"])]]
        let valid = try OrchestrationPlanning.validate(plan, roles: roles, maxWorkers: 3).get()
        #expect(valid.subtasks.map(\.id) == ["a", "b", "c"])
        #expect(valid.subtasks[2].after == ["a", "b"])
    }

    @Test func aBriefWrittenLooselyIsReadAsMeant() throws {
        // A model may write one input or one thing not to do as a string, and the output as a format in words.
        let plan: JSONValue = ["subtasks": [["id": "a", "role": "worker", "brief": [
            "task": "Summarise the README", "inputs": "README.md", "output": "three bullet points", "doNot": "guess",
        ]]]]
        #expect(JSONSchemaValidator.validate(plan, against: OrchestrationPlanning.planSchema(roles: roles, maxWorkers: 2)).isEmpty)
        let brief = try OrchestrationPlanning.validate(plan, roles: roles, maxWorkers: 2).get().subtasks[0].brief
        #expect(brief.inputs == ["README.md"] && brief.doNot == ["guess"])
        #expect(brief.output == OutputSpec(format: "three bullet points"))
        let strict: JSONValue = ["subtasks": [["id": "a", "role": "worker", "brief": [
            "task": "Summarise", "inputs": ["a", "b"], "output": ["format": "json", "schema": ["type": "object"]]]]]]
        let read = try OrchestrationPlanning.validate(strict, roles: roles, maxWorkers: 2).get().subtasks[0].brief
        #expect(read.inputs == ["a", "b"] && read.output?.schema == ["type": "object"])
    }

    @Test func aGoalTooSmallToSplitIsAnsweredByThePlannerAlone() throws {
        let answered: JSONValue = ["answer": "4", "subtasks": []]
        #expect(JSONSchemaValidator.validate(answered, against: OrchestrationPlanning.planSchema(roles: roles, maxWorkers: 2)).isEmpty)
        let plan = try OrchestrationPlanning.validate(answered, roles: roles, maxWorkers: 2).get()
        #expect(plan.answer == "4" && plan.subtasks.isEmpty)
        #expect(errors(["answer": "4", "subtasks": [subtask("a")]])
                == ["the plan has both an answer and subtasks; answer yourself with no subtasks, or leave out answer"])
        // What the caller asked for needs a worker's result.
        let checked = OrchestrateParams(goal: "g", checks: [.files(FilesCheck(exist: ["a"]))])
        let shaped = OrchestrateParams(goal: "g", output: OutputSpec(schema: ["type": "object"]))
        for caller in [checked, shaped] {
            guard case .failure(let problems) = OrchestrationPlanning.validate(answered, roles: roles, maxWorkers: 2, caller: caller) else {
                Issue.record("an answer passed although the caller needs a worker's result")
                continue
            }
            #expect(problems.errors.count == 1 && problems.errors[0].hasSuffix("plan at least one subtask"), "\(problems.errors)")
        }
    }

    @Test func everySubtaskGetsChecksUnlessVerificationIsOff() {
        let plain = PlanSubtask(id: "a", role: "worker", brief: SubtaskBrief(task: "t"))
        let defaults = OrchestrateParams(goal: "g")
        // No deterministic check: an evaluator.
        #expect(OrchestrationPlanning.checks(for: plain, params: defaults, roleWrites: false, testCommand: ["make", "test"])
                == [.judge(JudgeCheck(rubric: OrchestrationPrompts.evaluatorRubric, inspect: true))])
        // A writing role gets the project's tests, writable, and no evaluator; a schema brings a schema check.
        var shaped = plain
        shaped.brief.output = OutputSpec(schema: ["type": "object"])
        #expect(OrchestrationPlanning.checks(for: shaped, params: defaults, roleWrites: true, testCommand: ["make", "test"])
                == [.schema(schema: nil), .command(CommandCheck(command: ["make", "test"], writable: true))])
        // The plan's own deterministic checks stand alone; a judge alone still gets an evaluator.
        var judged = plain
        judged.checks = [.judge(JudgeCheck(rubric: "r"))]
        #expect(OrchestrationPlanning.checks(for: judged, params: defaults, roleWrites: false, testCommand: nil).count == 2)
        var filed = plain
        filed.checks = [.files(FilesCheck(exist: ["x"]))]
        #expect(OrchestrationPlanning.checks(for: filed, params: defaults, roleWrites: false, testCommand: nil) == filed.checks)
        // verify: false runs none.
        #expect(OrchestrationPlanning.checks(for: filed, params: OrchestrateParams(goal: "g", verify: false), roleWrites: true,
                                             testCommand: ["make", "test"]).isEmpty)
    }

    @Test func theProjectsTestCommandIsFoundFromItsBuildFiles() throws {
        let directory = TemporaryDirectory(prefix: "bosun-testcommand")
        defer { directory.remove() }
        let root = directory.path
        func write(_ name: String, _ text: String) throws { try directory.write(name, text) }
        #expect(ProjectTestCommand.find(in: root) == nil)
        try write("go.mod", "module x\n")
        #expect(ProjectTestCommand.find(in: root) == ["go", "test", "./..."])
        try write("Cargo.toml", "[package]\n")
        #expect(ProjectTestCommand.find(in: root) == ["cargo", "test"])
        try write("pyproject.toml", "[tool.pytest.ini_options]\n")
        #expect(ProjectTestCommand.find(in: root) == ["pytest", "-q", "-p", "no:cacheprovider"])
        try write("package.json", #"{"scripts": {"test": "echo \"Error: no test specified\" && exit 1"}}"#)
        #expect(ProjectTestCommand.find(in: root) == ["pytest", "-q", "-p", "no:cacheprovider"])
        try write("package.json", #"{"scripts": {"test": "jest"}}"#)
        #expect(ProjectTestCommand.find(in: root) == ["npm", "test"])
        try write("Makefile", "build:\n\tcc x.c\ntest: build\n\t./x\n")
        #expect(ProjectTestCommand.find(in: root) == ["make", "test"])
    }

    @Test func everyProblemIsNamed() {
        let plan: JSONValue = ["subtasks": [
            subtask("a", role: "planner"), subtask("a"), subtask("b", task: "  "), subtask("c", after: ["nowhere"]),
            subtask("d", after: ["d"]),
        ]]
        let found = errors(plan, maxWorkers: 4)
        #expect(found.contains { $0.contains("5 subtasks; at most 4") })
        #expect(found.contains { $0.contains("role \"planner\" is not one of coder, worker") })
        #expect(found.contains { $0.contains("\"a\" is used twice") })
        #expect(found.contains { $0.contains("subtask \"b\": brief.task is empty") })
        #expect(found.contains { $0.contains("after names \"nowhere\"") })
        #expect(found.contains { $0.contains("\"d\" names itself") })
    }

    @Test func aCycleIsFoundAndShown() {
        let plan: JSONValue = ["subtasks": [subtask("a", after: ["c"]), subtask("b", after: ["a"]), subtask("c", after: ["b"]), subtask("d")]]
        let found = errors(plan)
        #expect(found == ["after has a cycle: a → c → b → a; no subtask of a cycle could ever start"])
    }

    @Test func anEmptyOrShapelessPlanIsRefused() {
        #expect(errors(["subtasks": []]) == ["the plan has no subtasks; give at least one, or answer a goal this small yourself in answer"])
        #expect(errors(["steps": []]).first?.hasPrefix("the plan does not have the shape of a plan") == true)
    }

    @Test func thePlanSchemaLimitsRolesAndCountAndValidatesItsOwnExample() throws {
        let schema = OrchestrationPlanning.planSchema(roles: roles, maxWorkers: 2)
        #expect(JSONSchemaValidator.problems(inSchema: schema).isEmpty)
        let subtasks = schema["properties"]?["subtasks"]
        #expect(subtasks?["maxItems"] == 2)
        #expect(subtasks?["items"]?["properties"]?["role"]?["enum"] == ["coder", "worker"])
        let tooMany: JSONValue = ["subtasks": [subtask("a"), subtask("b"), subtask("c")]]
        #expect(!JSONSchemaValidator.validate(tooMany, against: schema).isEmpty)
        let unknownRole: JSONValue = ["subtasks": [subtask("a", role: "admin")]]
        #expect(!JSONSchemaValidator.validate(unknownRole, against: schema).isEmpty)
        #expect(JSONSchemaValidator.validate(["subtasks": [subtask("a")]], against: schema).isEmpty)
    }

    @Test func theDecisionSchemaResolvesItsReferences() {
        let schema = OrchestrationPlanning.decisionSchema(roles: roles)
        #expect(JSONSchemaValidator.problems(inSchema: schema).isEmpty)
        let substitute: JSONValue = ["kind": "substitute", "reason": "wrong role", "role": "coder",
                                     "brief": ["task": "Write it", "output": ["format": "a list"]]]
        #expect(JSONSchemaValidator.validate(substitute, against: schema).isEmpty)
        #expect(!JSONSchemaValidator.validate(["kind": "shrug", "reason": "?"], against: schema).isEmpty)
    }
}
