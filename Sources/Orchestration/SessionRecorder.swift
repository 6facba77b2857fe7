import Foundation
import Logging
import Synchronization
import TraceStore

/// Writes one session's worker records, events and messages to the trace store strictly in
/// the order the session submits them. The store's async calls may start in any order when
/// issued from different tasks; funnelling them through one consumer keeps "running" from
/// ever landing after "succeeded", and lets the session go on without waiting for writes it
/// need not wait for.
///
/// The consumer takes everything queued at once (letting writes nobody waits for gather for
/// a few milliseconds) and saves transactions where order cannot matter: a worker row superseded by a later row of the same worker in the batch is not
/// written, and each run of row updates, events and messages goes in one transaction.
final class SessionRecorder: Sendable {
    enum Write: Sendable {
        case insert(WorkerRecord)
        case update(WorkerRecord)
        case event(EventRecord)
        case messages([MessageRecord])
        /// The worker row and its terminal event, in one transaction.
        case terminal(WorkerRecord, EventRecord)
        /// Everything submitted before it is in the store (events included).
        case barrier
    }

    private struct Item: Sendable {
        var write: Write
        var done: CheckedContinuation<Void, any Error>?
    }

    private struct Queue: Sendable {
        var items: [Item] = []
        var consumer: CheckedContinuation<[Item], Never>?
        /// The consumer's gathering pause, cut short by a write someone waits for.
        var gathering: Task<Void, Never>?
        var finished = false
    }

    /// Shared with the consumer task.
    private final class Shared: Sendable {
        let queue = Mutex(Queue())
    }

    private let shared = Shared()
    private let consumer: Task<Void, Never>

    init(store: TraceStore, logger: Logger) {
        let shared = self.shared
        consumer = Task {
            while true {
                var batch = await Self.nextBatch(shared)
                if batch.isEmpty { return }
                if !batch.contains(where: { $0.done != nil }) {
                    // Nobody waits on these: let a few milliseconds of writes gather, so one
                    // step's row and messages (and other workers') share transactions. A write
                    // someone waits for ends the wait at once.
                    await Self.gather(shared)
                    batch += Self.takeQueued(shared)
                }
                await Self.write(batch, to: store, logger: logger)
            }
        }
    }

    /// Queues a write and returns at once.
    func submit(_ write: Write) {
        enqueue(Item(write: write, done: nil))
    }

    /// Queues a write and returns once it is committed.
    func commit(_ write: Write) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            enqueue(Item(write: write, done: done))
        }
    }

    /// Writes what is queued, then stops taking writes.
    func finish() async {
        let waiting = shared.queue.withLock { queue in
            queue.finished = true
            defer { queue.consumer = nil }
            return queue.consumer
        }
        waiting?.resume(returning: [])
        await consumer.value
    }

    private func enqueue(_ item: Item) {
        let (waiting, refused) = shared.queue.withLock { queue -> (CheckedContinuation<[Item], Never>?, Bool) in
            guard !queue.finished else { return (nil, true) }
            if let consumer = queue.consumer {
                queue.consumer = nil
                return (consumer, false)
            }
            queue.items.append(item)
            if item.done != nil { queue.gathering?.cancel() }
            return (nil, false)
        }
        if refused {
            item.done?.resume(throwing: CancellationError())
        } else {
            waiting?.resume(returning: [item])
        }
    }

    /// How long writes nobody waits for may wait to share a transaction. The store batches
    /// events the same way; a `kill -9` can lose at most this much unacknowledged progress.
    static let gatherWindow = Duration.milliseconds(3)

    private static func gather(_ shared: Shared) async {
        let sleeper = Task { _ = try? await Task.sleep(for: gatherWindow) }
        let awaited = shared.queue.withLock { queue in
            queue.gathering = sleeper
            return queue.items.contains { $0.done != nil }
        }
        if awaited { sleeper.cancel() }
        await sleeper.value
        shared.queue.withLock { $0.gathering = nil }
    }

    private static func takeQueued(_ shared: Shared) -> [Item] {
        shared.queue.withLock { queue in
            defer { queue.items = [] }
            return queue.items
        }
    }

    /// Everything queued, waiting for the first write if there is none; empty once finished.
    private static func nextBatch(_ shared: Shared) async -> [Item] {
        await withCheckedContinuation { (continuation: CheckedContinuation<[Item], Never>) in
            let ready: [Item]? = shared.queue.withLock { queue in
                if !queue.items.isEmpty {
                    defer { queue.items = [] }
                    return queue.items
                }
                if queue.finished { return [] }
                queue.consumer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private static func write(_ batch: [Item], to store: TraceStore, logger: Logger) async {
        // The last row written for each worker in the batch; earlier plain updates are skipped.
        var lastRow: [String: Int] = [:]
        for (index, item) in batch.enumerated() {
            switch item.write {
            case .update(let worker), .terminal(let worker, _), .insert(let worker): lastRow[worker.id] = index
            default: break
            }
        }
        // Runs of updates, events and messages go in one transaction together (a step's
        // usual writes); inserts, terminal commits and barriers keep their own, in order.
        var run: [(index: Int, item: Item)] = []
        for (index, item) in batch.enumerated() {
            switch item.write {
            case .update, .event, .messages:
                run.append((index, item))
                continue
            default:
                break
            }
            await writeRun(run, lastRow: lastRow, to: store, logger: logger)
            run = []
            do {
                switch item.write {
                case .insert(let worker): try await store.insertWorker(worker)
                case .terminal(let worker, let event): try await store.commitTerminal(worker, event: event)
                case .barrier: try await store.flush()
                case .update, .event, .messages: break
                }
                item.done?.resume()
            } catch {
                logger.error("trace store write failed: \(error)")
                item.done?.resume(throwing: error)
            }
        }
        await writeRun(run, lastRow: lastRow, to: store, logger: logger)
    }

    /// One transaction for the run's rows and messages (and the events already appended to
    /// the store). If it fails, each write is retried on its own, so one bad row loses
    /// nothing else and each waiter hears about its own write.
    private static func writeRun(_ run: [(index: Int, item: Item)], lastRow: [String: Int], to store: TraceStore,
                                 logger: Logger) async {
        guard !run.isEmpty else { return }
        var events: [EventRecord] = []
        var workers: [WorkerRecord] = []
        var messages: [MessageRecord] = []
        for (index, item) in run {
            switch item.write {
            case .event(let event): events.append(event)
            case .update(let worker) where lastRow[worker.id] == index: workers.append(worker)
            case .messages(let records): messages += records
            default: break
            }
        }
        do {
            try await store.recordProgress(events: events, workers: workers, messages: messages)
            for (_, item) in run { item.done?.resume() }
            return
        } catch {
            logger.debug("trace store: a step's combined write failed (\(error)); writing its parts one by one")
        }
        for (index, item) in run {
            do {
                switch item.write {
                case .update(let worker) where lastRow[worker.id] == index: try await store.updateWorker(worker)
                case .messages(let records): try await store.appendMessages(records)
                case .event(let event): store.append(event)
                default: break
                }
                item.done?.resume()
            } catch {
                logger.error("trace store write failed: \(error)")
                item.done?.resume(throwing: error)
            }
        }
    }
}
