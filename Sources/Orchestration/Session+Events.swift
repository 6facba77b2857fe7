import BosunJSON
import BosunProtocol
import Foundation
import TraceStore
import Workers

extension Session {
    /// Stores a non-terminal event with the worker's next seq and sends it to the front end.
    func emit(_ workerId: String, _ data: WorkerEventData) {
        // Changed in place: copying the whole entry out and back costs more than the event.
        guard let index = entries.index(forKey: workerId) else { return }
        let seq = inPlace(index) { entry in
            entry.lastSeq += 1
            return entry.lastSeq
        }
        let event = EventRecord(sessionId: id, workerId: workerId, seq: seq, kind: data.kind.rawValue, at: Date(),
                                dataJSON: JSONText.string(data.json))
        store.submit(.event(event))
        send(event, data: data)
    }

    /// Reads or changes the entry at `index` where it is: `entries.values[index].field` copies
    /// the whole entry (every string and array of it retained and released) to read one field,
    /// which a report does several times per model step.
    func inPlace<T>(_ index: Dictionary<String, WorkerEntry>.Index, _ body: (inout WorkerEntry) -> T) -> T {
        body(&entries.values[index])
    }

    /// The worker's next event, its seq taken now, for a caller that stores it with other
    /// writes (an ask, its answer) and then `send`s it.
    func reserveEvent(_ workerId: String, _ data: WorkerEventData) -> EventRecord? {
        guard let index = entries.index(forKey: workerId) else { return nil }
        entries.values[index].lastSeq += 1
        return EventRecord(sessionId: id, workerId: workerId, seq: entries.values[index].lastSeq, kind: data.kind.rawValue,
                           at: Date(), dataJSON: JSONText.string(data.json))
    }

    /// Sends an event to the front end; a terminal one only once it is committed. The front
    /// end may drop a non-terminal one (`SessionEvent.isDroppable`): a client that was not
    /// reading still learns how each worker ended, and can fetch the rest with `trace`. The
    /// data goes with its stored text (`data.json` as written once), which a front end may
    /// send as it is. An event the front end does not pass on is not made at all.
    func send(_ event: EventRecord, data: WorkerEventData) {
        guard environment.workerEvents.needs(data.kind) else { return }
        environment.events(.worker(WorkerEvent(workerId: event.workerId, seq: event.seq, at: WireTime.string(event.at),
                                               data: data, dataJSON: event.dataJSON)))
    }

    // MARK: - Progress on a spawn's progress token

    func beginProgress(_ workerId: String) {
        guard let entry = entries[workerId], let token = entry.spec.workDoneToken else { return }
        environment.events(.progress(WorkerProgress(
            token: token, workerId: workerId, stage: .begin(title: "bosun \(entry.role) \(workerId)"),
            message: "queued: \(entry.task)", steps: entry.totals.steps, maxSteps: entry.spec.limits.maxSteps)))
    }

    func reportProgress(_ workerId: String, message: String) {
        guard let index = entries.index(forKey: workerId), let token = inPlace(index, { $0.spec.workDoneToken }) else { return }
        let entry = entries.values[index]
        environment.events(.progress(WorkerProgress(
            token: token, workerId: workerId, stage: .report, message: message,
            steps: entry.totals.steps, maxSteps: entry.spec.limits.maxSteps)))
    }

    func endProgress(_ workerId: String, state: WorkerState, failure: WorkerFailure?) {
        guard let entry = entries[workerId], let token = entry.spec.workDoneToken else { return }
        let message = failure.map { "\(state.rawValue): \($0.message)" } ?? state.rawValue
        environment.events(.progress(WorkerProgress(
            token: token, workerId: workerId, stage: .end(state), message: message,
            steps: entry.totals.steps, maxSteps: entry.spec.limits.maxSteps)))
    }
}
