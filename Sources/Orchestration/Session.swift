import BosunJSON
import BosunProtocol
import Config
import Foundation
import Logging
import Providers
import TraceStore
import Workers
import Synchronization
import Workspace

/// One orchestration session: its workers, their queue and slots, their waiters. Every
/// state change happens on this actor, and a terminal state reaches the store before any
/// response, notification or waiter hears of it (ARCHITECTURE.md, product guarantees).
/// It implements `SessionOperations`: the front ends reach it only through `BosunOperations`.
public actor Session: SessionOperations {
    public nonisolated let id: String
    /// Whether `open` found this session in the store.
    public nonisolated let resumed: Bool

    let environment: SessionEnvironment
    var scheduler: SessionScheduler { didSet { stateVersion &+= 1 } }
    var entries: [String: WorkerEntry] = [:] { didSet { stateVersion &+= 1 } }
    /// Worker ids in creation order.
    var order: [String] = [] { didSet { stateVersion &+= 1 } }
    /// The session's orchestrations by id, and their ids in creation order. A run's steps
    /// change its ledger on this actor and count each change in `stateVersion` themselves.
    var orchestrations: [String: OrchestrationRun] = [:] { didSet { stateVersion &+= 1 } }
    var orchestrationOrder: [String] = [] { didSet { stateVersion &+= 1 } }
    /// Stored orchestrations whose ledger this bosun cannot read, with why: `resume` says it.
    var unreadableLedgers: [String: String] = [:]
    /// Counts changes to the properties above, which are all `status` reads besides
    /// constants: a cached answer is good while this is unchanged.
    var stateVersion: UInt64 = 0 { didSet { readyStatus.withLock { $0 = nil } } }
    /// The whole-session `status` answer of the current state, once one was encoded:
    /// `readyStatusJSON` reads it from any thread, without a visit to the actor. Only the
    /// actor fills it (with the answer of the current `stateVersion`), and every change of
    /// the state empties it.
    let readyStatus = Mutex<EncodedJSON?>(nil)
    /// Workers whose layer a `changes`, `apply` or `discard` is working on right now.
    var reviewsInFlight: Set<String> = []
    /// For each worker, the queued workers that run `after` it.
    var dependants: [String: Set<String>] = [:]
    var clients: [String: any ModelClient] = [:]
    var waiters: [UInt64: Waiter] = [:]
    /// Each running worker's deadline, and the one timer that ends overdue runs.
    var deadlines: [String: WorkerDeadline] = [:]
    var deadlineTimer: (at: ContinuousClock.Instant, task: Task<Void, Never>)?
    var nextWaiterId: UInt64 = 0
    /// Asks waiting for an answer, by ask id (`Session+Asks`).
    var openAsks: [String: OpenAsk] = [:]
    /// Asks no longer pending, by ask id: how each closed, for a late answer's error.
    var closedAsks: [String: String] = [:]
    var closing = false
    /// `session.maxCostUSD` and what the session has spent, shared with every running loop,
    /// which charges and checks it around each model call.
    let budget: SessionBudget
    /// The calls a person answered `allow_always` for, not asked again in this session.
    let approvals = SessionApprovals()
    /// Answers requests other processes leave in the store (`Session+RemoteControl`).
    var remoteControlPoll: Task<Void, Never>?
    /// Whether the trace store has this session's row: a resumed one has, a new one gets it
    /// with its first worker (`sessionRecord`, written with that worker's insert).
    var isStored: Bool
    let sessionRecord: SessionRecord

    var config: BosunConfig { environment.config }
    /// Writes reach it in the order the actor makes them: deferred ones (`submit`) are
    /// committed within milliseconds, awaited ones after everything submitted before them.
    var store: TraceStore { environment.store }
    /// Where writing workers' layers live: beside the trace store, one directory per worker.
    var layersRoot: String { Layer.layersRoot(besideStore: store.path) }
    var logger: Logger { environment.logger }
    public var maxConcurrentWorkers: Int { scheduler.capacity }

    init(environment: SessionEnvironment, record: SessionRecord, resumed: Bool, entries loaded: [WorkerEntry],
         orchestrations ledgers: [OrchestrationLedger] = [], unreadableLedgers: [String: String] = [:]) {
        id = record.id
        self.resumed = resumed
        isStored = resumed
        sessionRecord = record
        self.environment = environment
        scheduler = SessionScheduler(capacity: record.maxConcurrentWorkers)
        budget = SessionBudget(limitUSD: environment.config.session.maxCostUSD,
                               spentUSD: loaded.reduce(0) { $0 + $1.totals.costUSD })
        for entry in loaded {
            entries[entry.id] = entry
            order.append(entry.id)
        }
        for ledger in ledgers {
            orchestrations[ledger.id] = OrchestrationRun(ledger)
            orchestrationOrder.append(ledger.id)
        }
        self.unreadableLedgers = unreadableLedgers
    }

    /// Opens session `resumeId` (or a new one, stored with its first worker): workers a
    /// crashed process left queued or running are marked `interrupted` (those with an ask
    /// still pending are `waiting`, and it is asked again), and every worker comes
    /// back with its last state. An id the store does not know is refused rather than
    /// silently started afresh.
    public static func open(_ environment: SessionEnvironment, resumeId: String?,
                            maxConcurrentWorkers: Int?) async throws -> Session {
        let cap = maxConcurrentWorkers ?? environment.config.session.maxConcurrentWorkers
        guard cap > 0 else {
            throw SessionError.invalidParams("initializationOptions.maxConcurrentWorkers",
                                             "maxConcurrentWorkers must be at least 1; got \(cap). Omit it for the default of 5.")
        }
        let store = environment.store
        // Held before it is read, so a prune running meanwhile leaves it whole.
        if let resumeId { try await store.holdSession(id: resumeId) }
        if let resumeId, try await store.session(id: resumeId) == nil {
            try? await store.releaseSession(id: resumeId)
            throw SessionError.invalidParams("initializationOptions.session", """
                initializationOptions.session: there is no session \(resumeId) in the trace store \(store.path). \
                Leave it out to start a new session, or list the stored ones with `bosun trace sessions`.
                """)
        }
        let record: SessionRecord
        let resumed: Bool
        if let resumeId {
            (record, resumed) = try await store.openSession(id: resumeId, workspaceRoot: environment.workspaceRoot,
                                                            maxConcurrentWorkers: cap)
        } else {
            // Not stored yet: a client that only looks (initialize, roles, status) leaves no
            // empty session behind, and `initialize` writes nothing. The first spawn stores it
            // with its worker and this process's lease on it.
            let now = Date()
            record = SessionRecord(id: TraceStore.makeSessionId(), createdAt: now, lastOpenedAt: now,
                                   workspaceRoot: environment.workspaceRoot, maxConcurrentWorkers: cap)
            resumed = false
        }
        var loaded: [WorkerEntry] = []
        var ledgers: [OrchestrationLedger] = []
        var unreadableLedgers: [String: String] = [:]
        var interrupted: Set<String> = []
        if resumed {
            interrupted = Set(try await store.markInterrupted(sessionId: record.id))
            for worker in try await store.workers(sessionId: record.id) {
                let lastSeq = try await store.lastSeq(workerId: worker.id)
                guard var entry = try? WorkerEntry(stored: worker, lastSeq: lastSeq) else {
                    environment.logger.warning("worker \(worker.id) has an unreadable brief; it is listed but cannot be resumed")
                    continue
                }
                // Its layer outlived the process: show what it holds.
                if let layer = Layer.existing(workerId: worker.id, layersRoot: Layer.layersRoot(besideStore: store.path)),
                   let summary = try? layer.summary() {
                    entry.changes = Worker.Changes(summary)
                }
                loaded.append(entry)
            }
            for stored in try await store.orchestrations(sessionId: record.id) {
                do {
                    ledgers.append(try StoredLedger.read(stored.ledgerJSON).ledger())
                } catch {
                    environment.logger.warning("orchestration \(stored.id) cannot be resumed: \(error)")
                    unreadableLedgers[stored.id] = error.description
                }
            }
        }
        let asks = resumed ? try await store.asks(sessionId: record.id) : []
        let session = Session(environment: environment, record: record, resumed: resumed, entries: loaded, orchestrations: ledgers,
                              unreadableLedgers: unreadableLedgers)
        if resumed { session.approvals.allowAlways(digests: try await store.sessionRules(sessionId: record.id)) }
        await session.recordInterruptions(of: interrupted)
        await session.reopenAsks(asks)
        await session.interruptOrchestrations()
        await session.startRemoteControlPoll()
        return session
    }

    /// The store marked these workers `interrupted` without a reason or an event: read back,
    /// each has its reason (`WorkerFailure.interrupted`), which is stored with its event.
    private func recordInterruptions(of ids: Set<String>) {
        for id in order where ids.contains(id) {
            guard var entry = entries[id], let end = entry.phase.end else { continue }
            let event = entry.endEvent(end).record
            entries[id] = entry
            store.submit(.workerProgress(entry.record))
            store.submit(.event(event))
        }
    }

    /// Ends the session: queued and running workers are committed as `interrupted`
    /// (resumable by `steer` after a restart), waiting ones stay `waiting` with their asks
    /// pending (asked again on resume), then every pending write is flushed.
    public func close() async {
        guard !closing else { return }
        closing = true
        stopRemoteControlPoll()
        interruptOrchestrations()
        suspendAsks()
        for id in order {
            guard let activity = entries[id]?.activity, activity != .waiting else { continue }
            await end(id, run: nil, .interrupted(.interrupted))
        }
        for (waiterId, _) in waiters { releaseWaiter(waiterId) }
        stopDeadlineTimer()
        do {
            try await store.flush()
            if isStored { try await store.releaseSession(id: id) }
        } catch {
            logger.error("the session's last writes did not reach the trace store: \(error)")
        }
    }

    // MARK: - Read-only methods

    public func status(_ params: StatusParams) throws -> StatusResult {
        if let workerId = params.workerId {
            guard let entry = entries[workerId] else { throw SessionError.unknownWorker(workerId) }
            return .worker(entry.view(queuePosition: scheduler.queuePosition(of: workerId), includeResult: true))
        }
        var counts = Dictionary(uniqueKeysWithValues: WorkerState.allCases.map { ($0.rawValue, 0) })
        var usage = WorkerUsage()
        let positions = scheduler.queuePositions()
        var workers: [Worker] = []
        workers.reserveCapacity(order.count)
        for id in order {
            guard let entry = entries[id] else { continue }
            counts[entry.state.rawValue, default: 0] += 1
            usage = usage + entry.usage
            workers.append(entry.summary(queuePosition: positions[id]))
        }
        let summary = SessionStatus.Summary(id: id, maxConcurrentWorkers: scheduler.capacity, counts: counts,
                                            maxCostUSD: config.session.maxCostUSD)
        let orchestrations = orchestrationOrder.compactMap { self.orchestrations[$0]?.ledger.summary }
        return .session(SessionStatus(session: summary, usage: usage, workers: workers,
                                      orchestrations: orchestrations.isEmpty ? nil : orchestrations))
    }

    /// `status` as the JSON the client gets. The whole-session answer is reused while the
    /// state is unchanged: clients poll it, and writing every worker's view is most of what
    /// a poll costs. A fresh answer is written off the actor, which is held only while the
    /// views are built, as it was before there was a cache; each ended worker's outcome is
    /// spliced from the text written when it ended (`StatusResult.writtenJSON`).
    public nonisolated func statusJSON(_ params: StatusParams) async throws -> EncodedJSON {
        switch try await statusSnapshot(params) {
        case .cached(let json):
            return json
        case .fresh(let result, let version):
            let json = try result.writtenJSON()
            if let version { await cacheStatus(json, shows: version) }
            return json
        }
    }

    enum StatusSnapshot: Sendable {
        case cached(EncodedJSON)
        /// `version` is the state shown, for a whole-session answer (worth caching).
        case fresh(StatusResult, version: UInt64?)
    }

    private func statusSnapshot(_ params: StatusParams) throws -> StatusSnapshot {
        guard params.workerId == nil else { return .fresh(try status(params), version: nil) }
        if let json = readyStatus.withLock({ $0 }) { return .cached(json) }
        return .fresh(try status(params), version: stateVersion)
    }

    /// Keeps an answer unless the state moved on while it was being encoded.
    private func cacheStatus(_ json: EncodedJSON, shows version: UInt64) {
        if version == stateVersion { readyStatus.withLock { $0 = json } }
    }

    /// The whole-session `status` answer when the session has it encoded for the current
    /// state, read without waiting for the actor; nil for one worker, or after a change.
    public nonisolated func readyStatusJSON(_ params: StatusParams) -> EncodedJSON? {
        params.workerId == nil ? readyStatus.withLock { $0 } : nil
    }

    public func trace(_ params: TraceParams) async throws -> TraceResult {
        if let workerId = params.workerId, entries[workerId] == nil, orchestrations[workerId] == nil {
            throw SessionError.unknownWorker(workerId)
        }
        if let afterSeq = params.afterSeq, afterSeq < 0 {
            throw SessionError.invalidParams("afterSeq", "afterSeq must be 0 or more; got \(afterSeq).")
        }
        let limit = params.limit ?? 1000
        guard (1...10_000).contains(limit) else {
            throw SessionError.invalidParams("limit", "limit must be between 1 and 10000; got \(limit). Page with afterSeq.")
        }
        let records = try await store.events(sessionId: id, workerId: params.workerId,
                                                         afterSeq: params.afterSeq, limit: limit)
        let events = records.compactMap { record -> TraceEvent? in
            let at = WireTime.string(record.at)
            guard !TraceEvent.isOrchestration(record.workerId) else {
                return .orchestration(OrchestrationEvent(orchestrationId: record.workerId, seq: record.seq, kind: record.kind,
                                                         at: at, data: (try? JSONValue.parse(record.dataJSON)) ?? .string(record.dataJSON)))
            }
            guard let kind = WorkerEventKind(rawValue: record.kind) else {
                logger.warning("trace leaves out event \(record.seq) of \(record.workerId): its kind \(record.kind) is unknown")
                return nil
            }
            do {
                let data = try WorkerEventData(kind: kind, json: JSONValue.parse(record.dataJSON))
                return .worker(WorkerEvent(workerId: record.workerId, seq: record.seq, at: at, data: data))
            } catch {
                logger.warning("trace leaves out event \(record.seq) of \(record.workerId): \(error)")
                return nil
            }
        }
        return TraceResult(events: events)
    }

    public func roles() -> RolesResult {
        RolesResult(roles: config.roleSummaries().map { role in
            Role(name: role.name, description: role.description, model: role.model, tools: role.tools,
                 permissions: Role.Permissions(write: role.permissions.write, exec: role.permissions.exec,
                                               spawn: role.permissions.spawn),
                 limits: Role.Limits(timeoutSeconds: role.limits.timeoutSeconds, maxSteps: role.limits.maxSteps,
                                     maxTokens: role.limits.maxTokens, maxCostUSD: role.limits.maxCostUSD),
                 source: role.source,
                 approval: role.approval.map { ApprovalParams(allow: $0.allow, ask: $0.ask, deny: $0.deny, default: $0.default) })
        })
    }

    // MARK: - Shared helpers

    func requireEntry(_ workerId: String, field: String = "workerId") throws -> WorkerEntry {
        guard let entry = entries[workerId] else { throw SessionError.unknownWorker(workerId, field: field) }
        return entry
    }

    func view(_ workerId: String) -> Worker? {
        entries[workerId]?.view(queuePosition: scheduler.queuePosition(of: workerId), includeResult: true)
    }

    /// The client for a provider, made once per session.
    func client(forProvider name: String) throws -> any ModelClient {
        if let client = clients[name] { return client }
        let client = try environment.clientForProvider(name)
        clients[name] = client
        return client
    }
}

extension WorkerFailure {
    static let interrupted = WorkerFailure(code: .interrupted, message: """
        The server stopped while this worker was queued or running. Steer it to resume its own conversation.
        """)
}
