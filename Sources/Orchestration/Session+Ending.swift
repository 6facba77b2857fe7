import BosunJSON
import BosunProtocol
import Foundation
import TraceStore
import Workers

extension Session {
    /// Ends a worker: stops its run, commits the terminal state with its event (which also
    /// drops the paths it claimed), and only then frees its slot, notifies, wakes waiters,
    /// settles its dependants and admits the next worker. `run` nil ends whatever run is
    /// current (cancel, shutdown); a stale run's outcome is ignored, as is anything for a
    /// worker already ending or ended. The outcome's JSON is written here, once, for the
    /// store's row and the terminal event.
    func end(_ workerId: String, run: Int?, _ outcome: WorkerEnd.Outcome) async {
        guard var entry = entries[workerId], let activity = entry.activity else { return }
        if let run, entry.run != run { return }
        if let run, recover(workerId, run: run, outcome) { return }
        let wasRunning = activity == .running
        let end = WorkerEnd(outcome, at: Date())
        entry.phase = .ending(end, from: activity)
        entry.loopTask?.cancel()
        entry.loopTask = nil
        entry.slotWaiter?.resume()
        entry.slotWaiter = nil
        disarmDeadline(workerId)
        withdrawAsks(of: workerId)
        entry.pendingAsks = []
        if !wasRunning { scheduler.removeFromQueue(workerId) }

        let (data, event) = entry.endEvent(end)
        entries[workerId] = entry
        var ended = entry
        ended.phase = .ended(end)

        guard await commitEnd(ended.record, event: event) else { return }

        entry = entries[workerId] ?? entry
        entry.phase = .ended(end)
        let hasPendingSteers = !entry.inbox.isEmpty
        let keepsSteers = outcome.keepsSteers
        if !keepsSteers { _ = entry.inbox.takeAll() }
        entries[workerId] = entry
        if wasRunning { scheduler.release(workerId) }
        send(event, data: data)
        passAsksOn(ofChildrenOf: workerId)
        endProgress(workerId, state: outcome.state, failure: outcome.failure)
        resolveWaiters(after: workerId)
        await settleDependants(of: workerId, outcome)
        if hasPendingSteers, keepsSteers, !closing {
            // A steer arrived during the run's last step: it was promised delivery, so the
            // worker resumes with it rather than dropping it.
            requeue(workerId)
        }
        pump()
    }

    /// The longest pause between two attempts to commit an end the store cannot take.
    static let endRetryCeiling: Duration = .seconds(5)
    /// How many attempts a closing session gives an end before it leaves the worker as the
    /// store last had it (the next session that opens it marks it `interrupted`).
    static let endAttemptsWhileClosing = 3

    /// Commits a worker's end, waiting out a store that cannot take it for a reason that may
    /// pass (its disk is full, another process holds the lock), with backoff: no one hears of
    /// an end the store does not hold. Meanwhile the worker keeps its slot and shows as it
    /// was, and the session goes on answering. Returns false when the session closes first:
    /// then the end is never reported.
    private func commitEnd(_ record: WorkerRecord, event: EventRecord) async -> Bool {
        var pause: Duration = .milliseconds(100)
        var attempts = 0
        func neverCommitted() -> Bool {
            logger.error("worker \(record.id): its end was never committed; the next session that opens \(id) marks it interrupted")
            return false
        }
        while true {
            do {
                try await store.commitTerminal(record, event: event)
                if attempts > 0 { logger.notice("worker \(record.id): its end is committed after \(attempts) failed attempts") }
                return true
            } catch let error as TraceStoreError where error.mayPass {
                attempts += 1
                if attempts == 1 {
                    logger.error("""
                        worker \(record.id) ended \(record.state), but the trace store cannot take it: \(error) \
                        It is reported only once committed; retrying.
                        """)
                }
                if closing, attempts >= Self.endAttemptsWhileClosing { return neverCommitted() }
                await Self.pauseIgnoringCancellation(pause)
                pause = min(pause * 2, Self.endRetryCeiling)
            } catch TraceStoreError.closed {
                // The session closed its store while this end waited for another attempt.
                return neverCommitted()
            } catch {
                logger.error("worker \(record.id) ended \(record.state) but the store did not take it: \(error)")
                return true
            }
        }
    }

    /// A pause that a cancelled caller (a cancelled request ending its worker) still waits out.
    private static func pauseIgnoringCancellation(_ duration: Duration) async {
        await Task.detached { try? await Task.sleep(for: duration) }.value
    }

    /// Unblocks the workers waiting on `workerId`, or fails them if it did not succeed.
    private func settleDependants(of workerId: String, _ outcome: WorkerEnd.Outcome) async {
        guard let waiting = dependants.removeValue(forKey: workerId) else { return }
        for dependant in waiting.sorted() {
            guard var entry = entries[dependant], entry.activity == .queued else { continue }
            if case .succeeded = outcome {
                entry.waitingOn.remove(workerId)
                entries[dependant] = entry
                if entry.waitingOn.isEmpty { scheduler.unblock(dependant) }
            } else {
                await end(dependant, run: nil, .failed(.dependencyFailed(workerId, outcome)))
            }
        }
    }

    /// Puts an ended worker back on the queue to resume its conversation with its inbox,
    /// in the `place` promised to it if any.
    func requeue(_ workerId: String, place: SessionScheduler.QueuePlace? = nil) {
        guard var entry = entries[workerId], entry.hasEnded else {
            if let place { scheduler.giveBack(place) }
            return
        }
        entry.phase = .active(.queued)
        entries[workerId] = entry
        store.submit(.workerProgress(entry.record))
        scheduler.enqueue(workerId, priority: entry.priority, place: place)
        emit(workerId, .requeued(position: scheduler.queuePosition(of: workerId) ?? 0, priority: entry.priority))
        beginProgress(workerId)
    }
}
