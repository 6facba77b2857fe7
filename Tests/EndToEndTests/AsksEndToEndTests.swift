import BosunJSON
import Foundation
import Testing
import TestSupport

/// Workers that ask (`ask`) over the real binary and the mock provider, whose script plays
/// a worker that asks, then submits once it has an answer (or learns there is none).
@Suite(.serialized) struct AsksEndToEndTests {
    static let script = """
        rules:
          - match: { system: "You ask first", lastMessage: "The answer (from" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "Done, as answered." } }
          - match: { system: "You ask first", lastMessage: "No answer" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "Decided myself." } }
          - match: { system: "You ask first", turn: 0 }
            reply:
              toolCalls:
                - { name: ask, input: { question: "Which database?", options: ["postgres", "sqlite"] } }
        """

    static let roles = "roles:\n  asker: { tools: [ask, list_files], prompt: \"You ask first.\" }\n"

    static func world() throws -> OrchestrationWorld {
        try OrchestrationWorld(mockArguments: ["--tool-steps", "1"], script: script, sessionYAML: roles)
    }

    @Test func answerMethodAnswersAQuestionAndRefusesBadAnswersNamingTheField() async throws {
        let world = try Self.world()
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Pick a database", "role": "asker"])
        let asked = try await serve.workerEvent(kind: "asked", of: worker.id)
        let ask = asked["data"]?["ask"] ?? .null
        let askId = ask["askId"]?.stringValue ?? ""
        #expect(asked["data"]?["to"] == "client")
        #expect(ask["kind"] == "question" && ask["question"] == "Which database?", "\(ask)")
        #expect(ask["options"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["postgres", "sqlite"])

        let waiting = try await serve.worker(worker.id)
        #expect(waiting.state == "waiting", "\(waiting)")
        #expect(waiting["asks"]?.arrayValue?.first?["askId"]?.stringValue == askId)
        let session = try await serve.call("status", [:])
        #expect(session["session"]?["counts"]?["waiting"] == 1, "\(session)")

        try await expectRefusal(serve, ["askId": "a_0000000000000000", "text": "postgres"], code: -32010, field: "askId")
        try await expectRefusal(serve, ["askId": .string(askId), "decision": "allow"], code: -32602, field: "decision")
        try await expectRefusal(serve, ["askId": .string(askId)], code: -32602, field: "text")
        try await expectRefusal(serve, ["askId": .string(askId), "text": "mysql"], code: -32602, field: "text")
        try await expectRefusal(serve, ["askId": .string(askId), "decision": "maybe"], code: -32602, field: "decision")
        #expect(try await serve.worker(worker.id).state == "waiting", "a refused answer leaves the worker waiting")

        let answer = try await serve.call("answer", ["askId": .string(askId), "text": "postgres"])
        #expect(answer["askId"]?.stringValue == askId && answer["workerId"]?.stringValue == worker.id, "\(answer)")
        let done = try await serve.awaitAll([worker.id])
        #expect(done["finished"]?.arrayValue?.first?.state == "succeeded", "\(done)")
        try await expectRefusal(serve, ["askId": .string(askId), "text": "sqlite"], code: -32011, field: "askId")

        let events = try await serve.trace().filter { $0["workerId"]?.stringValue == worker.id }
        let answered = events.first { $0["kind"] == "answered" }
        #expect(answered?["data"]?["answeredBy"] == "client" && answered?["data"]?["text"] == "postgres", "\(events)")
        let result = events.first { $0["kind"] == "tool_result" && $0["data"]?["name"] == "ask" }
        #expect(result?["data"]?["text"]?.stringValue?.contains("postgres") == true, "\(String(describing: result))")
        #expect(try await serve.stop() == 0)
    }

    @Test func aClientThatDeclaredAsksGetsWorkerAskAndItsResultAnswers() async throws {
        let world = try Self.world()
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                          "capabilities": ["bosun": ["asks": true]]])
        let worker = try await serve.spawn(["task": "Pick a database", "role": "asker"])
        let request = try await serve.notification("worker/ask", timeout: .seconds(30))
        let ask = request["params"] ?? .null
        #expect(ask["workerId"]?.stringValue == worker.id && ask["kind"] == "question", "\(request)")
        let id = request["id"] ?? .null
        // An answer that does not fit the question is refused; the ask stays pending.
        serve.send(["jsonrpc": "2.0", "id": id, "result": ["decision": "allow"]])
        try await serve.waitForStderr("was refused")
        #expect(try await serve.worker(worker.id).state == "waiting")

        let askId = ask["askId"] ?? .null
        _ = try await serve.call("answer", ["askId": askId, "text": "sqlite"])
        let done = try await serve.awaitAll([worker.id])
        #expect(done["finished"]?.arrayValue?.first?.state == "succeeded", "\(done)")
        #expect(try await serve.stop() == 0)
    }

    @Test func workerAskResultAloneAnswersTheAsk() async throws {
        let world = try Self.world()
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                          "capabilities": ["bosun": ["asks": true]]])
        let worker = try await serve.spawn(["task": "Pick a database", "role": "asker"])
        let request = try await serve.notification("worker/ask", timeout: .seconds(30))
        serve.send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": ["text": "sqlite"]])
        let done = try await serve.awaitAll([worker.id])
        #expect(done["finished"]?.arrayValue?.first?.state == "succeeded", "\(done)")
        let answered = try await serve.workerEvent(kind: "answered", of: worker.id)
        #expect(answered["data"]?["text"] == "sqlite" && answered["data"]?["answeredBy"] == "client", "\(answered)")
        #expect(try await serve.stop() == 0)
    }

    /// A waiting worker's timeout clock stands still. The server's own clock says when the
    /// timeout has passed: a second worker with the same timeout, started after the ask and
    /// held by the mock, times out. The asker's deadline, had its clock run on, came sooner
    /// (it started earlier), so the asker would have timed out by then too.
    @Test func theTimeoutClockStopsWhileTheWorkerWaits() async throws {
        let timeout = 5
        let world = try OrchestrationWorld(
            mockArguments: ["--tool-steps", "1"],
            script: Self.script + "\n  - match: { system: \"You are held\" }\n    hold: true\n",
            sessionYAML: Self.roles + "  holder: { tools: [list_files], prompt: \"You are held.\" }\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let limits: JSONValue = ["timeoutSeconds": .int(Int64(timeout))]
        let asker = try await serve.spawn(["task": "Pick a database", "role": "asker", "limits": limits])
        let asked = try await serve.workerEvent(kind: "asked", of: asker.id)
        let clock = try await serve.spawn(["task": "Wait for the timeout", "role": "holder", "limits": limits])
        let ended = try await serve.awaitAll([clock.id])["finished"]?.arrayValue?.first ?? .null
        #expect(ended.state == "timed_out", "\(ended)")
        #expect(try await serve.worker(asker.id).state == "waiting")
        _ = try await serve.call("answer", ["askId": asked["data"]?["ask"]?["askId"] ?? .null, "text": "postgres"])
        let done = try await serve.awaitAll([asker.id])
        let finished = done["finished"]?.arrayValue?.first ?? .null
        #expect(finished.state == "succeeded", "\(done)")
        // It waited a whole timeout and more: it was answered after the other worker's timeout ran out.
        #expect((finished["waitedMs"]?.intValue ?? 0) >= timeout * 1000, "\(finished)")
        #expect(try await serve.stop() == 0)
    }

    @Test func anUnansweredAskIsDeniedAtMaxWaitSecondsAndTheWorkerGoesOn() async throws {
        let world = try Self.world()
        defer { world.tearDown() }
        let serve = try world.serve()
        // This client declared asks but never answers the worker/ask it gets.
        try await serve.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                          "capabilities": ["bosun": ["asks": true]]])
        let worker = try await serve.spawn(["task": "Pick a database", "role": "asker", "limits": ["maxWaitSeconds": 1]])
        _ = try await serve.notification("worker/ask", timeout: .seconds(30))
        let answered = try await serve.workerEvent(kind: "answered", of: worker.id)
        #expect(answered["data"]?["decision"] == "deny" && answered["data"]?["answeredBy"] == "timeout", "\(answered)")
        let done = try await serve.awaitAll([worker.id])
        #expect(done["finished"]?.arrayValue?.first?.state == "succeeded", "\(done)")
        let result = try await serve.trace().first {
            $0["workerId"]?.stringValue == worker.id && $0["kind"] == "tool_result" && $0["data"]?["name"] == "ask"
        }
        #expect(result?["data"]?["text"]?.stringValue?.contains("maxWaitSeconds") == true, "\(String(describing: result))")
        #expect(try await serve.stop() == 0)
    }

    @Test func aWaitingWorkerHoldsNoSlotAndTheSessionGoesOn() async throws {
        let world = try Self.world()
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 1])
        let asker = try await serve.spawn(["task": "Pick a database", "role": "asker"])
        let askId = try await serve.workerEvent(kind: "asked", of: asker.id)["data"]?["ask"]?["askId"] ?? .null
        // The only slot is free again: another worker runs to its end while the asker waits.
        let other = try await serve.call("spawn", ["task": "List the files", "wait": true], timeout: .seconds(60))
        #expect(other.state == "succeeded", "\(other)")
        #expect(try await serve.worker(asker.id).state == "waiting")
        let cancelled = try await serve.call("cancel", ["workerId": .string(asker.id)])
        #expect(cancelled["cancelled"] == [.string(asker.id)])
        #expect(try await serve.worker(asker.id).state == "cancelled")
        // Its ask closed with it: a late answer is refused and answers nothing.
        try await expectRefusal(serve, ["askId": askId, "text": "postgres"], code: -32011, field: "askId")
        #expect(try await serve.stop() == 0)
    }

    @Test(arguments: [true, false])
    func aPendingAskSurvivesTheServerAndIsAskedAgainAfterResume(killed: Bool) async throws {
        let world = try Self.world()
        defer { world.tearDown() }
        let first = try world.serve()
        let session = try await first.initialize(root: world.workspace)["session"]?["id"] ?? .null
        let worker = try await first.spawn(["task": "Pick a database", "role": "asker"])
        let askId = try await first.workerEvent(kind: "asked", of: worker.id)["data"]?["ask"]?["askId"] ?? .null
        if killed {
            try await first.killHard()
        } else {
            #expect(try await first.stop() == 0)
        }

        let second = try world.serve()
        try await second.initialize(options: ["session": session], params: ["rootUri": .string("file://\(world.workspace)"),
                                                                             "capabilities": ["bosun": ["asks": true]]])
        let request = try await second.notification("worker/ask", timeout: .seconds(30))
        #expect(request["params"]?["askId"] == askId, "\(request)")
        let waiting = try await second.worker(worker.id)
        #expect(waiting.state == "waiting" && waiting["asks"]?.arrayValue?.first?["askId"] == askId, "\(waiting)")
        second.send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": ["text": "sqlite"]])
        let done = try await second.awaitAll([worker.id])
        let finished = done["finished"]?.arrayValue?.first ?? .null
        #expect(finished.state == "succeeded" && finished["result"]?["text"] == "Done, as answered.", "\(done)")
        let asked = try await second.trace().filter { $0["workerId"]?.stringValue == worker.id && $0["kind"] == "asked" }
        #expect(asked.count == 2 && asked.last?["data"]?["again"] == true, "\(asked)")
        #expect(try await second.stop() == 0)
    }

    @Test func bosunAnswerAnswersFromAnotherProcessThroughTheStore() async throws {
        let world = try Self.world()
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Pick a database", "role": "asker"])
        let askId = try await serve.workerEvent(kind: "asked", of: worker.id)["data"]?["ask"]?["askId"]?.stringValue ?? ""
        let bosun = try BosunProcess.binaryURL().path

        let unknown = try runProcess(bosun, ["answer", "a_0000000000000000", "--text", "postgres", "--db", world.dbPath])
        #expect(unknown.status == 1 && unknown.stderr.contains("a_0000000000000000"), "\(unknown.stderr)")
        let unfitting = try runProcess(bosun, ["answer", askId, "allow", "--db", world.dbPath])
        #expect(unfitting.status == 1 && unfitting.stderr.contains("is a question"), "\(unfitting.stderr)")
        #expect(try await serve.worker(worker.id).state == "waiting")

        let answered = try runProcess(bosun, ["answer", askId, "--text", "postgres", "--db", world.dbPath])
        #expect(answered.status == 0 && answered.stdout == "answered \(askId)\n", "\(answered.stderr)")
        let done = try await serve.awaitAll([worker.id])
        #expect(done["finished"]?.arrayValue?.first?.state == "succeeded", "\(done)")
        let event = try await serve.workerEvent(kind: "answered", of: worker.id)
        #expect(event["data"]?["answeredBy"] == "remote" && event["data"]?["text"] == "postgres", "\(event)")
        let again = try runProcess(bosun, ["answer", askId, "--text", "sqlite", "--db", world.dbPath])
        #expect(again.status == 1 && again.stderr.contains("already answered (by remote)"), "\(again.stderr)")
        #expect(try await serve.stop() == 0)
    }

    static let teamScript = script + """

          - match: { system: "You lead a team", turn: 0 }
            reply:
              toolCalls:
                - { name: spawn_worker, input: { task: "Pick a database", role: "asker" } }
          - match: { system: "You lead a team", turn: 1 }
            reply:
              toolCalls:
                - { name: await_workers, input: {} }
          - match: { system: "You lead a team", turn: 2 }
            reply:
              toolCalls:
                - { name: answer_ask, input: { text: "postgres" } }
          - match: { system: "You lead a team", turn: 3 }
            reply:
              toolCalls:
                - { name: await_workers, input: {} }
          - match: { system: "You lead a team", turn: 4 }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "The team is done." } }
        """

    @Test func aDelegatedWorkersAskGoesToItsParentWhichAnswersIt() async throws {
        let world = try OrchestrationWorld(
            mockArguments: ["--tool-steps", "1"], script: Self.teamScript,
            sessionYAML: Self.roles + "  lead: { permissions: [spawn], prompt: \"You lead a team.\" }\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        // The client could answer asks, but this one goes to the parent worker first.
        try await serve.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                          "capabilities": ["bosun": ["asks": true]]])
        let lead = try await serve.spawn(["task": "Lead the team", "role": "lead"])
        let done = try await serve.awaitAll([lead.id])
        #expect(done["finished"]?.arrayValue?.first?.state == "succeeded", "\(done)")

        let trace = try await serve.trace()
        let child = try #require(trace.first { $0["kind"] == "asked" })
        let childId = child["workerId"]?.stringValue ?? ""
        #expect(child["data"]?["to"] == "parent", "\(child)")
        let answered = trace.first { $0["kind"] == "answered" && $0["workerId"]?.stringValue == childId }
        #expect(answered?["data"]?["answeredBy"]?.stringValue == "parent:\(lead.id)" && answered?["data"]?["text"] == "postgres",
                "\(String(describing: answered))")
        let sawAsk = trace.first {
            $0["workerId"]?.stringValue == lead.id && $0["kind"] == "tool_result" && $0["data"]?["name"] == "await_workers"
        }
        #expect(sawAsk?["data"]?["text"]?.stringValue?.contains(child["data"]?["ask"]?["askId"]?.stringValue ?? "-") == true,
                "the parent's await_workers listed the child's ask: \(String(describing: sawAsk))")
        let childView = try await serve.worker(childId)
        #expect(childView.state == "succeeded" && childView["result"]?["text"] == "Done, as answered.", "\(childView)")
        #expect(!serve.pendingNotifications.contains { $0["method"] == "worker/ask" }, "the client was not asked")
        #expect(try await serve.stop() == 0)
    }

    @Test func aParentThatEndsWithoutAnsweringPassesTheAskOnToTheClient() async throws {
        let script = Self.script + """

              - match: { system: "You lead a team", turn: 0 }
                reply: { toolCalls: [{ name: spawn_worker, input: { task: "Pick a database", role: "asker" } }] }
              - match: { system: "You lead a team", turn: 1 }
                reply: { toolCalls: [{ name: await_workers, input: {} }] }
              - match: { system: "You lead a team", turn: 2 }
                reply: { toolCalls: [{ name: submit_result, input: { text: "Left it to the person." } }] }
            """
        let world = try OrchestrationWorld(mockArguments: ["--tool-steps", "1"], script: script,
                                           sessionYAML: Self.roles + "  lead: { permissions: [spawn], prompt: \"You lead a team.\" }\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                          "capabilities": ["bosun": ["asks": true]]])
        let lead = try await serve.spawn(["task": "Lead the team", "role": "lead"])
        // The lead saw the ask (its await ended on it) and ended without answering.
        let request = try await serve.notification("worker/ask", timeout: .seconds(60))
        #expect(try await serve.worker(lead.id).state == "succeeded")
        let childId = request["params"]?["workerId"]?.stringValue ?? ""
        serve.send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": ["text": "sqlite"]])
        let done = try await serve.awaitAll([childId])
        #expect(done["finished"]?.arrayValue?.first?.state == "succeeded", "\(done)")
        let asked = try await serve.trace().filter { $0["workerId"]?.stringValue == childId && $0["kind"] == "asked" }
        #expect(asked.compactMap { $0["data"]?["to"]?.stringValue } == ["parent", "client"], "\(asked)")
        #expect(try await serve.stop() == 0)
    }

    /// An orchestration of one subtask on the asker role, whose coordinator answers asks
    /// with `coordinatorReply` (YAML flow text).
    static func orchestrationWorld(coordinatorReply: String) throws -> OrchestrationWorld {
        let plan = "{ subtasks: [ { id: pick, role: asker, brief: { task: \"Pick a database\" } } ] }"
        return try OrchestrationWorld(mockArguments: ["--tool-steps", "1"], script: script + """

              - match: { system: "bosun's planner" }
                reply: { toolCalls: [{ name: submit_result, input: \(plan) }] }
              - match: { system: "bosun's coordinator", lastMessage: "Answer the question a subtask's worker asked" }
                reply: { toolCalls: [{ name: submit_result, input: \(coordinatorReply) }] }
            """, sessionYAML: roles)
    }

    @Test func anOrchestrationsCoordinatorAnswersFromTheGoal() async throws {
        let world = try Self.orchestrationWorld(
            coordinatorReply: "{ answerable: true, text: postgres, reason: \"The goal names postgres.\" }")
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Migrate the app to postgres", "verify": false],
                                          timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let trace = try await serve.trace()
        let asked = try #require(trace.first { $0["kind"] == "asked" })
        #expect(asked["data"]?["to"] == "coordinator", "\(asked)")
        let answered = trace.first { $0["kind"] == "answered" }
        #expect(answered?["data"]?["answeredBy"] == "coordinator" && answered?["data"]?["text"] == "postgres",
                "\(String(describing: answered))")
        #expect(try await serve.stop() == 0)
    }

    @Test func anAskTheGoalDoesNotSettleGoesOnToTheClient() async throws {
        let world = try Self.orchestrationWorld(
            coordinatorReply: "{ answerable: false, reason: \"The goal names no database.\" }")
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                          "capabilities": ["bosun": ["asks": true]]])
        let call = serve.sendRequest("orchestrate", ["goal": "Migrate the app", "verify": false])
        let request = try await serve.notification("worker/ask", timeout: .seconds(60))
        serve.send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": ["text": "sqlite"]])
        let result = try await serve.response(id: call, timeout: .seconds(90))["result"] ?? .null
        #expect(result["state"] == "succeeded", "\(result)")
        let trace = try await serve.trace()
        #expect(trace.filter { $0["kind"] == "asked" }.compactMap { $0["data"]?["to"]?.stringValue } == ["coordinator", "client"])
        let answered = trace.first { $0["kind"] == "answered" }
        #expect(answered?["data"]?["answeredBy"] == "client" && answered?["data"]?["text"] == "sqlite", "\(String(describing: answered))")
        #expect(try await serve.stop() == 0)
    }

    private func expectRefusal(_ serve: BosunProcess, _ params: JSONValue, code: Int64, field: String,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let response = try await serve.request("answer", params)
        let error = response["error"] ?? .null
        #expect(error["code"]?.intValue == code, "\(params) → \(response)", sourceLocation: sourceLocation)
        #expect(error["data"]?["field"]?.stringValue == field, "\(params) → \(response)", sourceLocation: sourceLocation)
    }
}

extension BosunProcess {
    /// Waits for the `worker/event` of `kind` about `workerId`, passing over the others.
    func workerEvent(kind: String, of workerId: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while true {
            let event = try await notification("worker/event", timeout: deadline - ContinuousClock.now)["params"] ?? .null
            if event["kind"]?.stringValue == kind && event["workerId"]?.stringValue == workerId { return event }
        }
    }
}
