import BosunJSON
import Foundation
import Testing

/// The mock provider's synthetic steps look like a model exploring, not one stuck on a
/// question: more steps than the stall detector's streak still end in a result.
@Suite(.serialized) struct MockToolSteps {
    @Test func moreToolStepsThanTheStallStreakStillSucceed() async throws {
        let world = try OrchestrationWorld(mockArguments: ["--tool-steps", "4"])
        defer { world.tearDown() }
        let serve = try world.serve()
        try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Look around the workspace", "wait": true])
        #expect(worker["state"] == "succeeded", "\(worker)")
        let calls = try await serve.trace().filter { $0["kind"] == "tool_call" && $0["workerId"] == worker["id"] }
        let inputs = calls.filter { $0["data"]?["name"] == "list_files" }.compactMap { $0["data"]?["input"] }
        #expect(inputs.count == 4, "\(calls)")
        #expect(Set(inputs).count == inputs.count, "each step asks something new: \(inputs)")
        #expect(try await serve.stop() == 0)
    }
}
