import Foundation
import Logging
import Testing
@testable import Telemetry
import TraceStore
import TestSupport

/// The live exporter's queue when the collector is away: spans wait, bounded, and what
/// does not fit is dropped and counted, never held without limit.
@Suite struct LiveExporterQueueTests {
    @Test func anUnreachableCollectorCostsABoundedQueue() async throws {
        let directory = TemporaryDirectory(prefix: "bosun-telemetry")
        defer { directory.remove() }
        let store = try TraceStore(path: directory.file("trace.sqlite"))
        let session = try await store.openSession(id: nil, workspaceRoot: directory.path, maxConcurrentWorkers: 2).session
        // Port 9 on loopback (discard) is closed here: every post fails at once.
        let endpoint = OTLPEndpoint(tracesURL: "http://127.0.0.1:9/v1/traces", headers: [], timeout: 2)
        let exporter = OTLPLiveExporter(endpoint: endpoint, store: store, sessionId: session.id,
                                        logger: Logger(label: "test"), environment: ["OTEL_BSP_MAX_QUEUE_SIZE": "2"])
        let now = Date()
        for index in 0..<3 {
            try await store.insertWorker(WorkerRecord(id: "w_\(index)", sessionId: session.id, role: "worker", model: "fast",
                                                      state: "succeeded", task: "t", briefJSON: "{}", createdAt: now,
                                                      startedAt: now, endedAt: now.addingTimeInterval(Double(index + 1))))
        }
        await exporter.collect()
        #expect(await exporter.sendQueued() == false)
        #expect(await exporter.droppedSpans == 1)
        #expect(await exporter.sentSpans == 0)
        // A second look finds nothing new: the two kept wait for the collector.
        await exporter.collect()
        #expect(await exporter.droppedSpans == 1)
        await exporter.finish(within: .milliseconds(500))
        await store.close()
    }
}
