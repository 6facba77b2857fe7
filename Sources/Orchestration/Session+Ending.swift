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
    /// worker already ending or ended.
    func end(_ workerId: String, run: Int?, state: WorkerState, result: WorkerResult? = nil,
             failure: WorkerFailure? = nil) async {
        guard var entry = entries[workerId], !entry.ending, !entry.state.isTerminal else { return }
        if let run, entry.run != run { return }
        if let run, recover(workerId, run: run, state: state, failure: failure) { return }
        let wasRunning = entry.state == .running
        entry.ending = true
        entry.loopTask?.cancel()
        entry.loopTask = nil
        entry.slotWaiter?.resume()
        entry.slotWaiter = nil
        disarmDeadline(workerId)
        if !wasRunning { scheduler.removeFromQueue(workerId) }

        var record = entry.record
        record.state = state.rawValue
        record.endedAt = Date()
        record.resultJSON = result.map(JSONText.string)
        record.errorJSON = failure.map(JSONText.string)
        entry.lastSeq += 1
        let data = WorkerEventData.ended(.init(state: state, steps: record.steps, costUSD: record.costUSD,
                                               result: result, error: failure))
        let event = EventRecord(sessionId: id, workerId: workerId, seq: entry.lastSeq, kind: data.kind.rawValue,
                                at: record.endedAt ?? Date(), dataJSON: JSONText.string(data.json))
        entries[workerId] = entry

        do {
            try await store.commitTerminal(record, event: event)
        } catch {
            logger.error("worker \(workerId) ended \(state.rawValue) but the store did not take it: \(error)")
        }

        entry = entries[workerId] ?? entry
        entry.record = record
        entry.ending = false
        let hasPendingSteers = !entry.inbox.isEmpty
        if state == .cancelled || state == .interrupted { _ = entry.inbox.takeAll() }
        entries[workerId] = entry
        if wasRunning { scheduler.release(workerId) }
        send(event, data: data)
        endProgress(workerId, state: state, failure: failure)
        resolveWaiters()
        await settleDependants(of: workerId, state: state, failure: failure)
        if hasPendingSteers, state != .cancelled, state != .interrupted, !closing {
            // A steer arrived during the run's last step: it was promised delivery, so the
            // worker resumes with it rather than dropping it.
            requeue(workerId)
        }
        pump()
    }

    /// Unblocks the workers waiting on `workerId`, or fails them if it did not succeed.
    private func settleDependants(of workerId: String, state: WorkerState, failure: WorkerFailure?) async {
        guard let waiting = dependants.removeValue(forKey: workerId) else { return }
        for dependant in waiting.sorted() {
            guard var entry = entries[dependant], entry.state == .queued, !entry.ending else { continue }
            if state == .succeeded {
                entry.waitingOn.remove(workerId)
                entries[dependant] = entry
                if entry.waitingOn.isEmpty { scheduler.unblock(dependant) }
            } else {
                await end(dependant, run: nil, state: .failed,
                          failure: .dependencyFailed(workerId, state: state, failure: failure))
            }
        }
    }

    /// Puts an ended worker back on the queue to resume its conversation with its inbox,
    /// in the `place` promised to it if any.
    func requeue(_ workerId: String, place: SessionScheduler.QueuePlace? = nil) {
        guard var entry = entries[workerId], entry.state.isTerminal, !entry.ending else {
            if let place { scheduler.giveBack(place) }
            return
        }
        entry.record.state = WorkerState.queued.rawValue
        entry.record.endedAt = nil
        entry.record.resultJSON = nil
        entry.record.errorJSON = nil
        entries[workerId] = entry
        store.submit(.workerProgress(entry.record))
        scheduler.enqueue(workerId, priority: entry.record.priority, place: place)
        emit(workerId, .requeued(position: scheduler.queuePosition(of: workerId) ?? 0, priority: entry.record.priority))
        beginProgress(workerId)
    }
}
