import BosunJSON

/// A session event as bosun/1 sends it: `worker/event`, `orchestration/event` or `$/progress`, and whether the
/// writer may drop it while the client is not reading.
public struct BosunNotification: Sendable, Hashable {
    public static let workerEvent = "worker/event"
    public static let progress = "$/progress"
    public static let orchestrationEvent = "orchestration/event"

    public var method: String
    public var params: JSONValue
    public var droppable: Bool

    /// The notification for `event`, or nil when `delivery` (the client's
    /// `initializationOptions.events`) does not want it. Progress always goes out.
    public init?(_ event: SessionEvent, delivery: EventDelivery) {
        droppable = event.isDroppable
        switch event {
        case .worker(let worker):
            switch delivery {
            case .all: break
            case .terminal: guard worker.isTerminal else { return nil }
            case .none: return nil
            }
            method = Self.workerEvent
            params = worker.json
        case .orchestration(let event):
            switch delivery {
            case .all: break
            case .terminal: guard event.isTerminal else { return nil }
            case .none: return nil
            }
            method = Self.orchestrationEvent
            params = [
                "orchestrationId": .string(event.orchestrationId),
                "seq": .int(Int64(event.seq)),
                "kind": .string(event.kind),
                "at": .string(event.at),
                "data": event.data,
            ]
        case .progress(let progress):
            method = Self.progress
            let value: JSONValue
            switch progress.stage {
            case .begin(let title):
                value = ["kind": "begin", "title": .string(title), "message": .string(progress.message), "cancellable": false]
            case .report:
                value = ["kind": "report", "message": .string(progress.message)]
            case .end:
                value = ["kind": "end", "message": .string(progress.message)]
            }
            params = ["token": progress.token, "value": value]
        }
    }
}
