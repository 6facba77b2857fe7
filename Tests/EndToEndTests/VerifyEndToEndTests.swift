import BosunJSON
import Foundation
import Testing

/// `verify` over the real binary, with the mock provider scripted to submit a wrong result
/// first, to judge, and to answer differently on a higher tier's model.
@Suite(.serialized) struct VerifyEndToEndTests {
    static let statusSchema: JSONValue = ["type": "object", "properties": ["status": ["type": "string"]], "required": ["status"]]
    static let greenCheck: JSONValue = ["kind": "schema", "schema": ["type": "object", "required": ["status"],
                                                                    "properties": ["status": ["const": "green"]]]]

    @Test func aVerifyThatFailsThenPassesAfterASteer() async throws {
        let script = """
            rules:
              - match: { lastMessage: "Verification of your result failed" }
                reply: { toolCalls: [{ name: submit_result, input: { status: green } }] }
              - reply: { toolCalls: [{ name: submit_result, input: { status: red } }] }
            """
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "20"], script: script)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Report the build status", "output": ["schema": Self.statusSchema]])
        let verified = try await serve.call("verify", ["workerId": .string(worker.id), "checks": [Self.greenCheck],
                                                       "feedback": "steer"], timeout: .seconds(60))
        #expect(verified["passed"] == true)
        let rounds = verified["rounds"]?.arrayValue ?? []
        #expect(rounds.count == 2)
        #expect(rounds.first?["checks"]?.arrayValue?.first?["passed"] == false)
        #expect(rounds.first?["checks"]?.arrayValue?.first?["summary"]?.stringValue?.contains("/status") == true, "\(rounds)")
        #expect(verified["worker"]?["verification"] == "passed")
        #expect(verified["worker"]?["result"]?["structured"]?["status"] == "green")
        let kinds = try await serve.trace().filter { $0["workerId"]?.stringValue == worker.id }.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.filter { $0 == "verify_round" }.count == 2)
        #expect(kinds.contains("steered"))
        #expect(try await serve.worker(worker.id)["verification"] == "passed")
        #expect(try await serve.stop() == 0)
    }

    @Test func aJudgeFailureWithReasonsCountsItsUsage() async throws {
        let script = """
            rules:
              - match: { system: "You are an evaluator" }
                reply: { toolCalls: [{ name: submit_verdict, input: { passed: false, reasons: ["the summary omits the failing test"] } }] }
                usage: { inputTokens: 1000, outputTokens: 100 }
              - reply: { toolCalls: [{ name: submit_result, input: { text: "all good" } }] }
            """
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "20"], script: script)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Summarise the test run"])
        let verified = try await serve.call("verify", ["workerId": .string(worker.id),
                                                       "checks": [["kind": "judge", "rubric": "Names every failing test."]]],
                                            timeout: .seconds(60))
        #expect(verified["passed"] == false)
        let outcome = verified["rounds"]?.arrayValue?.first?["checks"]?.arrayValue?.first
        #expect(outcome?["kind"] == "judge")
        #expect(outcome?["output"]?.stringValue?.contains("the summary omits the failing test") == true, "\(String(describing: outcome))")
        #expect(verified["worker"]?["verification"] == "failed")
        let judgeCalls = try await serve.trace().filter { $0["kind"] == "judge_call" }
        #expect(judgeCalls.count == 1)
        #expect(judgeCalls.first?["data"]?["inputTokens"] == 1000)
        #expect(try await serve.stop() == 0)
    }

    @Test func escalationResumesTheWorkerOnTheNextTierUp() async throws {
        let script = """
            rules:
              - match: { model: mock-smart }
                reply: { toolCalls: [{ name: submit_result, input: { status: green } }] }
              - reply: { toolCalls: [{ name: submit_result, input: { status: red } }] }
            """
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "20"], script: script,
                                           tiers: "{ orchestrator: smart, mid: smart, worker: fast }")
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Report the build status", "output": ["schema": Self.statusSchema]])
        let verified = try await serve.call("verify", ["workerId": .string(worker.id), "checks": [Self.greenCheck],
                                                       "maxRounds": 1, "escalate": true], timeout: .seconds(60))
        #expect(verified["passed"] == true)
        #expect(verified["rounds"]?.arrayValue?.compactMap { $0["model"]?.stringValue } == ["fast", "smart"])
        #expect(verified["worker"]?["model"] == "smart")
        let escalated = try await serve.trace().filter { $0["kind"] == "escalated" }
        #expect(escalated.first?["data"]?["to"] == "smart")
        #expect(try await serve.stop() == 0)
    }

    @Test func unknownCheckKindsAndEmptyChecksAreRefused() async throws {
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "5"])
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Anything"])
        let unknown = try await serve.request("verify", ["workerId": .string(worker.id), "checks": [["kind": "vibes"]]])["error"] ?? .null
        #expect(unknown["code"] == -32602)
        #expect(unknown["message"]?.stringValue?.contains("vibes") == true, "\(unknown)")
        let empty = try await serve.request("verify", ["workerId": .string(worker.id), "checks": []])["error"] ?? .null
        #expect(empty["data"]?["field"] == "checks")
        #expect(try await serve.stop() == 0)
    }
}
