/// Sends notifications to the connected client. Safe to call from any task, at any time;
/// notifications sent after the connection closed are dropped.
///
/// `notify` queues the message for the writer and returns at once, without waiting for the
/// client to read. Everything posted goes out in the order it was posted, so a caller that
/// notifies before it answers a request is sure the client sees the notification first.
public protocol ClientNotifier: Sendable {
    /// `droppable`: the client can get this again another way (a stored worker event), so it
    /// may be dropped while the client is not reading; it is then counted and the client
    /// told with one `bosun/notificationsDropped` once it reads again.
    func notify<T: Encodable & Sendable>(_ method: String, _ params: T, droppable: Bool)
}

extension ClientNotifier {
    public func notify<T: Encodable & Sendable>(_ method: String, _ params: T) {
        notify(method, params, droppable: false)
    }
}

/// What a handler knows about the request it is answering.
public struct RequestContext: Sendable {
    /// The request id; `nil` for notifications (and for the rare request sent with `"id": null`).
    public let id: RequestID?
    public let method: String
    public let notifier: any ClientNotifier

    public init(id: RequestID?, method: String, notifier: any ClientNotifier) {
        self.id = id
        self.method = method
        self.notifier = notifier
    }
}

