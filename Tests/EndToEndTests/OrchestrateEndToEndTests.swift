import BosunJSON
import Foundation
import Testing
import TestSupport

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

    /// A subtask worker's answer (not an evaluator's, whose brief quotes the worker's).
    /// `held`: the first such call waits until the test releases it (`MockProviderProcess.releaseHeld`).
    static func answer(_ task: String, _ text: String, latencyMs: Int? = nil, held: Bool = false) -> String {
        let rule = """
          - match: { lastMessage: "\(task)", system: "You are a worker in bosun" }
        \(latencyMs.map { "    latencyMs: \($0)\n" } ?? "")    reply: { toolCalls: [{ name: submit_result, input: { text: "\(text)" } }] }
        """
        return held ? rule + "\n    hold: true\n    times: 1\n" + rule : rule
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
            Self.answer("Collect fact A", "A is 1", held: true), Self.answer("Collect fact B", "B is 2", held: true),
            Self.answer("Combine the facts", "A+B is 3"),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let call = serve.sendRequest("orchestrate", ["goal": "Find A and B and combine them", "workDoneToken": "orch-1"])
        // a's and b's calls are held until both are: the two run side by side.
        #expect(try await waitUntil(pace: .milliseconds(10)) { try world.mock.held() == 2 }, "a's and b's calls at once")
        #expect(try world.mock.releaseHeld() == 2)
        let result = try await serve.response(id: call, timeout: .seconds(90))["result"] ?? .null
        #expect(result["state"] == "succeeded", "\(result)")
        let id = result.id
        #expect(id.hasPrefix("o_"))
        #expect(result["plan"]?["subtasks"]?.arrayValue?.count == 3)
        let outcomes = result["verification"]?.arrayValue ?? []
        #expect(outcomes.map { $0["status"] } == ["passed", "passed", "passed"])
        // No subtask had a deterministic check, so an evaluator verified each.
        #expect(outcomes.map { $0["verification"] } == ["passed", "passed", "passed"])
        #expect(result["verified"] == ["passed": 3, "verified": 3, "share": 1, "optedOut": false])
        #expect(result["synthesis"]?["text"] == "All parts done.")
        #expect(result["decisions"] == [])

        // Every worker it ran is nested under it: planner, three subtasks with an evaluator each, synthesizer.
        let workers = result["workers"]?.arrayValue ?? []
        let roles = workers.map { $0["role"]?.stringValue ?? "" }
        #expect(roles.first == "planner" && roles.last == "synthesizer", "\(roles)")
        #expect(roles.filter { $0 == "worker" }.count == 3 && roles.filter { $0 == "evaluator" }.count == 3, "\(roles)")
        #expect(workers.allSatisfy { $0["parent"] == .string(id) })

        // a and b ran side by side; c started only after both ended, with their results.
        let byTask = Dictionary(uniqueKeysWithValues: workers.filter { $0["role"] == "worker" }.map { ($0["task"]?.stringValue ?? "", $0) })
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

        // `bosun trace show` nests the workers under the orchestration; the HTML timeline heads them with it.
        let sessionId = status["session"]?["id"]?.stringValue ?? ""
        let tree = try runProcess(BosunBinary.path, ["trace", "show", sessionId, "--db", world.dbPath]).stdout
        let lines = tree.split(separator: "\n").map(String.init)
        let head = try #require(lines.firstIndex { $0.contains(id) }, "\(tree)")
        #expect(lines[head].hasPrefix("└─ ") || lines[head].hasPrefix("├─ "))
        let nested = lines[(head + 1)...].filter { $0.contains("w_") }
        #expect(nested.count == 8 && nested.allSatisfy { $0.hasPrefix("   ") || $0.hasPrefix("│  ") }, "\(tree)")
        let page = try runProcess(BosunBinary.path, ["trace", "html", sessionId, "--db", world.dbPath, "-o", "-"]).stdout
        #expect(page.contains("class=\"orchestration\" id=\"\(id)\""))
        // `bosun trace show o_…`: the orchestration, its workers and its events.
        let detail = try runProcess(BosunBinary.path, ["trace", "show", id, "--db", world.dbPath]).stdout
        #expect(detail.hasPrefix("orchestration \(id)  session \(sessionId)\n  state    succeeded\n"), "\(detail)")
        #expect(detail.contains("workers (8):") && detail.contains("events (\(kinds.count)):"), "\(detail)")
        let json = try JSONValue.parse(try runProcess(BosunBinary.path, ["trace", "show", id, "--json", "--db", world.dbPath]).stdout)
        #expect(json["orchestration"]?["ledger"]?["plan"]?["subtasks"]?.arrayValue?.count == 3)
        #expect(json["events"]?.arrayValue?.count == kinds.count)
    }

    @Test func aFailingSubtaskIsRetriedThenSubstitutedUntilItPasses() async throws {
        // Subtask x must leave done.txt (a files check); a plain worker cannot write, so its
        // checks fail, the coordinator retries once, then substitutes a coder that can.
        let plan = """
            { subtasks: [ { id: x, role: worker, brief: { task: "Produce done.txt" }, checks: [{ kind: files, exist: [done.txt] }] } ] }
            """
        let world = try Self.world([
            Self.plannerRule(plan), Self.synthesizerRule,
            Self.coordinatorRule("{ kind: retry, reason: \"It may have missed the file.\", feedback: \"Create done.txt.\" }", times: 1),
            Self.coordinatorRule("""
                { kind: substitute, reason: "The worker role cannot write files.", role: coder, brief: { task: "Write done.txt with write_file" } }
                """),
            """
              - match: { lastMessage: "Write done.txt with write_file", turn: 0 }
                reply: { toolCalls: [{ name: write_file, input: { path: done.txt, content: "done" } }] }
              - match: { system: "You change code" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "Wrote done.txt." } }] }
            """,
            Self.answer("done.txt", "I produced it."),
            Self.answer("Verification of your result failed", "I produced it."),
            Self.answer("Create done.txt", "I produced it."),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Leave a done.txt"], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let decisions = result["decisions"]?.arrayValue ?? []
        #expect(decisions.map { $0["kind"] } == ["retry", "substitute"])
        #expect(decisions.allSatisfy { $0["subtask"] == "x" })
        let outcome = try #require(result["verification"]?.arrayValue?.first)
        #expect(outcome["status"] == "passed" && outcome["verification"] == "passed")
        #expect(outcome["attempts"]?.arrayValue?.count == 2)
        #expect(result["plan"]?["subtasks"]?.arrayValue?.first?["role"] == "coder")
        #expect(FileManager.default.fileExists(atPath: world.workspace + "/done.txt"))
        #expect(Self.orchestrationEvents(serve, kind: "replan").count == 2)
        #expect(Self.orchestrationEvents(serve, kind: "decision").count == 2)
        #expect(try await serve.stop() == 0)
    }

    @Test func theReplanLimitEndsInAPartialResultThatNamesWhatWasAbandoned() async throws {
        let plan = """
            { subtasks: [
                { id: good, role: worker, brief: { task: "Summarise the README" } },
                { id: bad, role: worker, brief: { task: "Produce missing.txt" }, checks: [{ kind: files, exist: [missing.txt] }] } ] }
            """
        let world = try Self.world([
            Self.plannerRule(plan), Self.synthesizerRule,
            Self.coordinatorRule("{ kind: retry, reason: \"Try once more.\", feedback: \"Create missing.txt.\" }"),
            Self.answer("Summarise the README", "It is a demo."),
            Self.answer("missing.txt", "Done, trust me."),
            Self.answer("Verification of your result failed", "Done, trust me."),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Summarise and produce", "limits": ["maxReplans": 1]],
                                          timeout: .seconds(90))
        #expect(result["state"] == "partial", "\(result)")
        #expect(result["decisions"]?.arrayValue?.map { $0["kind"] } == ["retry", "abandon"])
        #expect(result["decisions"]?.arrayValue?.last?["reason"]?.stringValue?.contains("replan limit") == true)
        let outcomes = Dictionary(uniqueKeysWithValues: (result["verification"]?.arrayValue ?? []).map { ($0["subtask"]?.stringValue ?? "", $0) })
        #expect(outcomes["good"]?["status"] == "passed")
        #expect(outcomes["bad"]?["status"] == "abandoned")
        #expect(outcomes["bad"]?["reason"]?.stringValue?.contains("limits.maxReplans 1") == true)
        let gaps = result["synthesis"]?["gaps"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(gaps.first?.hasPrefix("subtask bad abandoned") == true, "\(gaps)")
        #expect(result["reason"]?.stringValue?.contains("bad") == true)
        #expect(try await serve.stop() == 0)
    }

    @Test func anInvalidPlanGoesBackOnceWithItsErrors() async throws {
        let cyclic = """
            { subtasks: [
                { id: p, role: worker, brief: { task: "Do part P" }, after: [q] },
                { id: q, role: worker, brief: { task: "Do part Q" }, after: [p] } ] }
            """
        let fixed = "{ subtasks: [ { id: p, role: worker, brief: { task: \"Do part P\" } } ] }"
        let world = try Self.world([
            Self.plannerRule(cyclic, turn: 0), Self.plannerRule(fixed), Self.synthesizerRule, Self.answer("Do part P", "P done."),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Do P"], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        #expect(result["plan"]?["subtasks"]?.arrayValue?.count == 1)
        let replan = try #require(Self.orchestrationEvents(serve, kind: "replan").first)
        let errors = replan["data"]?["errors"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(errors.contains { $0.contains("cycle") }, "\(errors)")
        #expect(Self.orchestrationEvents(serve, kind: "plan").first?["data"]?["attempt"] == .int(2))
        // The planner read the errors: its conversation was steered with them.
        let planner = try #require(result["workers"]?.arrayValue?.first)
        #expect(planner["role"] == "planner")
        let steered = try await serve.call("trace", ["workerId": planner["id"] ?? .null])["events"]?.arrayValue ?? []
        #expect(steered.contains { $0["kind"] == "steered" })

        // A plan that stays invalid fails the orchestration with the errors.
        let stubborn = try Self.world([Self.plannerRule(cyclic)])
        defer { stubborn.tearDown() }
        let second = try stubborn.serve()
        try await second.initialize(root: stubborn.workspace)
        let failed = try await second.call("orchestrate", ["goal": "Do P"], timeout: .seconds(90))
        #expect(failed["state"] == "failed")
        #expect(failed["reason"]?.stringValue?.contains("still invalid after one correction") == true)
        #expect(failed["synthesis"] == nil)
        #expect(try await serve.stop() == 0)
        #expect(try await second.stop() == 0)
    }

    @Test func cancellingAnOrchestrationCancelsItsWorkers() async throws {
        let plan = """
            { subtasks: [ { id: slow1, role: worker, brief: { task: "Take your time one" } },
                          { id: slow2, role: worker, brief: { task: "Take your time two" } } ] }
            """
        let world = try Self.world([
            Self.plannerRule(plan), Self.answer("Take your time", "late", latencyMs: 20_000),
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let call = serve.sendRequest("orchestrate", ["goal": "Slow work"])
        var orchestrationId = ""
        while orchestrationId.isEmpty {
            let event = try await serve.notification("orchestration/event", timeout: .seconds(30))
            if event["params"]?["data"]?["workerId"] != nil { orchestrationId = event["params"]?["orchestrationId"]?.stringValue ?? "" }
        }
        let cancelled = try await serve.call("cancel", ["workerId": .string(orchestrationId), "reason": "changed my mind"])
        #expect(cancelled["cancelled"]?.arrayValue?.first == .string(orchestrationId))
        let answer = try await serve.response(id: call, timeout: .seconds(30))
        let result = try #require(answer["result"])
        #expect(result["state"] == "cancelled")
        #expect(result["reason"]?.stringValue?.contains("changed my mind") == true)
        let subtaskWorkers = (result["workers"]?.arrayValue ?? []).filter { $0["role"] == "worker" }
        #expect(!subtaskWorkers.isEmpty && subtaskWorkers.allSatisfy { $0["state"] == "cancelled" })
        #expect(Self.orchestrationEvents(serve).last?["kind"] == "cancelled")
        let again = try await serve.request("cancel", ["workerId": .string(orchestrationId)])
        #expect(again["error"]?["code"] == -32011)

        // cancel {all} stops a running orchestration too.
        let second = serve.sendRequest("orchestrate", ["goal": "Slow work again"])
        while true { // the first one's last events may still be unread
            let event = try await serve.notification("orchestration/event", timeout: .seconds(30))["params"] ?? .null
            if event["orchestrationId"] != .string(orchestrationId), event["data"]?["workerId"] != nil { break }
        }
        _ = try await serve.call("cancel", ["all": true])
        #expect(try await serve.response(id: second, timeout: .seconds(30))["result"]?["state"] == "cancelled")
        #expect(try await serve.stop() == 0)
    }

    @Test func killNineMidOrchestrationThenResumeKeepsWhatPassed() async throws {
        let plan = """
            { subtasks: [ { id: quick, role: worker, brief: { task: "Answer quickly" } },
                          { id: long, role: worker, brief: { task: "Answer slowly" } } ] }
            """
        let world = try Self.world([
            Self.plannerRule(plan), Self.synthesizerRule, Self.answer("Answer quickly", "quick"),
            Self.answer("Answer slowly", "slow", held: true),  // its first attempt is still running at the kill
        ])
        defer { world.tearDown() }
        let first = try world.serve()
        let info = try await first.initialize(root: world.workspace)
        let sessionId = info["session"]?["id"]?.stringValue ?? ""
        _ = first.sendRequest("orchestrate", ["goal": "Both answers"])
        var orchestrationId = ""
        var quickWorker = ""
        while quickWorker.isEmpty {
            let event = try await first.notification("orchestration/event", timeout: .seconds(30))["params"] ?? .null
            orchestrationId = event["orchestrationId"]?.stringValue ?? orchestrationId
            if event["data"]?["subtask"] == "quick", event["data"]?["status"] == "passed" {
                quickWorker = event["data"]?["workerId"]?.stringValue ?? ""
            }
        }
        // A read of the store runs only once every write queued before it is committed, the
        // ledger that recorded the pass among them: after this answer, a kill cannot lose it.
        _ = try await first.call("trace", ["limit": 1])
        try await first.killHard()

        let second = try world.serve()
        try await second.initialize(root: world.workspace, options: ["session": .string(sessionId)])
        let status = try await second.call("status")
        let summary = status["orchestrations"]?.arrayValue?.first
        #expect(summary?["id"] == .string(orchestrationId) && summary?["state"] == "interrupted")
        let result = try await second.call("orchestrate", ["resume": .string(orchestrationId)], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let outcomes = Dictionary(uniqueKeysWithValues: (result["verification"]?.arrayValue ?? []).map { ($0["subtask"]?.stringValue ?? "", $0) })
        #expect(outcomes["quick"]?["attempts"] == [.string(quickWorker)])
        let longAttempts = outcomes["long"]?["attempts"]?.arrayValue ?? []
        #expect(longAttempts.count == 2)
        let interrupted = try await second.worker(longAttempts.first?.stringValue ?? "")
        #expect(interrupted.state == "interrupted")
        // Only an interrupted orchestration resumes.
        let again = try await second.request("orchestrate", ["resume": .string(orchestrationId)])
        #expect(again["error"]?["code"] == -32011)
        #expect(try await second.stop() == 0)
    }

    @Test func aClientThatDisconnectsLeavesItsOrchestrationInterruptedAndResumable() async throws {
        let plan = "{ subtasks: [ { id: slow, role: worker, brief: { task: \"Answer after a while\" } } ] }"
        let world = try Self.world([Self.plannerRule(plan), Self.synthesizerRule,
                                    Self.answer("Answer after a while", "done", held: true)])
        defer { world.tearDown() }
        let first = try world.serve()
        let info = try await first.initialize(root: world.workspace)
        let sessionId = info["session"]?["id"]?.stringValue ?? ""
        _ = first.sendRequest("orchestrate", ["goal": "Wait for the answer"])
        var orchestrationId = "", workerId = ""
        while workerId.isEmpty {
            let event = try await first.notification("orchestration/event", timeout: .seconds(30))["params"] ?? .null
            orchestrationId = event["orchestrationId"]?.stringValue ?? orchestrationId
            workerId = event["data"]?["workerId"]?.stringValue ?? ""
        }
        // The editor goes away: bosun's input closes while the call runs (its worker's first
        // model call is held, never released), past the 2 s bosun gives running requests
        // before it cancels them.
        first.closeInput()
        _ = try await first.waitForExit()

        let second = try world.serve()
        try await second.initialize(root: world.workspace, options: ["session": .string(sessionId)])
        let status = try await second.call("status")
        #expect(status["orchestrations"]?.arrayValue?.first?["state"] == "interrupted", "\(status)")
        #expect(try await second.worker(workerId).state == "interrupted")
        let result = try await second.call("orchestrate", ["resume": .string(orchestrationId)], timeout: .seconds(60))
        #expect(result["state"] == "succeeded", "\(result)")
        #expect(try await second.stop() == 0)
    }

    @Test func anEscalationRunsTheSubtaskAgainOneTierUp() async throws {
        let plan = """
            { subtasks: [ { id: hard, role: coder, brief: { task: "Hard task: leave hard.txt" }, checks: [{ kind: files, exist: [hard.txt] }] } ] }
            """
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "20", "--tool-steps", "0"], script: "rules:\n" + [
            Self.plannerRule(plan), Self.synthesizerRule,
            Self.coordinatorRule("{ kind: escalate, reason: \"Too hard for the fast model.\" }"),
            """
              - match: { model: mock-smart, lastMessage: "Hard task", turn: 0 }
                reply: { toolCalls: [{ name: write_file, input: { path: hard.txt, content: "solved" } }] }
              - match: { model: mock-smart }
                reply: { toolCalls: [{ name: submit_result, input: { text: "Solved." } }] }
            """,
            Self.answer("Hard task", "I could not."), Self.answer("Verification of your result failed", "I could not."),
        ].joined(separator: "\n") + "\n", tiers: "{ orchestrator: smart, mid: fast, worker: fast }")
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Solve the hard task"], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        #expect(result["decisions"]?.arrayValue?.map { $0["kind"] } == ["escalate"])
        let attempts = result["verification"]?.arrayValue?.first?["attempts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(attempts.count == 2)
        let models = try await attempts.asyncMap { try await serve.worker($0)["model"]?.stringValue ?? "" }
        #expect(models == ["fast", "smart"])
        #expect(try await serve.stop() == 0)
    }

    @Test func theDeadlineAndTheBudgetOfAnOrchestrationAreKept() async throws {
        let plan = "{ subtasks: [ { id: slow, role: worker, brief: { task: \"Take a long time\" } } ] }"
        let world = try Self.world([Self.plannerRule(plan), Self.answer("Take a long time", "late", latencyMs: 30_000)])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let timedOut = try await serve.call("orchestrate", ["goal": "Slowly", "limits": ["timeoutSeconds": 1]], timeout: .seconds(30))
        #expect(timedOut["state"] == "failed")
        #expect(timedOut["reason"]?.stringValue?.contains("limits.timeoutSeconds (1.0 s) passed") == true, "\(timedOut)")
        #expect((timedOut["workers"]?.arrayValue ?? []).allSatisfy { $0["state"] != "running" && $0["state"] != "queued" })

        #expect(try await serve.stop() == 0)

        // The planner's one call costs about $0.0026 on the mock: past a $0.002 budget, so
        // no subtask starts (the call in flight is the overshoot).
        let cheap = "{ subtasks: [ { id: quick, role: worker, brief: { task: \"Answer at once\" } } ] }"
        let budgetWorld = try Self.world([Self.plannerRule(cheap), Self.answer("Answer at once", "now")])
        defer { budgetWorld.tearDown() }
        let second = try budgetWorld.serve()
        try await second.initialize(root: budgetWorld.workspace)
        let poor = try await second.call("orchestrate", ["goal": "Cheaply", "limits": ["maxCostUSD": 0.002]], timeout: .seconds(60))
        #expect(poor["state"] == "failed", "\(poor)")
        #expect(poor["usage"]?["costUSD"]?.doubleValue ?? 1 < 0.002 + 0.003, "one call in flight past the budget at most")
        #expect(poor["workers"]?.arrayValue?.map { $0["role"] } == ["planner"])
        let outcome = poor["verification"]?.arrayValue?.first
        #expect(outcome?["status"] == "abandoned")
        #expect(outcome?["reason"]?.stringValue?.contains("limits.maxCostUSD") == true, "\(poor)")
        #expect(poor["decisions"]?.arrayValue?.map { $0["kind"] } == ["abandon"])
        #expect(try await second.stop() == 0)
    }

    @Test func badParamsAreRefusedWithTheField() async throws {
        let world = try Self.world([Self.synthesizerRule])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        for (params, code, field) in [
            (["goal": "  "], -32602, "goal"),
            (["goal": "x", "roles": ["nobody"]], -32012, "roles"),
            (["goal": "x", "roles": ["planner"]], -32012, "roles"),
            (["goal": "x", "roles": []], -32602, "roles"),
            (["goal": "x", "limits": ["maxWorkers": 0]], -32602, "limits.maxWorkers"),
            (["goal": "x", "limits": ["maxReplans": -1]], -32602, "limits.maxReplans"),
            (["goal": "x", "limits": ["timeoutSeconds": 0]], -32602, "limits.timeoutSeconds"),
            (["resume": "o_nothing"], -32602, "resume"),
            ([:], -32602, "goal"),
        ] as [(JSONValue, Int, String)] {
            let answer = try await serve.request("orchestrate", params)
            #expect(answer["error"]?["code"] == .int(Int64(code)), "\(params): \(answer)")
            #expect(answer["error"]?["data"]?["field"] == .string(field), "\(params): \(answer)")
        }
        #expect(try await serve.stop() == 0)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}

