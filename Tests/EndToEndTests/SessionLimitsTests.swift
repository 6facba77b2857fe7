import BosunJSON
import Foundation
import Testing

/// The session-wide limits over the real binary: the queue limit under pipelined spawns,
/// and the cost budget under parallel workers against the mock's known usage.
@Suite(.serialized) struct SessionLimitsTests {
    /// 65 spawns written at once, none answered before the last is sent: with one slot and
    /// room for ten on the queue, exactly eleven are taken and the rest refused.
    @Test func pipelinedSpawnsNeverOverfillTheQueue() async throws {
        // Every call takes 10 s, so no worker ends while the spawns are answered.
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "10000", "--tool-steps", "1"],
                                           sessionYAML: "session: { maxQueuedWorkers: 10 }")
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 1, "events": "terminal"])
        let ids = (0..<65).map { index in serve.sendRequest("spawn", ["task": .string("Hold a place, take \(index)")]) }
        var accepted: [String] = []
        var refusals: [JSONValue] = []
        for id in ids {
            let answer = try await serve.response(id: id, timeout: .seconds(30))
            if let error = answer["error"] {
                refusals.append(error)
            } else {
                accepted.append(answer["result"]?.id ?? "")
            }
        }
        #expect(accepted.count == 11, "one running and ten queued; accepted \(accepted.count)")
        #expect(refusals.count == 54)
        for refusal in refusals {
            #expect(refusal["code"] == -32013)
            #expect(refusal["data"]?["field"] == "session.maxQueuedWorkers")
            #expect(refusal["message"]?.stringValue?.contains("queue is full (10 workers waiting") == true, "\(refusal)")
        }
        let status = try await serve.call("status")
        #expect(status["session"]?["counts"]?["queued"] == 10)
        #expect(status["session"]?["counts"]?["running"] == 1)
        _ = try await serve.call("cancel", ["all": true])
        #expect(try await serve.stop() == 0)
    }

    /// Ten workers at once (and two queued behind them), each call priced at $0.002 by the
    /// mock's fixed usage, against a $0.01 session budget: the spend may pass the budget only
    /// by the calls in flight when it was reached (at most one per running worker), the
    /// queued workers never start, and afterwards every new run is refused with -32013.
    @Test func theSessionBudgetStopsParallelWorkersWithinTheCallsInFlight() async throws {
        // 1,000 input tokens at $1/M plus 200 output tokens at $5/M: $0.002 a call.
        let script = "rules:\n  - usage: { inputTokens: 1000, outputTokens: 200 }\n    reply: { synthetic: true }\n"
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "30", "--tool-steps", "30"], script: script,
                                           sessionYAML: "session: { maxCostUSD: 0.01 }")
        defer { world.tearDown() }
        let serve = try world.serve()
        let workers = 10
        let callCost = 0.002, budget = 0.01
        _ = try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": .int(Int64(workers)),
                                                                       "events": "terminal"])
        let ids = (0..<workers + 2).map { index in serve.sendRequest("spawn", ["task": .string("Spend, take \(index)")]) }
        var spawned: [String] = []
        for id in ids { spawned.append(try await serve.response(id: id)["result"]?.id ?? "") }
        let finished = try await serve.awaitAll()["finished"]?.arrayValue ?? []
        #expect(finished.count == workers + 2)
        // Spawns run concurrently, so which two waited is not fixed; that two never started is.
        let neverStarted = finished.filter { $0["steps"] == 0 && $0["startedAt"] == nil }
        #expect(neverStarted.count == 2, "the two queued workers must never start: \(finished)")
        #expect(Set(spawned).count == workers + 2)
        let spent = finished.reduce(0.0) { $0 + ($1["usage"]?["costUSD"]?.doubleValue ?? 0) }
        let inFlightBound = Double(workers) * callCost
        #expect(spent >= budget, "the mock's usage must make the workers reach the budget; spent \(spent)")
        #expect(spent <= budget + inFlightBound + 1e-9, "spent $\(spent) of a $\(budget) budget")
        for worker in finished {
            #expect(worker.state == "failed", "\(worker)")
            #expect(worker["error"]?["code"] == "session_budget", "\(worker)")
        }
        #expect(finished.first?["error"]?["message"]?.stringValue?.contains("session.maxCostUSD") == true)

        let newRuns: [(method: String, params: JSONValue)] = [
            ("spawn", ["task": "One more"]),
            ("steer", ["workerId": .string(spawned[0]), "message": "Go on."]),
        ]
        for (method, params) in newRuns {
            do {
                _ = try await serve.call(method, params)
                Issue.record("\(method) started a new run after the budget was spent")
            } catch let error as ResponseError {
                #expect(error.code == -32013, "\(error)")
                #expect(error.message.contains("spent $") && error.message.contains("session.maxCostUSD"), "\(error)")
            }
        }
        #expect(try await serve.stop() == 0)
    }
}
