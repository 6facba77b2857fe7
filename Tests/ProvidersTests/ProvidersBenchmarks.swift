import Foundation
import Testing
@testable import Providers

/// The port of the `bosun mock-provider` the benchmark script started.
let benchMockPort = ProcessInfo.processInfo.environment["BOSUN_BENCH_MOCK_PORT"].flatMap(Int.init)

/// CPU cost of the provider stack, run by `bench/providers_bench.sh` against a
/// `bosun mock-provider` in its own process (so only the client's CPU is counted here).
/// Skipped unless `BOSUN_BENCH_MOCK_PORT` is set.
@Suite(.serialized, .enabled(if: benchMockPort != nil))
struct ProvidersBenchmarks {
    static let output = ProcessInfo.processInfo.environment["BOSUN_BENCH_OUT"] ?? "/tmp/bosun-providers-bench.txt"

    /// User plus system CPU seconds of this process so far.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    private static func report(_ line: String) {
        print("BENCH \(line)")
        let previous = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        try? (previous + line + "\n").write(toFile: output, atomically: true, encoding: .utf8)
    }

    private func client(_ kind: ProviderKind) -> any ModelClient {
        makeModelClient(endpoint(kind, port: benchMockPort!, retry: .none))
    }

    /// Measures `calls` calls, `concurrency` at a time.
    private func measure(calls: Int, concurrency: Int, _ call: @escaping @Sendable () async throws -> Void)
        async throws -> (cpu: Double, wall: Double)
    {
        let cpuStart = Self.cpuSeconds()
        let wallStart = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var started = 0
            while started < min(concurrency, calls) {
                group.addTask(operation: call)
                started += 1
            }
            while try await group.next() != nil {
                if started < calls {
                    group.addTask(operation: call)
                    started += 1
                }
            }
        }
        return (Self.cpuSeconds() - cpuStart, (ContinuousClock.now - wallStart).seconds)
    }

    @Test func cpuPerModelCall() async throws {
        for kind in [ProviderKind.anthropic, .openai] {
            for stream in [false, true] {
                let client = client(kind)
                let req = request(model: "call", stream: stream, tools: [listFilesTool, submitResultTool])
                _ = try await measure(calls: 50, concurrency: 5) { _ = try await client.complete(req, progress: nil) }
                let calls = 2000
                let result = try await measure(calls: calls, concurrency: 5) { _ = try await client.complete(req, progress: nil) }
                Self.report(String(format: "model_call api=%@ stream=%@ calls=%d cpu_ms_per_call=%.3f wall_s=%.2f",
                                   kind.rawValue, stream ? "yes" : "no", calls, result.cpu * 1000 / Double(calls), result.wall))
            }
        }
    }

    @Test func cpuPerThousandStreamedTokens() async throws {
        for kind in [ProviderKind.anthropic, .openai] {
            let client = client(kind)
            let req = request(model: "long", stream: true)
            let streams = 40
            let counter = TokenCounter()
            let result = try await measure(calls: streams, concurrency: 4) {
                let reply = try await client.complete(req) { if case .textDelta = $0 { counter.add() } }
                precondition(reply.usage.outputTokens == 1000)
            }
            Self.report(String(format: "streamed_tokens api=%@ tokens=%d cpu_ms_per_1000_tokens=%.3f",
                               kind.rawValue, counter.value, result.cpu * 1000 / (Double(counter.value) / 1000)))
        }
    }

    @Test func hundredConcurrentStreamsAtFiftyTokensPerSecond() async throws {
        let client = client(.anthropic)
        let req = request(model: "paced", stream: true)
        let counter = TokenCounter()
        let result = try await measure(calls: 100, concurrency: 100) {
            let reply = try await client.complete(req) { if case .textDelta = $0 { counter.add() } }
            precondition(reply.usage.outputTokens == 500)
        }
        let share = result.cpu / result.wall * 100
        Self.report(String(format: "concurrent_streams streams=100 rate=50 tokens=%d wall_s=%.2f cpu_s=%.3f cpu_share_of_one_core_pct=%.2f goal_lt_25=%@",
                           counter.value, result.wall, result.cpu, share, share < 25 ? "met" : "NOT met"))
    }
}

/// Counts tokens from progress callbacks on the HTTP thread.
final class TokenCounter: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
