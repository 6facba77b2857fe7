import BosunJSON

/// A session event as bosun/1 sends it: `worker/event`, `orchestration/event` or `$/progress`, and whether the
/// writer may drop it while the client is not reading.
public struct BosunNotification: Sendable, Hashable {
    public static let workerEvent = "worker/event"
    public static let progress = "$/progress"
    public static let orchestrationEvent = "orchestration/event"

    public var method: String
    public var droppable: Bool
    private var content: Content

    private enum Content: Sendable, Hashable {
        case value(JSONValue)
        /// A worker event whose data the session wrote already, and its params written around it.
        case written(WorkerEvent, EncodedJSON)
    }

    /// The params as a value.
    public var params: JSONValue {
        switch content {
        case .value(let params): return params
        case .written(let event, _): return event.json
        }
    }

    /// The params as they go out, when they are written already: a worker event's data as
    /// the session wrote it for the trace (a terminal one, its outcome's text made once when
    /// the worker ended), not built and written again. Nil: send `params`.
    public var writtenParams: EncodedJSON? {
        if case .written(_, let json) = content { return json }
        return nil
    }

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
            content = worker.writtenJSON.map { .written(worker, $0) } ?? .value(worker.json)
        case .orchestration(let event):
            switch delivery {
            case .all: break
            case .terminal: guard event.isTerminal else { return nil }
            case .none: return nil
            }
            method = Self.orchestrationEvent
            content = .value([
                "orchestrationId": .string(event.orchestrationId),
                "seq": .int(Int64(event.seq)),
                "kind": .string(event.kind),
                "at": .string(event.at),
                "data": event.data,
            ])
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
            content = .value(["token": progress.token, "value": value])
        }
    }
}
