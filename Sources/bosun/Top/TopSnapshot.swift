import BosunProtocol
import Foundation
import TraceStore
import Workspace

/// What `bosun top` shows at one moment: a session's workers as the store has them, read
/// by a process other than the one running them.
struct TopSnapshot {
    struct Row {
        var worker: WorkerRecord
        /// The worker's timeout from its stored brief, when it has one.
        var timeoutSeconds: Double?
        /// 1 for the next worker to start; nil when not queued.
        var queuePosition: Int?
        /// A writing worker's layer, as `Worker.changes` shows it: its review state, the files
        /// it changed and how many ignored ones; nil for a worker without one.
        var changes: LayerSummary?
        /// The ask it waits on (the oldest pending one), with when it was stored.
        var pendingAsk: Ask?
        /// Time spent waiting for answers: the asks answered, and the pending one up to now.
        var answeredWaitMs = 0
        var pendingSince: Date?

        /// Time spent waiting for answers, up to now for a pending ask.
        func waited(at now: Date) -> TimeInterval {
            Double(answeredWaitMs) / 1000 + (pendingSince.map { max(now.timeIntervalSince($0), 0) } ?? 0)
        }

        /// Waiting time for a queued worker; otherwise running time, up to now while it runs,
        /// without the time it waited for answers (its timeout clock stops then too).
        func elapsed(at now: Date) -> TimeInterval {
            if worker.state == "queued" && worker.startedAt == nil { return max(now.timeIntervalSince(worker.createdAt), 0) }
            let start = worker.startedAt ?? worker.createdAt
            return max((worker.endedAt ?? now).timeIntervalSince(start) - waited(at: now), 0)
        }
    }

    var session: SessionRecord?
    var rows: [Row]
    var takenAt: Date
    /// The store read, to say which one has no sessions yet.
    var storePath: String

    var totalCostUSD: Double { rows.reduce(0) { $0 + $1.worker.costUSD } }
    var totalTokens: Int { rows.reduce(0) { $0 + $1.worker.inputTokens + $1.worker.outputTokens } }

    func count(_ state: String) -> Int { rows.filter { $0.worker.state == state }.count }

    /// Reads session `sessionId`, or the most recently opened one. `timeouts` caches each
    /// worker's timeout, which never changes once its brief is stored.
    static func load(from store: TraceStore, sessionId: String?, timeouts: inout [String: Double]) async throws -> TopSnapshot {
        let now = Date()
        let session: SessionRecord?
        if let sessionId {
            guard let found = try await store.session(id: sessionId) else { throw TraceStoreError.missingSession(id: sessionId) }
            session = found
        } else {
            session = try await store.sessions().first
        }
        guard let session else { return TopSnapshot(session: nil, rows: [], takenAt: now, storePath: store.path) }
        let workers = try await store.workers(sessionId: session.id)
        // The queue's order as the scheduler keeps it: higher priority first, then first come.
        let queued = workers.filter { $0.state == "queued" }
            .enumerated().sorted { ($0.element.priority, -$0.offset) > ($1.element.priority, -$1.offset) }
        var positions: [String: Int] = [:]
        for (position, entry) in queued.enumerated() { positions[entry.element.id] = position + 1 }
        // Layers live beside the store, one directory per writing worker.
        let layersRoot = Layer.layersRoot(besideStore: store.path)
        let layered = Set(Layer.workerIds(layersRoot: layersRoot))
        let asks = Dictionary(grouping: try await store.asks(sessionId: session.id), by: \.workerId)
        let rows = workers.map { worker in
            if timeouts[worker.id] == nil, let timeout = timeoutSeconds(ofBrief: worker.briefJSON) { timeouts[worker.id] = timeout }
            let layer = layered.contains(worker.id) ? Layer.existing(workerId: worker.id, layersRoot: layersRoot) : nil
            let summary = try? layer?.summary()
            var row = Row(worker: worker, timeoutSeconds: timeouts[worker.id], queuePosition: positions[worker.id],
                          changes: summary)
            row.note(asks[worker.id] ?? [])
            return row
        }
        return TopSnapshot(session: session, rows: rows, takenAt: now, storePath: store.path)
    }

    /// `limits.timeoutSeconds` of a stored brief (the spec `spawn` resolved).
    static func timeoutSeconds(ofBrief json: String) -> Double? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let limits = object["limits"] as? [String: Any] else { return nil }
        return (limits["timeoutSeconds"] as? NSNumber)?.doubleValue
    }
}

extension TopSnapshot.Row {
    /// Takes in the worker's asks: the time the answered ones waited, and the oldest pending
    /// one while the worker waits (a worker that ended waits for nothing).
    mutating func note(_ asks: [AskRecord]) {
        answeredWaitMs = asks.compactMap(\.waitedMs).reduce(0, +)
        guard !worker.isTerminal, let pending = asks.first(where: \.isPending) else { return }
        pendingSince = pending.createdAt
        pendingAsk = try? JSONDecoder().decode(Ask.self, from: Data(pending.askJSON.utf8))
    }
}

/// Spend over time from the snapshots `top` has taken: the cost added over the last minute
/// (or since `top` started), per minute.
struct BurnRate {
    /// The session the samples are of; a new session starts a new rate.
    var sessionId: String?
    private var samples: [(at: Date, costUSD: Double)] = []
    let window: TimeInterval = 60

    init(sessionId: String?) { self.sessionId = sessionId }

    mutating func add(_ snapshot: TopSnapshot) {
        samples.append((snapshot.takenAt, snapshot.totalCostUSD))
        samples.removeAll { snapshot.takenAt.timeIntervalSince($0.at) > window }
    }

    /// USD per minute; nil until two samples a second apart exist.
    var perMinute: Double? {
        guard let first = samples.first, let last = samples.last else { return nil }
        let span = last.at.timeIntervalSince(first.at)
        guard span >= 1 else { return nil }
        return max(last.costUSD - first.costUSD, 0) / span * 60
    }
}
