import BosunJSON
import Foundation
import Testing
import TestSupport

/// Two product guarantees (ARCHITECTURE.md) over the real binary: hard deadlines kill the worker's commands, and
/// a server stopped by SIGTERM leaves its workers `interrupted` with a terminal event.
@Suite(.serialized) struct OrchestrationDeadlineTests {
    /// A marker no other process on the machine has in its command line.
    static let sleepSeconds = markerSleepSeconds()

    @Test func aTimeoutKillsTheCommandTheWorkerIsRunning() async throws {
        let script = """
            rules:
              - match: { lastMessage: "Sleep through the deadline" }
                reply: { toolCalls: [ { name: run_command, input: { command: [sleep, "\(Self.sleepSeconds)"] } } ] }
            """
        let world = try OrchestrationWorld(mockArguments: ["--tool-steps", "0"], script: script,
                                           sessionYAML: "tools: { sandbox: allowUnsandboxed, commandTimeoutSeconds: 300 }")
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let worker = try await serve.spawn(["task": "Sleep through the deadline", "role": "coder",
                                            "limits": ["timeoutSeconds": 3]])
        // The deadline bounds this wait: a command seen running was seen before it.
        #expect(try await waitUntil(pace: .milliseconds(20)) { sleepers(of: Self.sleepSeconds) > 0 },
                "the worker's command should be running before the deadline")
        let ended = try await serve.awaitAll([worker.id])["finished"]?.arrayValue?.first
        #expect(ended?.state == "timed_out")
        #expect(try serve.secondsBetweenEvents("started", "timed_out", of: worker.id) < 5, "a 3 s timeout must end the worker within 2 s of it")
        #expect(try await waitUntil(timeout: .seconds(2), pace: .milliseconds(20)) { sleepers(of: Self.sleepSeconds) == 0 },
                "the command outlived its worker's deadline")
        let kinds = serve.workerEvents().filter { $0["workerId"]?.stringValue == worker.id }.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.last == "timed_out")
        #expect(try await serve.shutdownAndExit() == 0)
    }

    @Test func sigtermLeavesRunningWorkersInterruptedAndResumable() async throws {
        let world = try OrchestrationWorld(mockArguments: ["--latency-ms", "300", "--tool-steps", "10"])
        defer { world.tearDown() }
        let first = try world.serve()
        let info = try await first.initialize(root: world.workspace, options: ["maxConcurrentWorkers": 1])
        let sessionId = info["session"]?["id"]?.stringValue ?? ""
        let roles = try await first.call("roles")["roles"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(roles.contains("coder") && roles.contains("worker"))
        let running = try await first.spawn(["task": "Keep going"])
        let queued = try await first.spawn(["task": "Wait behind it"])
        #expect(try await first.firstWorkerEvent(kind: "model_call", of: running.id) != nil, "the worker never called its model")
        first.sendSignal(SIGTERM)
        _ = try await first.waitForExit()

        let second = try world.serve()
        _ = try await second.initialize(root: world.workspace, options: ["session": .string(sessionId)])
        for worker in [running, queued] {
            let now = try await second.worker(worker.id)
            #expect(now.state == "interrupted")
            #expect(now["error"]?["code"] == "interrupted")
            let trace = try await second.call("trace", ["workerId": .string(worker.id)])["events"]?.arrayValue ?? []
            #expect(trace.last?["kind"] == "interrupted")
            let seqs = trace.compactMap { $0["seq"]?.intValue }
            #expect(seqs == Array(1...Int64(seqs.count)), "seq must count from 1 without gaps")
        }
        #expect(try await second.shutdownAndExit() == 0)
    }
}
