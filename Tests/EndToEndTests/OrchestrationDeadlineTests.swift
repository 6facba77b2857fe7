import BosunJSON
import Foundation
import Testing
import TestSupport

/// Two product guarantees (ARCHITECTURE.md) over the real binary: hard deadlines kill the worker's commands, and
/// a server stopped by SIGTERM leaves its workers `interrupted` with a terminal event.
@Suite(.serialized) struct OrchestrationDeadlineTests {
    /// The worker's deadline ends it while its command runs, and kills the command. The
    /// command is an hour's sleep, so neither can have waited for it to end by itself: the
    /// worker ending `timed_out` within `await`'s cap, with the command's call never answered,
    /// means the deadline came while it ran, and the sleep and every process group seen
    /// running it being gone within the 30 s cap means it was killed. How soon after the
    /// timeout that happens is for bench/.
    @Test func aTimeoutKillsTheCommandTheWorkerIsRunning() async throws {
        // Unique on the machine, and far longer than the test may take.
        let sleepSeconds = "3600.\(Int.random(in: 100_000...999_999))"
        let script = """
            rules:
              - match: { lastMessage: "Sleep through the deadline" }
                reply: { toolCalls: [ { name: run_command, input: { command: [sleep, "\(sleepSeconds)"] } } ] }
            """
        let world = try OrchestrationWorld(mockArguments: ["--tool-steps", "0"], script: script,
                                           sessionYAML: "tools: { sandbox: allowUnsandboxed, commandTimeoutSeconds: 300 }")
        // Every process group seen running the sleep: bubblewrap's outer process leads the
        // command's group, and the sleep inside runs in a session of its own (--new-session).
        var groups = Set<pid_t>()
        defer {
            // Only when a failed run left the sleep behind (so the groups are still its own).
            if sleepers(of: sleepSeconds) > 0 { for group in groups { kill(-group, SIGKILL) } }
            world.tearDown()
        }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        // 5 s leave the model call and the command's start room on a busy machine.
        let worker = try await serve.spawn(["task": "Sleep through the deadline", "role": "coder",
                                            "limits": ["timeoutSeconds": 5]])
        // The deadline bounds this wait: a command seen running was seen before it.
        #expect(try await waitUntil(pace: .milliseconds(20)) {
            groups.formUnion(processGroups(ofSleepers: sleepSeconds))
            return !groups.isEmpty
        }, "the worker's command should be running before the deadline")
        let ended = try await serve.awaitAll([worker.id])["finished"]?.arrayValue?.first
        #expect(ended?.state == "timed_out", "\(String(describing: ended))")
        let events = serve.workerEvents().filter { $0["workerId"]?.stringValue == worker.id }
        let kinds = events.compactMap { $0["kind"]?.stringValue }
        #expect(kinds.last == "timed_out")
        #expect(kinds.contains("tool_call") && !kinds.contains("tool_result"),
                "the command's call must have been running, unanswered, when the deadline came: \(kinds)")
        // The 30 s cap only keeps a build that does not kill from waiting; the sleep would outlast it by far.
        let gone = try await waitUntil(pace: .milliseconds(20)) {
            let running = processGroups(ofSleepers: sleepSeconds)
            groups.formUnion(running)
            return running.isEmpty && groups.allSatisfy { !processGroupExists($0) }
        }
        #expect(gone, "the command outlived its worker's deadline: process groups \(groups.sorted()) still exist, \(sleepers(of: sleepSeconds)) sleeps")
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

/// The process groups of the processes on this machine that run `sleep seconds`.
private func processGroups(ofSleepers seconds: String) -> Set<pid_t> {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    let pids = entries.compactMap { pid_t($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let args = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return args.count >= 2 && args.last == seconds && args.contains { $0.hasSuffix("sleep") }
    }
    return Set(pids.map { getpgid($0) }.filter { $0 > 0 })
}

/// Whether any process, a zombie not yet reaped included, is still in process group `group`.
private func processGroupExists(_ group: pid_t) -> Bool {
    kill(-group, 0) == 0 || errno != ESRCH
}
