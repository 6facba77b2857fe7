import BosunJSON
import Foundation
import Testing

/// A pathological regular expression cannot freeze the server: five workers searching for
/// `(.*){12}!x` over lines of 31 `a` and a `!` (catastrophic for a backtracking engine: one
/// line held a thread of the cooperative pool for 41 s) end at their deadlines while
/// `status` keeps answering. bench/pathological_search_bench.py measures the latency.
@Suite(.serialized) struct PathologicalSearchTests {
    @Test func pathologicalPatternsNeitherFreezeTheServerNorBreakDeadlines() async throws {
        // One rule per turn, each search a little different (its limit): the same call repeated
        // would end the worker as stalled before its deadline.
        let rules = (0..<2_000).map { turn in
            "  - { match: { turn: \(turn) }, reply: { toolCalls: [ { name: search, input: { pattern: \"(.*){12}!x\", limit: \(turn + 1) } } ] } }"
        }
        let script = "rules:\n" + rules.joined(separator: "\n") + "\n"
        let world = try OrchestrationWorld(mockArguments: ["--tool-steps", "0"], script: script)
        defer { world.tearDown() }
        let line = String(repeating: "a", count: 31) + "!\n"
        try String(repeating: line, count: 200).write(toFile: world.workspace + "/src/pathological.txt", atomically: true, encoding: .utf8)
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 5])
        let clock = ContinuousClock()
        let start = clock.now
        var ids: [String] = []
        for index in 0..<5 {
            let worker = try await serve.spawn(["task": .string("Search \(index)"), "role": "researcher",
                                                "limits": ["timeoutSeconds": 3, "maxSteps": 100_000, "maxTokens": 1_000_000_000, "maxCostUSD": 1_000]])
            ids.append(worker.id)
        }
        // status answers while the five searches run (each call fails the test if it gets no
        // answer), asked until the first deadline has ended a worker: however long the spawns
        // took, the answers before that see all five running. (The minute only bounds the loop
        // if deadlines broke; the checks below then fail.)
        var answeredWhileRunning = 0
        while clock.now - start < .seconds(60) {
            let status = try await serve.call("status", timeout: .seconds(5))
            guard status["workers"]?.arrayValue?.allSatisfy({ $0["state"] == "running" }) == true else { break }
            answeredWhileRunning += 1
        }
        #expect(answeredWhileRunning > 0, "status must answer while the five workers search")
        let searched = try await serve.trace().filter { $0["kind"] == "tool_result" }.count
        #expect(searched > 0, "the workers must have run their searches")

        let finished = try await serve.awaitAll(ids)["finished"]?.arrayValue ?? []
        #expect(finished.count == 5 && finished.allSatisfy { $0.state == "timed_out" }, "\(finished.map { "\($0.state) \($0["error"] ?? .null)" })")
        // Generous: the figure is measured in bench/; this catches a server frozen for tens of seconds.
        #expect(clock.now - start < .seconds(15), "3 s deadlines must end the workers within 2 s of them")
        #expect(try await serve.shutdownAndExit() == 0)
    }
}
