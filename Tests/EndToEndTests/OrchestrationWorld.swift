import BosunJSON
import Foundation
import Testing
import TestSupport

/// One test's world: a small workspace, a mock provider, a config pointing at it, a trace
/// store, and `bosun serve` processes on them.
final class OrchestrationWorld: @unchecked Sendable {
    // @unchecked: every property is set once in init and never changed.
    private let scratch = TemporaryDirectory(prefix: "bosun-e2e")
    let directory: String
    let workspace: String
    let configPath: String
    let dbPath: String
    let mock: MockProviderProcess

    /// `mockArguments` go to `bosun mock-provider` (latency, tool steps, script).
    /// `providerOptions` are extra keys of the mock provider's config entry (e.g. `retry`).
    /// `tiers` replaces the default (every tier on `fast`; `smart` is a second model id).
    init(mockArguments: [String], script: String? = nil, sessionYAML: String = "", providerOptions: String = "",
         tiers: String = "{ orchestrator: fast, mid: fast, worker: fast }") throws {
        directory = scratch.path
        workspace = directory + "/workspace"
        try FileManager.default.createDirectory(atPath: workspace + "/src", withIntermediateDirectories: true)
        try "# Demo\n".write(toFile: workspace + "/README.md", atomically: true, encoding: .utf8)
        try "let x = 1\n".write(toFile: workspace + "/src/main.swift", atomically: true, encoding: .utf8)
        var arguments = mockArguments
        if let script {
            let scriptPath = directory + "/script.yaml"
            try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            arguments += ["--script", scriptPath]
        }
        mock = try MockProviderProcess(arguments: arguments)
        configPath = directory + "/bosun.yaml"
        dbPath = directory + "/trace.sqlite"
        let config = """
            providers:
              mock: { kind: openai, baseURL: "http://127.0.0.1:\(mock.port)/v1"\(providerOptions.isEmpty ? "" : ", " + providerOptions) }
            models:
              fast:    { provider: mock, id: mock-fast, price: { input: 1, output: 5 } }
              stalled: { provider: mock, id: mock-stall, price: { input: 1, output: 5 } }
              mute:    { provider: mock, id: mock-mute, price: { input: 1, output: 5 } }
              smart:   { provider: mock, id: mock-smart, price: { input: 3, output: 15 } }
            tiers: \(tiers)
            \(sessionYAML)
            """
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func serve() throws -> BosunProcess {
        try BosunProcess.launch(["serve", "--config", configPath, "--db", dbPath], framing: .ndjson,
                                workingDirectory: URL(fileURLWithPath: workspace))
    }

    func tearDown() {
        mock.stop()
        scratch.remove()
    }
}

extension BosunProcess {
    /// `initialize` with a workspace root, as an editor would send it.
    @discardableResult
    func initialize(root: String, options: JSONValue = [:]) async throws -> JSONValue {
        try await initialize(options: options, params: ["rootUri": .string("file://\(root)")])
    }

    func spawn(_ params: JSONValue) async throws -> JSONValue {
        try await call("spawn", params)
    }

    func worker(_ id: String) async throws -> JSONValue {
        try await call("status", ["workerId": .string(id)])
    }

    func awaitAll(_ ids: [String]? = nil, timeout: Double = 60) async throws -> JSONValue {
        var params: [String: JSONValue] = ["timeoutSeconds": .double(timeout)]
        if let ids { params["workers"] = .array(ids.map { .string($0) }) }
        return try await call("await", .object(params), timeout: .seconds(timeout + 10))
    }

    /// The session's whole trace, in the order it was written.
    func trace() async throws -> [JSONValue] {
        try await call("trace", ["limit": 10000])["events"]?.arrayValue ?? []
    }

    /// `worker/event` params received so far (of `kind`, when given).
    func workerEvents(kind: String? = nil) -> [JSONValue] {
        pendingNotifications.filter { $0["method"] == "worker/event" }.compactMap { $0["params"] }
            .filter { kind == nil || $0["kind"]?.stringValue == kind }
    }

    /// The first `worker/event` of `kind` (about `workerId`, when given) that `matches`, once
    /// it has arrived; it stays among `workerEvents` for later reads. nil if none came within
    /// `timeout`. The received notifications are a state checked as they grow, not an event
    /// to take, so that other reads still see them.
    func firstWorkerEvent(kind: String, of workerId: String? = nil, timeout: Duration = .seconds(30),
                          where matches: (JSONValue) -> Bool = { _ in true }) async throws -> JSONValue? {
        var found: JSONValue?
        try await waitUntil(timeout: timeout, pace: .milliseconds(10)) {
            found = workerEvents(kind: kind).first { event in
                (workerId == nil || event["workerId"]?.stringValue == workerId) && matches(event)
            }
            return found != nil
        }
        return found
    }

    /// Seconds from `workerId`'s first `worker/event` of kind `from` to its first of kind `to`,
    /// by the times the server stamped on them: a deadline timed by the server's clock, with
    /// no part of the test's own round trips in it.
    func secondsBetweenEvents(_ from: String, _ to: String, of workerId: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws -> Double {
        func at(_ kind: String) throws -> Date {
            let event = workerEvents(kind: kind).first { $0["workerId"]?.stringValue == workerId }
            let stamp = try #require(event?["at"]?.stringValue, "no \(kind) event of \(workerId)", sourceLocation: sourceLocation)
            return try Date(stamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        }
        return try at(to).timeIntervalSince(at(from))
    }

    /// `shutdown`, `exit`, and the exit code.
    func stop() async throws -> Int32 {
        try await shutdownAndExit()
    }

    /// kill -9: no chance to write anything more.
    func killHard() async throws {
        sendSignal(SIGKILL)
        _ = try await waitForExit()
    }
}

/// The most workers ever running at once according to the trace: `started` takes a slot,
/// a terminal event gives it back. The store keeps events in the order the session made
/// them, and a slot is given back only after the terminal event is committed.
func peakConcurrency(_ trace: [JSONValue]) -> Int {
    let terminal: Set<String> = ["succeeded", "failed", "cancelled", "timed_out", "interrupted"]
    var running: Set<String> = []
    var peak = 0
    for event in trace {
        guard let worker = event["workerId"]?.stringValue, let kind = event["kind"]?.stringValue else { continue }
        if kind == "started" {
            running.insert(worker)
            peak = max(peak, running.count)
        } else if terminal.contains(kind) {
            running.remove(worker)
        }
    }
    return peak
}

extension JSONValue {
    var id: String { self["id"]?.stringValue ?? "" }
    var state: String { self["state"]?.stringValue ?? "" }
}
