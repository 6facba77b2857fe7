import BosunJSON
import Foundation
import Testing
import TestSupport

/// Approval rules over the real binary: the mock provider plays workers that try calls the
/// rules deny, and the denial reaches them as a tool result while they go on.
@Suite(.serialized) struct ApprovalEndToEndTests {
    /// Each role's prompt names it, so the script can tell its workers apart by `system`.
    static let script = """
        rules:
          - match: { system: "RELEASER", lastMessage: "exit code: 0" }
            times: 1
            reply:
              toolCalls:
                - { name: run_command, input: { command: [echo, twice] } }
          - match: { system: "RELEASER", lastMessage: "exit code: 0" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "ran twice unasked" } }
          - match: { system: "RELEASER", lastMessage: "was not approved" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "asked the second time" } }
          - match: { system: "RELEASER", lastMessage: "runs once without asking" }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [echo, twice] } }
          - match: { system: "RELEASER", turn: 0 }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [echo, twice] } }
          - match: { lastMessage: "was denied by the" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "denial seen" } }
          - match: { system: "PUBLISHER", lastMessage: "exit code: 0" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "published" } }
          - match: { system: "PUBLISHER", lastMessage: "Make the call again" }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [echo, one] } }
          - match: { system: "PUBLISHER", lastMessage: "was not approved" }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [echo, second] } }
          - match: { system: "PUBLISHER-AGAIN", turn: 0 }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [echo, second] } }
          - match: { system: "PUBLISHER", turn: 0 }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [echo, one] } }
          - match: { system: "JANITOR", turn: 0 }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [rm, -rf, build] } }
          - match: { system: "LISTER", turn: 0 }
            reply:
              toolCalls:
                - { name: run_command, input: { command: [/bin/ls, -la] } }
          - match: { system: "LEAD", lastMessage: "finished" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "lead done" } }
          - match: { system: "LEAD", lastMessage: "workerId" }
            reply:
              toolCalls:
                - { name: await_workers, input: {} }
          - match: { system: "LEAD", turn: 0 }
            reply:
              toolCalls:
                - { name: spawn_worker, input: { task: "Clean the build directory", role: helper } }
        """

    static let roles = """
        roles:
          janitor:
            prompt: JANITOR
            tools: [run_command]
            permissions: [exec]
            approval: { deny: [run_command(rm *)] }
          lister:
            prompt: LISTER
            tools: [run_command]
            permissions: [exec]
          lead:
            prompt: LEAD
            tools: []
            permissions: [spawn]
            approval: { deny: [run_command(rm *)] }
          helper:
            prompt: JANITOR
            tools: [run_command]
            permissions: [exec]
          publisher:
            prompt: PUBLISHER
            tools: [run_command]
            permissions: [exec]
            approval: { ask: [run_command] }
          republisher:
            prompt: PUBLISHER-AGAIN
            tools: [run_command]
            permissions: [exec]
            approval: { ask: [run_command] }
          releaser:
            prompt: RELEASER
            tools: [run_command]
            permissions: [exec]
            approval: { ask: [run_command] }
        """

    /// The `tool_result` event of `workerId`'s first call of `tool`.
    private func toolResult(of workerId: String, _ tool: String, in trace: [JSONValue]) -> JSONValue? {
        trace.first { $0["workerId"]?.stringValue == workerId && $0["kind"] == "tool_result" && $0["data"]?["name"]?.stringValue == tool }
    }

    @Test func aDeniedCallIsAToolResultNamingTheRuleAndTheWorkerGoesOn() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: Self.roles)
        defer { world.tearDown() }
        try FileManager.default.createDirectory(atPath: world.workspace + "/build", withIntermediateDirectories: true)
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)

        // `roles` shows each role's rules.
        let roles = try await serve.call("roles")["roles"]?.arrayValue ?? []
        #expect(roles.first { $0["name"] == "janitor" }?["approval"] == ["deny": ["run_command(rm *)"]], "\(roles)")
        #expect(roles.first { $0["name"] == "lister" }?["approval"] == nil)

        // The role's own rule.
        let janitor = try await serve.spawn(["task": "Clean the build directory", "role": "janitor", "wait": true])
        #expect(janitor["state"] == "succeeded", "\(janitor)")
        #expect(janitor["result"]?["text"] == "denial seen")
        let trace = try await serve.trace()
        let denial = try #require(toolResult(of: janitor["id"]?.stringValue ?? "", "run_command", in: trace))
        #expect(denial["data"]?["isError"] == true)
        let text = denial["data"]?["text"]?.stringValue ?? ""
        #expect(text.contains("run_command(rm -rf build) was denied by the deny rule run_command(rm *) of role janitor"), "\(text)")
        #expect(denial["data"]?["approval"] == ["decision": "deny", "rule": "run_command(rm *)", "origin": "role janitor"])
        #expect(FileManager.default.fileExists(atPath: world.workspace + "/build"))

        // A spawn narrows a role that has no rules; the program given by path is still `ls`.
        let lister = try await serve.spawn(["task": "List the workspace", "role": "lister", "wait": true,
                                            "approval": ["deny": ["run_command(ls *)"]]])
        #expect(lister["result"]?["text"] == "denial seen", "\(lister)")
        let listed = toolResult(of: lister["id"]?.stringValue ?? "", "run_command", in: try await serve.trace())
        #expect(listed?["data"]?["approval"]?["origin"] == "spawn params", "\(String(describing: listed))")
        #expect(listed?["data"]?["approval"]?["rule"] == "run_command(ls *)")

        // A child of a delegating worker inherits its parent's rules: its own role has none.
        let lead = try await serve.spawn(["task": "Have the build directory cleaned", "role": "lead", "wait": true])
        #expect(lead["result"]?["text"] == "lead done", "\(lead)")
        let all = try await serve.trace()
        let child = try #require(all.first { $0["kind"] == "queued" && $0["workerId"] != lead["id"] && $0["workerId"] != janitor["id"]
                && $0["workerId"] != lister["id"] }?["workerId"]?.stringValue)
        let inherited = toolResult(of: child, "run_command", in: all)
        #expect(inherited?["data"]?["approval"]?["origin"] == "role lead", "\(String(describing: inherited))")
        #expect(FileManager.default.fileExists(atPath: world.workspace + "/build"))
        #expect(try await serve.stop() == 0)
    }

    @Test func anAskRuleAsksTheClientWhichDeniesThenAllowsAlways() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: Self.roles)
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                          "capabilities": ["bosun": ["asks": true]]])
        let worker = try await serve.spawn(["task": "Publish the package", "role": "publisher"])
        let workerId = worker["id"]?.stringValue ?? ""

        // The first call is asked with worker/ask, and the client's result denies it.
        let first = try await serve.notification("worker/ask", timeout: .seconds(30))
        #expect(first["params"]?["kind"] == "permission" && first["params"]?["tool"] == "run_command", "\(first)")
        #expect(first["params"]?["input"]?["command"] == ["echo", "one"], "\(first)")
        #expect(first["params"]?["workerId"]?.stringValue == workerId)
        serve.send(["jsonrpc": "2.0", "id": first["id"] ?? .null, "result": ["decision": "deny", "text": "not that one"]])

        // The worker goes on and tries another call; this one is answered with `answer`.
        let second = try await serve.notification("worker/ask", timeout: .seconds(30))
        #expect(second["params"]?["input"]?["command"] == ["echo", "second"], "\(second)")
        serve.send(["jsonrpc": "2.0", "id": second["id"] ?? .null, "error": ["code": -32000, "message": "the person is away"]])
        let askId = second["params"]?["askId"] ?? .null
        _ = try await serve.call("answer", ["askId": askId, "decision": "allow_always"])
        let done = try await serve.awaitAll([workerId])
        #expect(done["finished"]?.arrayValue?.first?["result"]?["text"] == "published", "\(done)")

        let results = try await serve.trace().filter { $0["workerId"]?.stringValue == workerId && $0["kind"] == "tool_result" }
        #expect(results.count == 2, "\(results)")
        let denied = results.first?["data"]
        #expect(denied?["isError"] == true)
        #expect(denied?["text"]?.stringValue?.contains("run_command(echo one) was not approved") == true, "\(String(describing: denied))")
        #expect(denied?["text"]?.stringValue?.contains("not that one") == true)
        #expect(denied?["approval"] == ["decision": "ask", "rule": "run_command", "origin": "role publisher", "answer": "deny by client"])
        let allowed = results.last?["data"]
        #expect(allowed?["isError"] == false && allowed?["text"]?.stringValue?.contains("exit code: 0") == true, "\(String(describing: allowed))")
        #expect(allowed?["approval"]?["answer"] == "allow_always by client")

        // allow_always: the same call is not asked again in this session, by another worker too.
        let again = try await serve.spawn(["task": "Publish the package again", "role": "republisher", "wait": true])
        #expect(again["result"]?["text"] == "published", "\(again)")
        #expect(serve.pendingNotifications.filter { $0["method"] == "worker/ask" }.isEmpty, "asked again")
        let repeated = try await serve.trace().first { $0["workerId"] == again["id"] && $0["kind"] == "tool_result" }
        #expect(repeated?["data"]?["approval"]?["answer"] == "allow_always, earlier in this session", "\(String(describing: repeated))")
        #expect(try await serve.stop() == 0)
    }

    @Test func anAllowAlwaysAnswerAfterKillAndResumeLetsTheCallRunUnasked() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: Self.roles)
        defer { world.tearDown() }
        let first = try world.serve()
        let session = try await first.initialize(root: world.workspace)["session"]?["id"] ?? .null
        let worker = try await first.spawn(["task": "Publish the package", "role": "publisher"])
        let workerId = worker["id"]?.stringValue ?? ""
        _ = try await first.workerEvent(kind: "asked", of: workerId)
        try await first.killHard()

        let second = try world.serve()
        try await second.initialize(options: ["session": session], params: ["rootUri": .string("file://\(world.workspace)"),
                                                                             "capabilities": ["bosun": ["asks": true]]])
        let request = try await second.notification("worker/ask", timeout: .seconds(30))
        #expect(request["params"]?["input"]?["command"] == ["echo", "one"], "\(request)")
        second.send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": ["decision": "allow_always"]])
        // Told to make the call again, the worker makes it, and it runs without a second ask.
        let done = try await second.awaitAll([workerId])
        #expect(done["finished"]?.arrayValue?.first?["result"]?["text"] == "published", "\(done)")
        #expect(second.pendingNotifications.filter { $0["method"] == "worker/ask" }.isEmpty, "asked again")
        let ran = try await second.trace().last { $0["workerId"]?.stringValue == workerId && $0["kind"] == "tool_result" }
        #expect(ran?["data"]?["approval"]?["answer"] == "allow_always, earlier in this session", "\(String(describing: ran))")
        #expect(try await second.stop() == 0)
    }

    /// A plain `allow` of an ask pending across a `kill -9`: the call did not run, the resumed
    /// worker makes it again, and it runs without a second ask; the same call once more is
    /// asked again (the answer allowed one call, not a rule).
    @Test func aPlainAllowAnswerAfterKillNineLetsTheSameCallRunOnceUnasked() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: Self.roles)
        defer { world.tearDown() }
        let first = try world.serve()
        let session = try await first.initialize(root: world.workspace)["session"]?["id"] ?? .null
        let worker = try await first.spawn(["task": "Release the package", "role": "releaser"])
        let workerId = try #require(worker["id"]?.stringValue)
        _ = try await first.workerEvent(kind: "asked", of: workerId)
        try await first.killHard()

        let second = try world.serve()
        try await second.initialize(options: ["session": session], params: ["rootUri": .string("file://\(world.workspace)"),
                                                                             "capabilities": ["bosun": ["asks": true]]])
        let again = try await second.notification("worker/ask", timeout: .seconds(30))
        #expect(again["params"]?["input"]?["command"] == ["echo", "twice"], "\(again)")
        second.send(["jsonrpc": "2.0", "id": again["id"] ?? .null, "result": ["decision": "allow"]])
        // The call it makes again runs; the same call after it is a new ask.
        let next = try await second.notification("worker/ask", timeout: .seconds(30))
        #expect(next["params"]?["input"]?["command"] == ["echo", "twice"], "\(next)")
        #expect(next["params"]?["askId"] != again["params"]?["askId"], "\(next)")
        second.send(["jsonrpc": "2.0", "id": next["id"] ?? .null, "result": ["decision": "deny"]])
        let done = try await second.awaitAll([workerId])
        #expect(done["finished"]?.arrayValue?.first?["result"]?["text"] == "asked the second time", "\(done)")

        let results = try await second.trace().filter {
            $0["workerId"]?.stringValue == workerId && $0["kind"] == "tool_result" && $0["data"]?["name"] == "run_command"
        }
        let answers = results.map { $0["data"]?["approval"]?["answer"]?.stringValue ?? "" }
        #expect(answers == ["allow by client, answered after a restart", "deny by client"], "\(results)")
        #expect(results.first?["data"]?["isError"] == false && results.first?["data"]?["text"]?.stringValue?.contains("twice") == true,
                "\(results)")
        #expect(try await second.stop() == 0)
    }

    @Test func anAllowAlwaysRuleOutlivesKillNineAndANewWorkerOfTheResumedSessionRunsTheCallUnasked() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: Self.roles)
        defer { world.tearDown() }
        let asks: JSONValue = ["bosun": ["asks": true]]
        let first = try world.serve()
        let session = try await first.initialize(options: [:], params: ["rootUri": .string("file://\(world.workspace)"),
                                                                        "capabilities": asks])["session"]?["id"] ?? .null
        let worker = try await first.spawn(["task": "Publish the package", "role": "publisher"])
        let request = try await first.notification("worker/ask", timeout: .seconds(30))
        #expect(request["params"]?["input"]?["command"] == ["echo", "one"], "\(request)")
        first.send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": ["decision": "allow_always"]])
        let done = try await first.awaitAll([worker["id"]?.stringValue ?? ""])
        #expect(done["finished"]?.arrayValue?.first?["result"]?["text"] == "published", "\(done)")
        try await first.killHard()

        let second = try world.serve()
        try await second.initialize(options: ["session": session], params: ["rootUri": .string("file://\(world.workspace)"),
                                                                             "capabilities": asks])
        // Were the rule forgotten, this call would be asked, nobody would answer, and after
        // maxWaitSeconds the worker would be denied and never publish.
        let again = try await second.spawn(["task": "Publish the package once more", "role": "publisher", "wait": true,
                                            "limits": ["maxWaitSeconds": 2, "maxSteps": 4]])
        #expect(again["result"]?["text"] == "published", "\(again)")
        #expect(second.pendingNotifications.filter { $0["method"] == "worker/ask" }.isEmpty, "asked again")
        let ran = try await second.trace().first { $0["workerId"] == again["id"] && $0["kind"] == "tool_result" }
        #expect(ran?["data"]?["approval"]?["answer"] == "allow_always, earlier in this session", "\(String(describing: ran))")
        #expect(try await second.stop() == 0)
    }

    @Test func anAskNobodyAnswersIsDeniedAtMaxWaitSecondsAndTheWorkerGoesOn() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: Self.roles)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        // This client is not sent worker/ask and answers nothing: each ask waits maxWaitSeconds, then is denied.
        let worker = try await serve.spawn(["task": "Publish the package", "role": "publisher", "wait": true,
                                            "limits": ["maxWaitSeconds": 1]])
        let results = try await serve.trace().filter { $0["workerId"] == worker["id"] && $0["kind"] == "tool_result" }
        #expect(results.first?["data"]?["isError"] == true, "\(results)")
        #expect(results.first?["data"]?["approval"]?["answer"]?.stringValue?.hasPrefix("deny by") == true, "\(results)")
        #expect(try await serve.stop() == 0)
    }

    @Test func orchestrateNarrowsTheRulesOfEveryWorkerItStarts() async throws {
        let plan = "{ subtasks: [ { id: list, role: lister, brief: { task: \"List the workspace\" } } ] }"
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script + """

              - match: { system: "bosun's planner" }
                reply: { toolCalls: [{ name: submit_result, input: \(plan) }] }
            """, sessionYAML: Self.roles)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "List the workspace", "verify": false,
                                                          "approval": ["deny": ["run_command(ls *)"]]], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let orchestration = result["id"]?.stringValue ?? ""
        let denial = try await serve.trace().first { $0["kind"] == "tool_result" && $0["data"]?["name"] == "run_command" }
        #expect(denial?["data"]?["isError"] == true, "\(String(describing: denial))")
        #expect(denial?["data"]?["approval"]?["origin"]?.stringValue == "orchestration \(orchestration)", "\(String(describing: denial))")
        #expect(try await serve.stop() == 0)
    }

    @Test func aSpawnWithAPatternThatCannotBeUsedIsRefusedNamingTheField() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: Self.roles)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let refused = try await serve.request("spawn", ["task": "List the workspace", "role": "lister",
                                                        "approval": ["ask": ["run_command"], "deny": ["Bash(rm *)"]]])
        #expect(refused["error"]?["code"] == -32602, "\(refused)")
        #expect(refused["error"]?["data"]?["field"] == "approval.deny[0]", "\(refused)")
        #expect(refused["error"]?["message"]?.stringValue?.contains("bosun's tool is run_command") == true, "\(refused)")
        let badDefault = try await serve.request("orchestrate", ["goal": "List the workspace", "approval": ["default": "maybe"]])
        #expect(badDefault["error"]?["data"]?["field"] == "approval.default", "\(badDefault)")
        #expect(try await serve.stop() == 0)
    }

    @Test func configCheckListsRulesInPrecedenceAndExplainsACall() throws {
        let scratch = TemporaryDirectory(prefix: "bosun-approval-cli")
        defer { scratch.remove() }
        let directory = scratch.path
        try FileManager.default.createDirectory(atPath: directory + "/ws/src", withIntermediateDirectories: true)
        let config = directory + "/config.yaml"
        try """
            roles:
              releaser:
                tools: [run_command, write_file]
                permissions: [exec, write]
                approval:
                  allow: [write_file(src/**)]
                  ask: [run_command(npm publish *)]
                  deny: [run_command(rm *), write_file(/.git/**)]
                  default: ask
            """.write(toFile: config, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = directory + "/xdg"
        environment.removeValue(forKey: "BOSUN_CONFIG")
        let check = { (arguments: [String]) in
            try runProcess(BosunBinary.path, ["config", "check", "--config", config, "--workspace", directory + "/ws"] + arguments,
                           environment: environment)
        }

        let listed = try check([])
        #expect(listed.status == 0, "\(listed.stderr)")
        let releaser = listed.stdout.components(separatedBy: "  releaser:").last ?? ""
        let order = ["deny: [run_command(rm *), write_file(/.git/**)]", "ask: [run_command(npm publish *)]",
                     "allow: [write_file(src/**)]", "default: ask"].map { releaser.range(of: $0)?.lowerBound }
        #expect(order.allSatisfy { $0 != nil } && order == order.sorted { $0! < $1! }, "\(releaser)")

        let explained = try check(["--explain", "write_file(src/../.git/config)", "--role", "releaser"])
        #expect(explained.status == 0, "\(explained.stderr)")
        #expect(explained.stdout.contains("releaser: deny: deny rule write_file(/.git/**) of role releaser"), "\(explained.stdout)")
        let script = try check(["--explain", "run_command(sh -c 'make && npm publish')", "--role", "releaser"])
        #expect(script.stdout.contains("releaser: ask: ask rule run_command(npm publish *) of role releaser"), "\(script.stdout)")
        let unmatched = try check(["--explain", "run_command(make)", "--role", "releaser"])
        #expect(unmatched.stdout.contains("releaser: ask: default of role releaser (ask: no rule matched)"), "\(unmatched.stdout)")

        try """
            roles:
              releaser:
                tools: [run_command]
                permissions: [exec]
                approval:
                  deny: [run_command(npm test | tee log)]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try check([])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(config):6: roles.releaser.approval.deny[0]: role releaser: deny pattern \"run_command(npm test | tee log)\""),
                "\(bad.stderr)")
    }
}
