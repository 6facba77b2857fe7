import BosunJSON
import Foundation
import Testing

/// Role recovery settings over the real binary and the mock provider: stall detection,
/// retries and fallback models.
@Suite(.serialized) struct RecoveryEndToEndTests {
    @Test func aFallbackModelTakesOverWhenTheRolesModelKeepsFailing() async throws {
        let world = try OrchestrationWorld(
            mockArguments: ["--tool-steps", "1", "--fault", "500:model=mock-mute"],
            sessionYAML: "roles:\n  sturdy: { model: mute, fallbackModels: [fast] }\n",
            providerOptions: "retry: { maxAttempts: 1 }")
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "List the files", "role": "sturdy", "wait": true])
        #expect(worker.state == "succeeded", "\(worker)")
        #expect(worker["model"] == "fast")
        let trace = try await serve.trace()
        let switches = trace.filter { $0["kind"] == "retry" && $0["data"]?["reason"] == "provider_error" }
        #expect(switches.count == 1)
        #expect(switches.first?["data"]?["model"] == "fast" && switches.first?["data"]?["previousModel"] == "mute")
        // The failing run never reached a terminal state: one terminal event, the success.
        let terminal = trace.filter { ["succeeded", "failed"].contains($0["kind"]?.stringValue ?? "") }
        #expect(terminal.map { $0["kind"] } == ["succeeded"])
        #expect(try await serve.stop() == 0)
    }

    @Test func aRepeatingWorkerIsNudgedThenStalledAndARetryGetsItThrough() async throws {
        // The script lists "." the same way on each of the first six turns, then the synthetic
        // reply submits: three identical calls earn a nudge, the fourth ends the run as stalled.
        // (The synthetic tool steps vary their input, so they would never stall.)
        let repeated = (0..<6).map { "  - { match: { turn: \($0) }, reply: { toolCalls: [{ name: list_files, input: { path: \".\" } }] } }" }
        let world = try OrchestrationWorld(
            mockArguments: ["--tool-steps", "0"], script: "rules:\n" + repeated.joined(separator: "\n") + "\n",
            sessionYAML: """
                roles:
                  impatient: { stallRepeats: 3 }
                  patient: { stallRepeats: 3, retry: { attempts: 1, on: [stalled] } }
                """)
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let impatient = try await serve.spawn(["task": "Poll the files", "role": "impatient", "wait": true])
        #expect(impatient.state == "failed")
        #expect(impatient["error"]?["code"] == "stalled")
        #expect(impatient["steps"] == 4)

        let patient = try await serve.spawn(["task": "Poll the files", "role": "patient", "wait": true])
        #expect(patient.state == "succeeded", "\(patient)")
        #expect(patient["steps"] == 7)
        let events = try await serve.call("trace", ["workerId": .string(patient.id)])["events"]?.arrayValue ?? []
        let retries = events.filter { $0["kind"] == "retry" }
        #expect(retries.count == 1)
        #expect(retries.first?["data"]?["reason"] == "stalled" && retries.first?["data"]?["attempt"] == 1)
        let nudges = events.filter {
            $0["kind"] == "tool_result" && ($0["data"]?["text"]?.stringValue ?? "").contains("3 times in a row")
        }
        #expect(nudges.count == 1)
        #expect(events.filter { $0["kind"] == "started" }.count == 2)
        #expect(try await serve.stop() == 0)
    }
}
