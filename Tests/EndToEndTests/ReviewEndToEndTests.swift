import BosunJSON
import Foundation
import Testing

/// Writes wait for review, over the real binary: writing workers work in layers, `changes`
/// shows them, `apply` lands them all or nothing, and a `kill -9` loses none of it.
@Suite(.serialized) struct ReviewEndToEndTests {
    /// Two coders edit README.md from the same base; a third fixes code and runs `make test`
    /// on its own edit. The workspace is a plain directory (no git).
    static let script = """
        rules:
          - match: { lastMessage: "exit code: 0" }
            latencyMs: 1500
            reply: { toolCalls: [{ name: submit_result, input: { text: "tested" } }] }
          - match: { lastMessage: "in this worker's layer" }
            reply: { toolCalls: [{ name: submit_result, input: { text: "edited" } }] }
          - match: { lastMessage: "Edit the README as first", turn: 0 }
            reply: { toolCalls: [{ name: write_file, input: { path: README.md, content: "# First\\n" } }] }
          - match: { lastMessage: "Edit the README as second", turn: 0 }
            reply: { toolCalls: [{ name: write_file, input: { path: README.md, content: "# Second\\n" } }] }
          - match: { lastMessage: "Fix the code and run the tests", turn: 0 }
            reply:
              toolCalls:
                - { name: write_file, input: { path: src/main.swift, content: "let x = fixed\\n" } }
                - { name: run_command, input: { command: [make, test] } }
          - match: { lastMessage: "Read the README", turn: 0 }
            reply: { toolCalls: [{ name: submit_result, input: { text: "read" } }] }
          - match: { lastMessage: "Set up the local settings", turn: 0 }
            reply:
              toolCalls:
                - { name: write_file, input: { path: settings.local, content: "KEY=1\\n" } }
                - { name: write_file, input: { path: src/main.swift, content: "let x = 2\\n" } }
        """

    static func errorCode(_ response: JSONValue) -> Int64? {
        response["error"]?["code"]?.intValue
    }

    @Test func theSecondOverlappingApplyIsAConflictAndTheWorkspaceKeepsTheFirst() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script)
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let first = try await serve.spawn(["task": "Edit the README as first", "role": "coder"])
        let second = try await serve.spawn(["task": "Edit the README as second", "role": "coder"])
        let reader = try await serve.spawn(["task": "Read the README", "role": "worker"])
        let ids = [first, second, reader].compactMap { $0["id"]?.stringValue }
        let finished = try await serve.awaitAll(ids)["finished"]?.arrayValue ?? []
        #expect(finished.count == 3 && finished.allSatisfy { $0["state"] == "succeeded" }, "\(finished)")
        let readme = world.workspace + "/README.md"
        #expect(try String(contentsOfFile: readme, encoding: .utf8) == "# Demo\n", "a worker wrote the workspace before apply")

        let firstId = ids[0], secondId = ids[1]
        let shown = try await serve.worker(firstId)
        #expect(shown["changes"] == ["state": "pending", "files": ["README.md"]], "\(shown)")
        let events = serve.workerEvents(kind: "changes").filter { $0["workerId"]?.stringValue == firstId }
        #expect(events.first?["data"] == ["state": "pending", "files": ["README.md"]], "\(events)")

        let changes = try await serve.call("changes", ["workerId": .string(firstId)])
        #expect(changes["files"] == [["path": "README.md", "status": "modified", "additions": 1, "deletions": 1, "workerId": .string(firstId)]])
        let diff = changes["diff"]?.stringValue ?? ""
        #expect(diff.contains("diff --git a/README.md b/README.md") && diff.contains("-# Demo\n+# First"), "\(diff)")
        #expect(changes["base"]?.arrayValue?.first?["workspace"]?.stringValue == world.workspace)

        let applied = try await serve.call("apply", ["workerId": .string(firstId)])
        #expect(applied == ["applied": ["README.md"], "conflicts": [], "state": "applied"])
        #expect(try String(contentsOfFile: readme, encoding: .utf8) == "# First\n")
        #expect(try await serve.worker(firstId)["changes"]?["state"] == "applied")

        let conflict = try await serve.call("apply", ["workerId": .string(secondId)])
        #expect(conflict["state"] == "conflicted" && conflict["applied"] == [], "\(conflict)")
        #expect(conflict["conflicts"]?.arrayValue?.first?["path"] == "README.md")
        #expect(conflict["conflicts"]?.arrayValue?.first?["reason"]?.stringValue?.contains("overlap") == true, "\(conflict)")
        #expect(try String(contentsOfFile: readme, encoding: .utf8) == "# First\n", "the conflicting apply wrote")

        // Bad input: each a clear error with its code, nothing written.
        #expect(Self.errorCode(try await serve.request("apply", ["workerId": .string(firstId)])) == -32011)
        #expect(Self.errorCode(try await serve.request("apply", ["workerId": "w_nope"])) == -32010)
        #expect(Self.errorCode(try await serve.request("apply", [:])) == -32602)
        let noOrchestration = try await serve.request("changes", ["orchestrationId": "o_nope"])
        #expect(Self.errorCode(noOrchestration) == -32010)
        #expect(noOrchestration["error"]?["message"]?.stringValue?.hasPrefix("There is no orchestration o_nope") == true, "\(noOrchestration)")
        #expect(noOrchestration["error"]?["data"]?["field"] == "orchestrationId")
        let readerApply = try await serve.request("apply", ["workerId": .string(ids[2])])
        #expect(Self.errorCode(readerApply) == -32011)
        #expect(readerApply["error"]?["message"]?.stringValue?.contains("no changes to review") == true, "\(readerApply)")
        #expect(try String(contentsOfFile: readme, encoding: .utf8) == "# First\n")

        let discarded = try await serve.call("discard", ["workerId": .string(secondId)])
        #expect(discarded == ["discarded": ["README.md"]])
        #expect(try await serve.worker(secondId)["changes"]?["state"] == "discarded")
        #expect(try String(contentsOfFile: readme, encoding: .utf8) == "# First\n")
        #expect(try await serve.stop() == 0)
    }

    /// A file `.gitignore` ignores is listed apart, stays behind on a plain `apply`, and lands
    /// when `paths` names it; a path the worker did not change is -32602 naming `paths`.
    @Test func ignoredFilesAreListedAndLandOnlyWhenNamed() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script)
        defer { world.tearDown() }
        try "*.local\n".write(toFile: world.workspace + "/.gitignore", atomically: true, encoding: .utf8)
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Set up the local settings", "role": "coder"])
        let id = try #require(worker["id"]?.stringValue)
        _ = try await serve.awaitAll([id])

        let changes = try await serve.call("changes", ["workerId": .string(id)])
        #expect(changes["files"]?.arrayValue?.map { $0["path"] } == ["src/main.swift"])
        #expect(changes["ignored"] == [["path": "settings.local", "status": "added", "workerId": .string(id)]], "\(changes)")
        #expect(changes["diff"]?.stringValue?.contains("settings.local") == false)
        // The worker's view and its `changes` events agree with `changes`: the ignored file
        // is counted apart, not among `files`.
        let shown = try await serve.worker(id)
        #expect(shown["changes"] == ["state": "pending", "files": ["src/main.swift"], "ignoredCount": 1], "\(shown)")
        let events = serve.workerEvents(kind: "changes").filter { $0["workerId"]?.stringValue == id }
        #expect(events.last?["data"] == ["state": "pending", "files": ["src/main.swift"], "ignoredCount": 1], "\(events)")
        #expect(events.allSatisfy { $0["data"]?["files"]?.arrayValue?.contains("settings.local") == false }, "\(events)")

        let wrongPath = try await serve.request("apply", ["workerId": .string(id), "paths": ["main.swift"]])
        #expect(Self.errorCode(wrongPath) == -32602 && wrongPath["error"]?["data"]?["field"] == "paths", "\(wrongPath)")
        #expect(wrongPath["error"]?["message"]?.stringValue?.contains("it changed settings.local, src/main.swift") == true, "\(wrongPath)")

        let applied = try await serve.call("apply", ["workerId": .string(id)])
        #expect(applied["applied"] == ["src/main.swift"])
        #expect(!FileManager.default.fileExists(atPath: world.workspace + "/settings.local"))
        #expect(try await serve.stop() == 0)
    }

    /// A subtask that passed but changed only files `.gitignore` ignores: `apply: verified`
    /// cannot apply them unasked, so they wait for review and a decision says why (they were
    /// once dropped from the result without a word).
    @Test func changesThatCannotBeAppliedWaitAndADecisionSaysWhy() async throws {
        let plan = """
            { subtasks: [ { id: x, role: coder, brief: { task: "Write the local settings" }, checks: [{ kind: files, exist: [settings.local] }] } ] }
            """
        let world = try OrchestrateEndToEndTests.world([
            OrchestrateEndToEndTests.plannerRule(plan), OrchestrateEndToEndTests.synthesizerRule,
            """
              - match: { lastMessage: "Write the local settings", turn: 0 }
                reply: { toolCalls: [{ name: write_file, input: { path: settings.local, content: "KEY=1" } }] }
              - match: { system: "You change code" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "Wrote it." } }] }
            """,
        ])
        defer { world.tearDown() }
        try "*.local\n".write(toFile: world.workspace + "/.gitignore", atomically: true, encoding: .utf8)
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Set up the local settings"], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let worker = try #require(result["verification"]?.arrayValue?.first?["attempts"]?.arrayValue?.last?.stringValue, "\(result)")
        #expect(result["changes"]?["pending"] == [.string(worker)], "\(result)")
        let conflict = result["decisions"]?.arrayValue?.first { $0["kind"] == "conflict" }
        #expect(conflict?["reason"]?.stringValue?.contains(".gitignore ignores (settings.local)") == true, "\(result)")
        #expect(!FileManager.default.fileExists(atPath: world.workspace + "/settings.local"))
        #expect(try await serve.stop() == 0)
    }

    /// A subtask whose first coder failed its checks runs again on a substitute: the first
    /// coder's layer does not stay pending forever. With `apply: manual` both wait; applying
    /// the orchestration's changes discards the superseded attempt's, and the result names it.
    @Test func aSubstitutedWorkersChangesGoWithItsSubstitutes() async throws {
        let plan = """
            { subtasks: [ { id: x, role: coder, brief: { task: "Produce done.txt" }, checks: [{ kind: files, exist: [done.txt] }] } ] }
            """
        let world = try OrchestrateEndToEndTests.world([
            OrchestrateEndToEndTests.plannerRule(plan), OrchestrateEndToEndTests.synthesizerRule,
            OrchestrateEndToEndTests.coordinatorRule("""
                { kind: substitute, reason: "It wrote the wrong file.", brief: { task: "Write done.txt with write_file" } }
                """),
            """
              - match: { lastMessage: "Produce done.txt", turn: 0 }
                reply: { toolCalls: [{ name: write_file, input: { path: wrong.txt, content: "wrong" } }] }
              - match: { lastMessage: "Write done.txt with write_file", turn: 0 }
                reply: { toolCalls: [{ name: write_file, input: { path: done.txt, content: "done" } }] }
              - match: { system: "You change code" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "Wrote it." } }] }
            """,
        ])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let result = try await serve.call("orchestrate", ["goal": "Leave a done.txt", "apply": "manual"], timeout: .seconds(90))
        #expect(result["state"] == "succeeded", "\(result)")
        let attempts = result["verification"]?.arrayValue?.first?["attempts"]?.arrayValue?.compactMap(\.stringValue) ?? []
        try #require(attempts.count == 2, "\(result)")
        let (first, last) = (attempts[0], attempts[1])
        #expect(result["changes"]?["pending"] == [.string(last)], "\(result)")
        #expect(result["changes"]?["superseded"] == [.string(first)], "\(result)")
        #expect(try await serve.worker(first)["changes"]?["state"] == "pending")

        let orchestration = try #require(result["id"])
        let applied = try await serve.call("apply", ["orchestrationId": orchestration])
        #expect(applied["applied"] == ["done.txt"], "\(applied)")
        #expect(try await serve.worker(last)["changes"]?["state"] == "applied")
        #expect(try await serve.worker(first)["changes"]?["state"] == "discarded", "the superseded attempt still waits")
        let events = serve.workerEvents(kind: "changes").filter { $0["workerId"]?.stringValue == first }
        #expect(events.last?["data"]?["state"] == "discarded", "\(events)")
        #expect(FileManager.default.fileExists(atPath: world.workspace + "/done.txt"))
        #expect(!FileManager.default.fileExists(atPath: world.workspace + "/wrong.txt"))
        #expect(try await serve.stop() == 0)
    }

    /// The worker runs `make test` on its own edit, sees it pass, and the workspace sees
    /// nothing; bosun is killed mid-worker, and the resumed session still shows and applies
    /// exactly those changes.
    @Test func aWorkerTestsItsEditInItsLayerAndAKillLosesNone() async throws {
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script)
        defer { world.tearDown() }
        try "test:\n\tgrep -q fixed src/main.swift\n\techo PASS > report.txt\n".write(toFile: world.workspace + "/Makefile", atomically: true, encoding: .utf8)
        let serve = try world.serve()
        let session = try await serve.initialize(root: world.workspace)["session"]?["id"]?.stringValue
        let worker = try await serve.spawn(["task": "Fix the code and run the tests", "role": "coder"])
        let id = try #require(worker["id"]?.stringValue)
        // Wait for the command's result; the worker then takes 1.5 s to submit.
        let test = try #require(await serve.firstWorkerEvent(kind: "tool_result", of: id) { $0["data"]?["name"] == "run_command" })
        #expect(test["data"]?["isError"] == false, "\(test)")
        #expect(try String(contentsOfFile: world.workspace + "/src/main.swift", encoding: .utf8) == "let x = 1\n")
        #expect(!FileManager.default.fileExists(atPath: world.workspace + "/report.txt"))
        try await serve.killHard()

        let resumed = try world.serve()
        try await resumed.initialize(root: world.workspace, options: ["session": .string(session ?? "")])
        let shown = try await resumed.worker(id)
        #expect(shown["state"] == "interrupted")
        #expect(shown["changes"] == ["state": "pending", "files": ["report.txt", "src/main.swift"]], "\(shown)")
        let changes = try await resumed.call("changes", ["workerId": .string(id)])
        #expect(changes["files"]?.arrayValue?.map { $0["path"] } == ["report.txt", "src/main.swift"])
        #expect(changes["files"]?.arrayValue?.map { $0["status"] } == ["added", "modified"])
        let applied = try await resumed.call("apply", ["workerId": .string(id)])
        #expect(applied["applied"] == ["report.txt", "src/main.swift"])
        #expect(try String(contentsOfFile: world.workspace + "/src/main.swift", encoding: .utf8) == "let x = fixed\n")
        #expect(try String(contentsOfFile: world.workspace + "/report.txt", encoding: .utf8) == "PASS\n")
        #expect(try await resumed.stop() == 0)
        // Layers live beside the trace store, never in the workspace.
        #expect(FileManager.default.fileExists(atPath: world.directory + "/layers/" + id + "/layer.json"))
        #expect(!FileManager.default.fileExists(atPath: world.workspace + "/layers"))
    }
}
