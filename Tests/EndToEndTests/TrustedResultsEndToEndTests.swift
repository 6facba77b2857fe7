import BosunJSON
import Foundation
import Testing

/// Results you can trust, over the real binary: a missing program is the setup's problem
/// (`command_not_found`, one attempt, a decision that says so); an evaluator judges from
/// what it reads, not from what the worker says; sources travel to dependants and into the
/// synthesis; a plan is as big as its goal.
@Suite(.serialized) struct TrustedResultsEndToEndTests {
    typealias Rules = OrchestrateEndToEndTests

    @Test func aCommandCheckWhoseProgramIsMissingStopsTheSubtaskAfterOneAttempt() async throws {
        let plan = """
            { subtasks: [ { id: t, role: worker, brief: { task: "Report the test results" },
                            checks: [{ kind: command, command: [no-such-test-runner, --all] }] } ] }
            """
        let world = try Rules.world([
            Rules.plannerRule(plan), Rules.synthesizerRule,
            Rules.coordinatorRule("{ kind: retry, reason: \"Try again.\", feedback: \"Run them again.\" }"),
            Rules.answer("Report the test results", "All tests pass."),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Run the tests"], timeout: .seconds(90))
        #expect(result["state"] == "failed", "\(result)")
        let outcome = try #require(result["verification"]?.arrayValue?.first)
        #expect(outcome["status"] == "abandoned")
        #expect(outcome["attempts"]?.arrayValue?.count == 1)
        let decisions = result["decisions"]?.arrayValue ?? []
        #expect(decisions.count == 1)
        let reason = decisions.first?["reason"]?.stringValue ?? ""
        #expect(decisions.first?["kind"] == "abandon")
        #expect(reason.contains("command_not_found") && reason.contains("no-such-test-runner") && reason.contains("PATH"), "\(reason)")
        // No coordinator was asked and the worker was never steered back.
        let roles = result["workers"]?.arrayValue?.compactMap { $0["role"]?.stringValue } ?? []
        #expect(!roles.contains("coordinator"), "\(roles)")
        let workerId = outcome["workerId"]?.stringValue ?? ""
        let kinds = try await serve.trace().filter { $0["workerId"]?.stringValue == workerId }.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.filter { $0 == "verify_round" }.count == 1)
        #expect(!kinds.contains("steered"))
        #expect(try await serve.stop() == 0)
    }

    @Test func runCommandOfAMissingProgramEndsTheWorkerAsCommandNotFound() async throws {
        let world = try Rules.world([
            """
              - match: { lastMessage: "Run the linter", turn: 0 }
                reply: { toolCalls: [{ name: run_command, input: { command: [no-such-linter, src] } }] }
            """,
            Rules.answer("command not found", "I could not run it, but the code is fine."),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Run the linter", "role": "coder", "wait": true])
        #expect(worker["state"] == "failed", "\(worker)")
        #expect(worker["error"]?["code"] == "command_not_found")
        let message = worker["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("no-such-linter") && message.contains("PATH"), "\(message)")
        #expect(worker["steps"] == 1)
        #expect(try await serve.stop() == 0)
    }

    @Test func anEvaluatorReadsTheFileAndFailsAResultThatClaimsSuccess() async throws {
        // The worker claims it fixed main.swift; the evaluator reads it, and only what it read
        // (`let x = 1`, the unchanged file) leads to its failing verdict.
        let world = try Rules.world([
            """
              - match: { system: "bosun's evaluator", turn: 0 }
                reply: { toolCalls: [{ name: read_file, input: { path: src/main.swift } }] }
              - match: { system: "bosun's evaluator", lastMessage: "let x = 1" }
                reply:
                  toolCalls:
                    - name: submit_result
                      input:
                        passed: false
                        reasons: ["src/main.swift still only declares x; it prints no greeting"]
                        evidence: [{ path: src/main.swift, line: 1, note: "let x = 1 is the whole file" }]
            """,
            Rules.answer("Make src/main.swift print a greeting", "Done: src/main.swift now prints hello, and it builds."),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Make src/main.swift print a greeting", "wait": true])
        #expect(worker["state"] == "succeeded")
        let verified = try await serve.call("verify", ["workerId": .string(worker.id), "checks": [
            ["kind": "judge", "rubric": "src/main.swift prints a greeting.", "inspect": true]]], timeout: .seconds(60))
        #expect(verified["passed"] == false, "\(verified)")
        let outcome = try #require(verified["rounds"]?.arrayValue?.first?["checks"]?.arrayValue?.first)
        let summary = outcome["summary"]?.stringValue ?? ""
        #expect(summary.hasPrefix("the evaluator w_") && summary.contains("prints no greeting"), "\(summary)")
        #expect(outcome["output"]?.stringValue?.contains("src/main.swift:1: let x = 1 is the whole file") == true, "\(outcome)")

        // The evaluator is a worker of its own: read-only, it read the file, and its brief holds
        // the result as claims, not the worker's conversation.
        let evaluatorId = String(summary.dropFirst("the evaluator ".count).prefix { $0 != " " })
        let evaluator = try await serve.worker(evaluatorId)
        #expect(evaluator["role"] == "evaluator" && evaluator["state"] == "succeeded")
        let trace = try await serve.trace()
        let calls = trace.filter { $0["workerId"]?.stringValue == evaluatorId && $0["kind"] == "tool_call" }
        #expect(calls.map { $0["data"]?["name"] } == ["read_file"], "\(calls)")
        // Its usage is reported on the checked worker.
        let judged = trace.filter { $0["workerId"]?.stringValue == worker.id && $0["kind"] == "judge_call" }
        #expect(judged.first?["data"]?["evaluatorId"] == .string(evaluatorId), "\(judged)")
        #expect((judged.first?["data"]?["inputTokens"]?.intValue ?? 0) > 0)
        #expect(try await serve.stop() == 0)
    }

    @Test func sourcesOfTwoResearchersReachTheirDependantAndTheSynthesis() async throws {
        let plan = """
            { subtasks: [
                { id: a, role: researcher, brief: { task: "Find fact A" } },
                { id: b, role: researcher, brief: { task: "Find fact B" } },
                { id: c, role: writer, brief: { task: "Write up A" }, after: [a] } ] }
            """
        let world = try Rules.world([
            Rules.plannerRule(plan),
            """
              - match: { system: "bosun's synthesizer", lastMessageRegex: '(?s)^(?=.*sources: https://a\\.example/facts)(?=.*sources: docs/b\\.md)' }
                reply:
                  toolCalls:
                    - name: submit_result
                      input:
                        text: "A is 1 [https://a.example/facts] and B is 2 [docs/b.md]."
                        sources: [{ workerId: "$enum[0]", claim: "A is 1", source: "https://a.example/facts" }]
                        conflicts: []
                        gaps: []
              - match: { system: "You write.", lastMessage: "sources: https://a.example/facts" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "A is 1, per https://a.example/facts" } }] }
              - match: { system: "You gather facts", lastMessage: "Find fact A" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "A is 1", sources: ["https://a.example/facts"] } }] }
              - match: { system: "You gather facts", lastMessage: "Find fact B" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "B is 2", sources: [docs/b.md] } }] }
            """,
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Find A and B", "verify": false], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        // The dependant saw a's sources in its brief.
        let writer = result["workers"]?.arrayValue?.first { $0["role"] == "writer" }
        #expect(writer?["result"]?["text"] == "A is 1, per https://a.example/facts", "\(String(describing: writer))")
        // The synthesizer saw both researchers' sources; its answer cites them and lists both.
        let synthesis = try #require(result["synthesis"])
        #expect(synthesis["text"] == "A is 1 [https://a.example/facts] and B is 2 [docs/b.md].", "\(synthesis)")
        let listed = Set(synthesis["sources"]?.arrayValue?.compactMap { $0["source"]?.stringValue } ?? [])
        #expect(listed == ["https://a.example/facts", "docs/b.md"], "\(synthesis)")
        // Verification was turned off, and the result says so.
        #expect(result["verified"]?["optedOut"] == true && result["verified"]?["verified"] == 0, "\(String(describing: result["verified"]))")
        #expect(result["verification"]?.arrayValue?.allSatisfy { $0["verification"] == "unverified" } == true)
        #expect(try await serve.stop() == 0)
    }

    /// The `model_call` events of the whole session.
    static func modelCalls(_ serve: BosunProcess) async throws -> Int {
        try await serve.trace().filter { $0["kind"] == "model_call" }.count
    }

    @Test func aTrivialGoalIsAnsweredByThePlannerInOneModelCall() async throws {
        let world = try Rules.world([Rules.plannerRule("{ answer: \"2 + 2 is 4.\", subtasks: [] }")])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "What is 2 + 2?"], timeout: .seconds(60))
        #expect(result["state"] == "succeeded", "\(result)")
        #expect(result["synthesis"]?["text"] == "2 + 2 is 4.")
        #expect(result["workers"]?.arrayValue?.map { $0["role"] } == ["planner"])
        #expect(result["synthesis"]?["id"] == result["workers"]?.arrayValue?.first?["id"])
        #expect(result["verification"] == [] && result["verified"]?["passed"] == 0)
        #expect(try await Self.modelCalls(serve) == 1)
        // An answer is refused where the caller's checks need a worker: the plan goes back once.
        let refused = try await serve.call("orchestrate", ["goal": "What is 2 + 2?", "checks": [["kind": "files", "exist": ["a"]]]],
                                           timeout: .seconds(60))
        #expect(refused["state"] == "failed" && refused["reason"]?.stringValue?.contains("plan at least one subtask") == true,
                "\(refused)")
        #expect(try await serve.stop() == 0)
    }

    @Test func aOnePartGoalIsOneVerifiedWorkerWithoutASynthesizer() async throws {
        let plan = """
            { subtasks: [ { id: a, role: worker, brief: { task: "Say what README.md is titled" },
                            checks: [{ kind: files, exist: [README.md] }] } ] }
            """
        let world = try Rules.world([
            Rules.plannerRule(plan),
            """
              - match: { system: "You are a worker in bosun", lastMessage: "Say what README.md is titled" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "It is titled Demo.", sources: [README.md] } }] }
            """,
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "What is README.md titled?"], timeout: .seconds(60))
        #expect(result["state"] == "succeeded", "\(result)")
        let workers = result["workers"]?.arrayValue ?? []
        #expect(workers.map { $0["role"] } == ["planner", "worker"], "\(workers)")
        #expect(result["synthesis"]?["text"] == "It is titled Demo.")
        #expect(result["synthesis"]?["id"] == workers.last?["id"])
        #expect(result["synthesis"]?["sources"]?.arrayValue?.contains { $0["source"] == "README.md" } == true)
        #expect(result["verified"] == ["passed": 1, "verified": 1, "share": 1, "optedOut": false])
        #expect(try await Self.modelCalls(serve) == 2)
        #expect(try await serve.stop() == 0)
    }

    @Test func aSubtaskProposesAFollowUpThatTheCoordinatorAddsWithinTheLimits() async throws {
        let plan = """
            { subtasks: [ { id: a, role: worker, brief: { task: "Read README.md" }, checks: [{ kind: files, exist: [README.md] }] } ] }
            """
        let world = try Rules.world([
            Rules.plannerRule(plan), Rules.synthesizerRule,
            Rules.coordinatorRule("""
                { add: true, reason: "The goal needs the source checked too.", brief: { task: "Read src/main.swift" } }
                """),
            """
              - match: { system: "You are a worker in bosun", lastMessage: "TASK\\nRead src/main.swift" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "It declares x." } }] }
              - match: { system: "You are a worker in bosun", lastMessage: "Read README.md" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "It says Demo.", followUps: ["Read src/main.swift", "Read LICENSE"] } }] }
            """,
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        // Room for one more subtask: the first proposal is added, the second left out by the limit.
        let result = try await serve.call("orchestrate", ["goal": "Describe the workspace", "limits": ["maxWorkers": 2]],
                                          timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let subtasks = result["plan"]?["subtasks"]?.arrayValue ?? []
        #expect(subtasks.map { $0["id"] } == ["a", "a+1"], "\(subtasks)")
        #expect(subtasks.last?["after"] == ["a"] && subtasks.last?["brief"]?["task"] == "Read src/main.swift")
        #expect(result["verification"]?.arrayValue?.map { $0["status"] } == ["passed", "passed"])
        let decisions = result["decisions"]?.arrayValue ?? []
        #expect(decisions.map { $0["kind"] } == ["add_follow_up", "skip_follow_up"], "\(decisions)")
        #expect(decisions.last?["reason"]?.stringValue?.contains("limits.maxWorkers (2)") == true, "\(decisions)")
        // One coordinator decided the first; the limit decided the second without a model call.
        let roles = result["workers"]?.arrayValue?.compactMap { $0["role"]?.stringValue } ?? []
        #expect(roles.filter { $0 == "coordinator" }.count == 1, "\(roles)")
        #expect(roles.last == "synthesizer")
        #expect(try await serve.stop() == 0)
    }

    @Test func anEvaluatorSeesTheChangesAWritingWorkerLeftInItsLayer() async throws {
        let world = try Rules.world([
            """
              - match: { system: "bosun's evaluator", lastMessage: "+let x = fixed" }
                reply:
                  toolCalls:
                    - name: submit_result
                      input: { passed: false, reasons: ["the diff sets x to fixed, which does not build"], evidence: [{ path: src/main.swift, line: 1, note: "let x = fixed" }] }
              - match: { lastMessage: "Fix the code", turn: 0 }
                reply: { toolCalls: [{ name: write_file, input: { path: src/main.swift, content: "let x = fixed\\n" } }] }
              - match: { lastMessage: "in this worker's layer" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "Fixed." } }] }
            """,
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Fix the code", "role": "coder", "wait": true])
        #expect(worker["state"] == "succeeded", "\(worker)")
        let verified = try await serve.call("verify", ["workerId": .string(worker.id), "checks": [
            ["kind": "judge", "rubric": "The code builds.", "inspect": true]]], timeout: .seconds(60))
        let summary = verified["rounds"]?.arrayValue?.first?["checks"]?.arrayValue?.first?["summary"]?.stringValue ?? ""
        #expect(verified["passed"] == false && summary.contains("the diff sets x to fixed"), "\(verified)")
        #expect(try await serve.stop() == 0)
    }
}
