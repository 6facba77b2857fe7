import BosunJSON
import Foundation
import TraceStore
import Workers

extension Session {
    /// Stores a non-terminal event with the worker's next seq and sends it to the client.
    func emit(_ workerId: String, kind: String, data: JSONValue) {
        // Changed in place: copying the whole entry out and back costs more than the event.
        guard let index = entries.index(forKey: workerId) else { return }
        entries.values[index].lastSeq += 1
        let seq = entries.values[index].lastSeq
        let event = EventRecord(sessionId: id, workerId: workerId, seq: seq, kind: kind, at: Date(),
                                dataJSON: JSONText.string(data))
        store.submit(.event(event))
        send(event, data: data)
    }

    /// Sends an already committed event (a terminal one) to the client.
    func send(_ event: EventRecord, data: JSONValue) {
        let isTerminal = WorkerState(rawValue: event.kind)?.isTerminal ?? false
        let wanted: Bool
        switch environment.events {
        case .all: wanted = true
        case .terminal: wanted = isTerminal
        case .none: wanted = false
        }
        guard wanted else { return }
        // Droppable unless terminal: a client that was not reading still learns how each
        // worker ended, and can fetch the rest with `trace`.
        environment.notify("worker/event", [
            "workerId": .string(event.workerId),
            "seq": .int(Int64(event.seq)),
            "kind": .string(event.kind),
            "at": .string(WireTime.string(event.at)),
            "data": data,
        ], !isTerminal)
    }

    // MARK: - $/progress on a spawn's workDoneToken

    func beginProgress(_ workerId: String) {
        guard let entry = entries[workerId], let token = entry.spec.workDoneToken else { return }
        environment.notify("$/progress", ["token": token, "value": [
            "kind": "begin",
            "title": .string("bosun \(entry.record.role) \(workerId)"),
            "message": .string("queued: \(entry.record.task)"),
            "cancellable": false,
        ]], false)
    }

    func reportProgress(_ workerId: String, message: String) {
        guard let index = entries.index(forKey: workerId), let token = entries.values[index].spec.workDoneToken else { return }
        environment.notify("$/progress", ["token": token, "value": ["kind": "report", "message": .string(message)]], true)
    }

    func endProgress(_ workerId: String, state: WorkerState, failure: WorkerFailure?) {
        guard let token = entries[workerId]?.spec.workDoneToken else { return }
        let message = failure.map { "\(state.rawValue): \($0.message)" } ?? state.rawValue
        environment.notify("$/progress", ["token": token, "value": ["kind": "end", "message": .string(message)]], false)
    }
}
