import Foundation
import TraceStore

/// `TraceStoreHarness bench DB`: the figures in bench/RESULTS-store.md, printed as JSON.
///
/// - throughput: one million events (100 workers, ~150-byte JSON data, two secrets to redact)
///   appended as fast as the caller can, timed until `flush` returns: events stored per second.
/// - commit latency: `commitTerminal` timed on a quiet store, then while another task keeps
///   appending 20,000 events/s, so the commit has a batch to write first.
enum Benchmark {
    static func run(db: String) async throws {
        let store = try TraceStore(path: db, redactor: Redactor(secrets: ["sk-ant-bench-0123456789", "sk-openai-bench-987654"]))
        let session = try await store.openSession(id: "s_bench", workspaceRoot: "/bench", maxConcurrentWorkers: 100).session.id
        let data = #"{"type":"text","text":"The quick brown fox jumps over the lazy dog while the worker streams tokens","index":12}"#

        let total = 1_000_000
        let clock = ContinuousClock()
        var appendNanos = [Double]()
        appendNanos.reserveCapacity(total)
        let started = clock.now
        for index in 0..<total {
            let before = clock.now
            store.submit(.event(EventRecord(sessionId: session, workerId: "w_\(index % 100)", seq: index / 100 + 1,
                                     kind: "text", at: Date(), dataJSON: data)))
            appendNanos.append(seconds(clock.now - before) * 1e9)
        }
        let appended = clock.now
        try await store.flush()
        let finished = clock.now
        let seconds = seconds(finished - started)

        let idle = try await commitLatencies(store, session: session, count: 300, prefix: "idle")
        let load = Task {
            var seq = 0
            while !Task.isCancelled {
                for _ in 0..<200 {
                    seq += 1
                    store.submit(.event(EventRecord(sessionId: session, workerId: "w_load", seq: seq, kind: "text", at: Date(), dataJSON: data)))
                }
                try? await Task.sleep(for: .milliseconds(10)) // paces the background load
            }
        }
        let loaded = try await commitLatencies(store, session: session, count: 300, prefix: "loaded")
        load.cancel()
        await store.close()

        let report: [String: Any] = [
            "events": total,
            "seconds": seconds,
            "eventsPerSecond": Double(total) / seconds,
            "appendSecondsForAll": Self.seconds(appended - started),
            "meanAppendNanoseconds": Self.seconds(appended - started) / Double(total) * 1e9,
            "appendMicroseconds": percentiles(appendNanos.map { $0 / 1000 }, [0.5, 0.99, 0.999]),
            "commitIdleMs": idle,
            "commitUnderLoadMs": loaded,
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted])
        print(String(decoding: json, as: UTF8.self))
    }

    /// p50, p95, p99 and max of `count` terminal commits, in milliseconds.
    static func commitLatencies(_ store: TraceStore, session: String, count: Int, prefix: String) async throws -> [String: Double] {
        let clock = ContinuousClock()
        var samples: [Double] = []
        for index in 0..<count {
            let id = "w_\(prefix)_\(index)"
            let worker = WorkerRecord(id: id, sessionId: session, role: "worker", model: "fast", state: "succeeded",
                                      task: "bench", briefJSON: #"{"task":"bench"}"#, createdAt: Date(), endedAt: Date(),
                                      steps: 4, resultJSON: #"{"text":"done"}"#)
            let event = EventRecord(sessionId: session, workerId: id, seq: 1, kind: "succeeded", at: Date(), dataJSON: "{}")
            try await Task.sleep(for: .milliseconds(2)) // spaces the commits, so each meets a writer with nothing else to do
            let before = clock.now
            try await store.commitTerminal(worker, event: event)
            samples.append(seconds(clock.now - before) * 1000)
        }
        return percentiles(samples, [0.5, 0.95, 0.99])
    }

    /// The given percentiles of `samples` and their maximum, keyed "p50", "p99.9", "max".
    static func percentiles(_ samples: [Double], _ points: [Double]) -> [String: Double] {
        let sorted = samples.sorted()
        var result = ["max": sorted.last ?? 0]
        for point in points {
            let key = "p" + String(format: "%g", point * 100)
            result[key] = sorted[min(sorted.count - 1, Int(Double(sorted.count) * point))]
        }
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
