import Foundation
import Logging
import TraceStore

/// Writes one session's worker records, events and messages to the trace store strictly in
/// the order the session submits them. The store's async calls may start in any order when
/// issued from different tasks; funnelling them through one consumer keeps "running" from
/// ever landing after "succeeded", and lets the session go on without waiting for writes it
/// need not wait for.
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

    private typealias Item = (write: Write, done: CheckedContinuation<Void, any Error>?)

    private let continuation: AsyncStream<Item>.Continuation
    private let consumer: Task<Void, Never>

    init(store: TraceStore, logger: Logger) {
        let (stream, continuation) = AsyncStream<Item>.makeStream()
        self.continuation = continuation
        consumer = Task {
            for await item in stream {
                do {
                    try await Self.perform(item.write, on: store)
                    item.done?.resume()
                } catch {
                    logger.error("trace store write failed: \(error)")
                    item.done?.resume(throwing: error)
                }
            }
        }
    }

    /// Queues a write and returns at once.
    func submit(_ write: Write) {
        continuation.yield((write, nil))
    }

    /// Queues a write and returns once it is committed.
    func commit(_ write: Write) async throws {
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            if case .terminated = continuation.yield((write, done)) {
                done.resume(throwing: CancellationError())
            }
        }
    }

    /// Writes what is queued, then stops taking writes.
    func finish() async {
        continuation.finish()
        await consumer.value
    }

    private static func perform(_ write: Write, on store: TraceStore) async throws {
        switch write {
        case .insert(let worker): try await store.insertWorker(worker)
        case .update(let worker): try await store.updateWorker(worker)
        case .event(let event): store.append(event)
        case .messages(let messages): try await store.appendMessages(messages)
        case .terminal(let worker, let event): try await store.commitTerminal(worker, event: event)
        case .barrier: try await store.flush()
        }
    }
}
