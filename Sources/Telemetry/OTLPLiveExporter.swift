import Foundation
import HTTP
import Logging
import TraceStore

/// Sends a session's spans to an OpenTelemetry collector while the session runs, as
/// OTLP/HTTP JSON through the Providers module's libcurl client.
///
/// It follows the session through its trace store rather than through the session itself:
/// once a second it asks the store for workers that ended since its last look (an indexed
/// query on the trace writer's thread, next to the session's own writes) and posts their
/// spans in one request: each worker's span with the spans of its model and tool calls, and
/// each `orchestrate` call that ended. So it sees exactly what is durable, in the same shape as
/// `bosun trace export --format otlp-json` (same trace and span ids), and nothing a worker
/// does ever waits for it: a slow or absent collector only makes the queue grow, up to
/// `maxQueuedSpans`, past which the oldest spans are dropped and counted. `finish` sends
/// what is left and the session's root span, within a bounded time.
public actor OTLPLiveExporter {
    public let endpoint: OTLPEndpoint
    let store: TraceStore
    let sessionId: String
    let client: HTTPClient
    let logger: Logger
    /// Time between looks at the store (`OTEL_BSP_SCHEDULE_DELAY`, default 1 s: live enough
    /// to watch, rare enough to cost nothing).
    let interval: Duration
    /// The most workers (each with its calls' spans) kept waiting for the collector
    /// (`OTEL_BSP_MAX_QUEUE_SIZE`, default 2048).
    let maxQueuedSpans: Int
    /// The most workers in one request (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`, default 512).
    let maxBatch: Int
    /// Orchestrations that ended before this were a previous process's.
    let startedAt = Date()

    private var queue: [(worker: WorkerRecord, events: [EventRecord])] = []
    private var orchestrationQueue: [OrchestrationRecord] = []
    /// Workers ending at or after this are not yet collected.
    private var watermark: Date
    /// `id@end` of every worker collected, so two workers ending at the same instant as the
    /// watermark are each sent once, and a resumed worker's new end is sent again.
    private var collected: Set<String> = []
    private var loop: Task<Void, Never>?
    private var failing = false
    public private(set) var sentSpans = 0
    public private(set) var droppedSpans = 0

    public init(endpoint: OTLPEndpoint, store: TraceStore, sessionId: String, client: HTTPClient = .shared,
                logger: Logger, environment: [String: String] = [:]) {
        self.endpoint = endpoint
        self.store = store
        self.sessionId = sessionId
        self.client = client
        self.logger = logger
        func setting(_ name: String, _ fallback: Int) -> Int {
            environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.flatMap { $0 > 0 ? $0 : nil } ?? fallback
        }
        interval = .milliseconds(setting("OTEL_BSP_SCHEDULE_DELAY", 1_000))
        maxQueuedSpans = setting("OTEL_BSP_MAX_QUEUE_SIZE", 2_048)
        maxBatch = min(setting("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512), maxQueuedSpans)
        watermark = Date()
    }

    /// Starts following the session; workers that ended before now are not sent (they
    /// were a previous process's, and `trace export` has them).
    public func start() {
        guard loop == nil else { return }
        logger.info("exporting spans live to \(endpoint.tracesURL)")
        loop = Task { [weak self] in
            while !Task.isCancelled {
                guard let self else { return }
                try? await Task.sleep(for: self.interval)
                if Task.isCancelled { return }
                await self.collect()
                await self.sendQueued()
            }
        }
    }

    /// Stops following, then sends the workers left and the session's root span, giving
    /// up after `within` so a collector that is down cannot hold up the process's exit.
    public func finish(within: Duration = .seconds(2)) async {
        loop?.cancel()
        loop = nil
        let deadline = ContinuousClock.now + within
        await collect()
        let session = try? await store.session(id: sessionId)
        let workerCount = (try? await store.workers(sessionId: sessionId).count) ?? 0
        while !queue.isEmpty || !orchestrationQueue.isEmpty, ContinuousClock.now < deadline {
            guard await sendQueued(until: deadline) else { break }
        }
        if let session, ContinuousClock.now < deadline {
            let body = OTLPExporter.requestBody(session: session, workers: [],
                                                root: (start: session.lastOpenedAt, end: Date(), workerCount: workerCount))
            if await post(body, spans: 1, until: deadline) { sentSpans += 1 }
        }
        if !queue.isEmpty || droppedSpans > 0 {
            logger.warning("\(queue.count + droppedSpans) spans never reached \(endpoint.tracesURL) (\(droppedSpans) dropped while it was unreachable)")
        }
    }

    /// Queues the workers that ended since the last look, with their events.
    func collect() async {
        let ended: [WorkerRecord]
        do {
            ended = try await store.workersEnded(sessionId: sessionId, since: watermark)
        } catch {
            logger.debug("live export: the trace store could not be read: \(error)")
            return
        }
        for worker in ended {
            guard let end = worker.endedAt, collected.insert("\(worker.id)@\(end.timeIntervalSince1970)").inserted else { continue }
            let events = (try? await store.events(sessionId: sessionId, workerId: worker.id, afterSeq: nil, limit: 0)) ?? []
            queue.append((worker, events))
            watermark = max(watermark, end)
        }
        for orchestration in (try? await store.orchestrations(sessionId: sessionId)) ?? [] {
            guard let end = orchestration.endedAt, end >= startedAt,
                  collected.insert("\(orchestration.id)@\(end.timeIntervalSince1970)").inserted else { continue }
            orchestrationQueue.append(orchestration)
        }
        if queue.count > maxQueuedSpans {
            droppedSpans += queue.count - maxQueuedSpans
            queue.removeFirst(queue.count - maxQueuedSpans)
        }
    }

    /// Sends queued spans in batches until the queue is empty or a send fails; failed
    /// spans stay queued for the next look. Returns whether everything went.
    @discardableResult
    func sendQueued(until deadline: ContinuousClock.Instant? = nil) async -> Bool {
        guard let session = try? await store.session(id: sessionId) else { return queue.isEmpty }
        while !queue.isEmpty || !orchestrationQueue.isEmpty {
            let batch = Array(queue.prefix(maxBatch))
            let orchestrations = orchestrationQueue
            let body = OTLPExporter.requestBody(session: session, workers: batch, orchestrations: orchestrations, root: nil)
            guard await post(body, spans: batch.count, until: deadline) else { return false }
            queue.removeFirst(batch.count)
            orchestrationQueue.removeFirst(orchestrations.count)
            sentSpans += batch.count + orchestrations.count
        }
        return true
    }

    /// One POST, abandoned after the endpoint's timeout (or the deadline, if sooner).
    private func post(_ body: Data, spans: Int, until deadline: ContinuousClock.Instant?) async -> Bool {
        var headers = [HTTPHeader(name: "Content-Type", value: "application/json")]
        headers += endpoint.headers.map { HTTPHeader(name: $0.name, value: $0.value) }
        let request = HTTPRequest(method: "POST", url: endpoint.tracesURL, headers: headers, body: body,
                                  connectTimeout: min(endpoint.timeout, 10), idleTimeout: max(endpoint.timeout, 1),
                                  maxResponseBytes: 1 << 20)
        let configured = Duration.milliseconds(Int(endpoint.timeout * 1000))
        let limit = deadline.map { min(configured, $0 - ContinuousClock.now) } ?? configured
        let client = self.client
        let outcome: Result<HTTPResponse, any Error> = await withTaskGroup(of: Result<HTTPResponse, any Error>?.self) { group in
            group.addTask {
                do { return .success(try await client.send(request)) } catch { return .failure(error) }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .failure(CancellationError())
        }
        switch outcome {
        case .success(let response) where (200..<300).contains(response.status):
            if failing { logger.info("live export: \(endpoint.tracesURL) accepts spans again") }
            failing = false
            return true
        case .success(let response):
            report("answered \(response.status): \(String(decoding: response.body.prefix(200), as: UTF8.self))")
            return false
        case .failure(let error):
            report(error is CancellationError ? "did not answer within \(limit)" : "\(error)")
            return false
        }
    }

    /// Logs the first failure of a run of them, not every retry.
    private func report(_ problem: String) {
        if !failing { logger.warning("live export: \(endpoint.tracesURL) \(problem); spans stay queued (up to \(maxQueuedSpans))") }
        failing = true
    }
}

extension OTLPLiveExporter {
    /// Starts an exporter for the session when the environment names a collector; logs
    /// why not when its settings cannot be used. The caller calls `finish` after the
    /// session closes and before the store does.
    public static func startIfConfigured(environment: [String: String], store: TraceStore, sessionId: String,
                                         logger: Logger) async -> OTLPLiveExporter? {
        let endpoint: OTLPEndpoint
        do {
            guard let configured = try OTLPEndpoint.fromEnvironment(environment) else { return nil }
            endpoint = configured
        } catch {
            logger.warning("\(error)")
            return nil
        }
        let exporter = OTLPLiveExporter(endpoint: endpoint, store: store, sessionId: sessionId, logger: logger, environment: environment)
        await exporter.start()
        return exporter
    }
}
