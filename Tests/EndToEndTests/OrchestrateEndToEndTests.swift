import BosunJSON
import Foundation
import Testing

/// `orchestrate` over the real binary. The mock provider is scripted per role by the system
/// prompt (the planner, the coordinator, the synthesizer) and per subtask by its task text.
@Suite(.serialized) struct OrchestrateEndToEndTests {
    /// A planner rule that submits `plan` (YAML flow text) on its first call, and a
    /// synthesizer that cites the first worker it was given.
    static func plannerRule(_ plan: String, turn: Int? = nil, times: Int? = nil) -> String {
        var match = "system: \"bosun's planner\""
        if let turn { match += ", turn: \(turn)" }
        return """
              - match: { \(match) }
            \(times.map { "    times: \($0)\n" } ?? "")    reply: { toolCalls: [{ name: submit_result, input: \(plan) }] }
            """
    }

    static let synthesizerRule = """
          - match: { system: "bosun's synthesizer" }
            reply:
              toolCalls:
                - name: submit_result
                  input: { text: "All parts done.", sources: [{ workerId: "$enum[0]", claim: "a part" }], conflicts: [], gaps: [] }
        """

    static func answer(_ task: String, _ text: String, latencyMs: Int? = nil) -> String {
        """
          - match: { lastMessage: "\(task)" }
        \(latencyMs.map { "    latencyMs: \($0)\n" } ?? "")    reply: { toolCalls: [{ name: submit_result, input: { text: "\(text)" } }] }
        """
    }

    static func coordinatorRule(_ decision: String, times: Int? = nil) -> String {
        """
          - match: { system: "bosun's coordinator" }
        \(times.map { "    times: \($0)\n" } ?? "")    reply: { toolCalls: [{ name: submit_result, input: \(decision) }] }
        """
    }

    static func world(_ rules: [String], latencyMs: Int = 20) throws -> OrchestrationWorld {
        try OrchestrationWorld(mockArguments: ["--latency-ms", "\(latencyMs)", "--tool-steps", "0"],
                               script: "rules:\n" + rules.joined(separator: "\n") + "\n")
    }

    static let threeSubtaskPlan = """
        { subtasks: [
            { id: a, role: worker, brief: { task: "Collect fact A" } },
            { id: b, role: worker, brief: { task: "Collect fact B" } },
            { id: c, role: worker, brief: { task: "Combine the facts" }, after: [a, b] } ] }
        """

    static func orchestrationEvents(_ serve: BosunProcess, kind: String? = nil) -> [JSONValue] {
        serve.pendingNotifications.filter { $0["method"] == "orchestration/event" }.compactMap { $0["params"] }
            .filter { kind == nil || $0["kind"]?.stringValue == kind }
    }

    static func date(_ value: JSONValue?) -> Date {
        value?.stringValue.flatMap { try? Date($0, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true)) } ?? .distantPast
    }

    @Test func twoParallelSubtasksAndADependentOneEndInOneSynthesis() async throws {
        let world = try Self.world([
            Self.plannerRule(Self.threeSubtaskPlan), Self.synthesizerRule,
            Self.answer("Collect fact A", "A is 1", latencyMs: 400), Self.answer("Collect fact B", "B is 2", latencyMs: 400),
            Self.answer("Combine the facts", "A+B is 3"),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Find A and B and combine them", "workDoneToken": "orch-1"],
                                          timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let id = result.id
        #expect(id.hasPrefix("o_"))
        #expect(result["plan"]?["subtasks"]?.arrayValue?.count == 3)
        let outcomes = result["verification"]?.arrayValue ?? []
        #expect(outcomes.map { $0["status"] } == ["passed", "passed", "passed"])
        #expect(result["synthesis"]?["text"] == "All parts done.")
        #expect(result["decisions"] == [])

        // Every worker it ran is nested under it: planner, three subtasks, synthesizer.
        let workers = result["workers"]?.arrayValue ?? []
        #expect(workers.map { $0["role"]?.stringValue ?? "" } == ["planner", "worker", "worker", "worker", "synthesizer"])
        #expect(workers.allSatisfy { $0["parent"] == .string(id) })

        // a and b ran side by side; c started only after both ended, with their results.
        let byTask = Dictionary(uniqueKeysWithValues: workers.map { ($0["task"]?.stringValue ?? "", $0) })
        let a = try #require(byTask["Collect fact A"]), b = try #require(byTask["Collect fact B"])
        let c = try #require(byTask["Combine the facts"])
        #expect(Self.date(a["startedAt"]) < Self.date(b["endedAt"]) && Self.date(b["startedAt"]) < Self.date(a["endedAt"]))
        #expect(Self.date(c["startedAt"]) >= max(Self.date(a["endedAt"]), Self.date(b["endedAt"])))
        #expect(Set(c["after"]?.arrayValue ?? []) == [.string(a.id), .string(b.id)])

        // Its events: started, plan, subtask moves, synthesis, succeeded; progress on the token.
        let kinds = Self.orchestrationEvents(serve).map { $0["kind"]?.stringValue ?? "" }
        #expect(kinds.first == "started" && kinds.last == "succeeded")
        #expect(kinds.contains("plan") && kinds.contains("synthesis"))
        #expect(Self.orchestrationEvents(serve, kind: "subtask").filter { $0["data"]?["status"] == "passed" }.count == 3)
        let progress = serve.pendingNotifications.filter { $0["method"] == "$/progress" && $0["params"]?["token"] == "orch-1" }
        #expect(progress.first?["params"]?["value"]?["kind"] == "begin")
        #expect(progress.last?["params"]?["value"]?["kind"] == "end")

        // status lists it; trace has its events under its id.
        let status = try await serve.call("status")
        let summary = status["orchestrations"]?.arrayValue?.first
        #expect(summary?["id"] == .string(id) && summary?["state"] == "succeeded")
        #expect(summary?["subtasks"]?["passed"] == 3)
        let trace = try await serve.call("trace", ["workerId": .string(id)])["events"]?.arrayValue ?? []
        #expect(trace.map { $0["kind"]?.stringValue ?? "" } == kinds)
        #expect(try await serve.stop() == 0)
    }
}
