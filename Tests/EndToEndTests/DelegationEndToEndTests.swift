import BosunJSON
import Foundation
import Testing

/// Workers that spawn workers (`spawn_worker`, `await_workers`) over the real binary and the
/// mock provider, whose script plays the delegating parents.
@Suite(.serialized) struct DelegationEndToEndTests {
    static let leadScript = """
        rules:
          - match: { system: "You lead a team", turn: 0 }
            reply:
              toolCalls:
                - { name: spawn_worker, input: { task: "List the files for the lead" } }
                - { name: spawn_worker, input: { task: "List the files again for the lead" } }
          - match: { system: "You lead a team", turn: 1 }
            reply:
              toolCalls:
                - { name: await_workers, input: {} }
          - match: { system: "You lead a team", turn: 2 }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "The team is done." } }
        """

    @Test func fiveDelegatingParentsAtCapFiveFinishWithoutEverRunningMoreThanFive() async throws {
        let world = try OrchestrationWorld(
            mockArguments: ["--latency-ms", "100", "--tool-steps", "1"], script: Self.leadScript,
            sessionYAML: "roles:\n  lead: { permissions: [spawn], prompt: \"You lead a team.\" }\n")
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 5])
        var parents: [String] = []
        for index in 0..<5 {
            parents.append(try await serve.spawn(["task": .string("Lead team \(index)"), "role": "lead"]).id)
        }
        let done = try await serve.awaitAll(parents, timeout: 60)
        let finished = done["finished"]?.arrayValue ?? []
        #expect(finished.count == 5)
        #expect(finished.allSatisfy { $0.state == "succeeded" }, "\(finished)")

        let status = try await serve.call("status", [:])
        let workers = status["workers"]?.arrayValue ?? []
        let children = workers.filter { $0["parent"] != nil }
        #expect(children.count == 10)
        #expect(Set(children.compactMap { $0["parent"]?.stringValue }) == Set(parents))
        #expect(children.allSatisfy { $0.state == "succeeded" })

        // Running, from the trace: `started` takes a slot; a parent's `queued` while it awaits
        // its children gives it back, as does a terminal event.
        let terminal: Set<String> = ["succeeded", "failed", "cancelled", "timed_out", "interrupted"]
        var running: Set<String> = []
        var peak = 0
        var parked = 0
        for event in try await serve.trace() {
            guard let worker = event["workerId"]?.stringValue, let kind = event["kind"]?.stringValue else { continue }
            if kind == "started" {
                running.insert(worker)
                peak = max(peak, running.count)
            } else if terminal.contains(kind) || (kind == "queued" && event["data"]?["awaiting"] != nil) {
                if kind == "queued" { parked += 1 }
                running.remove(worker)
            }
        }
        #expect(peak == 5)
        #expect(parked == 5)
        #expect(try await serve.stop() == 0)
    }

    @Test func theDepthCapRefusesAGrandchild() async throws {
        let script = """
            rules:
              - match: { system: "You nest", turn: 0 }
                reply:
                  toolCalls:
                    - { name: spawn_worker, input: { task: "Nest once more", role: nester } }
              - match: { system: "You nest", turn: 1 }
                reply:
                  toolCalls:
                    - { name: await_workers, input: {} }
              - match: { system: "You nest", turn: 2 }
                reply:
                  toolCalls:
                    - { name: submit_result, input: { text: "nested" } }
            """
        let world = try OrchestrationWorld(
            mockArguments: ["--tool-steps", "1"], script: script,
            sessionYAML: """
                session: { maxSpawnDepth: 1 }
                roles:
                  nester: { permissions: [spawn], prompt: "You nest." }
                """)
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let top = try await serve.spawn(["task": "Nest", "role": "nester", "wait": true])
        #expect(top.state == "succeeded", "\(top)")
        let workers = try await serve.call("status", [:])["workers"]?.arrayValue ?? []
        #expect(workers.count == 2)
        let child = try #require(workers.first { $0["parent"]?.stringValue == top.id })
        #expect(child.state == "succeeded")
        let childEvents = try await serve.call("trace", ["workerId": .string(child.id)])["events"]?.arrayValue ?? []
        let refusal = childEvents.first { $0["kind"] == "tool_result" && $0["data"]?["name"] == "spawn_worker" }
        #expect(refusal?["data"]?["isError"] == true)
        #expect((refusal?["data"]?["text"]?.stringValue ?? "").contains("past the session's limit of 1"))
        #expect(try await serve.stop() == 0)
    }
}
