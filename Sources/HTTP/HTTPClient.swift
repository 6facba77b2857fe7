import Foundation
import Synchronization

/// An async HTTP client over libcurl's multi interface: one dedicated thread per client
/// runs every transfer (see `CurlMultiLoop`). Cancelling the calling task aborts the
/// transfer and closes its connection.
public final class HTTPClient: Sendable {
    /// The process-wide client: one thread, one connection cache, for every provider call.
    public static let shared = HTTPClient(name: "bosun-http")

    private let name: String
    /// Started by the first transfer, not by `init`: a session holds a client from its
    /// start, and loading libcurl and starting the thread before any call costs memory
    /// and start-up time for nothing.
    private let startedLoop = Mutex<CurlMultiLoop?>(nil)

    public init(name: String = "bosun-http") {
        self.name = name
    }

    deinit { startedLoop.withLock { $0?.stop() } }

    /// The loop, started on first use. Only called after a `CurlTransfer` was made, so
    /// libcurl is loaded.
    private var loop: CurlMultiLoop {
        startedLoop.withLock { started in
            if let started { return started }
            let loop = CurlMultiLoop(name: name)
            started = loop
            return loop
        }
    }

    /// Sends the request and awaits the whole response (any status; only transport
    /// failures throw `HTTPClientError`). Cancellation throws `CancellationError`.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let transfer = try CurlTransfer(request)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.delivery = .whole(continuation)
                loop.submit(transfer)
            }
        } onCancel: { [loop] in
            loop.cancel(transfer)
        }
    }

    /// Sends the request and returns once the response head is in, with its body parsed
    /// as server-sent events. A status outside 200...299 is returned with the whole body
    /// in `head.errorBody` and an empty event stream. Transport failures after the head
    /// end the event stream with an `HTTPClientError`. Cancelling the task that iterates
    /// the events, or dropping the stream, aborts the transfer.
    public func stream(_ request: HTTPRequest) async throws
        -> (head: HTTPResponseHead, events: AsyncThrowingStream<SSEEvent, Error>)
    {
        try Task.checkCancellation()
        let transfer = try CurlTransfer(request)
        let loop = self.loop
        let (events, eventsContinuation) = AsyncThrowingStream<SSEEvent, Error>.makeStream()
        eventsContinuation.onTermination = { [loop] termination in
            if case .cancelled = termination { loop.cancel(transfer) }
        }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.delivery = .stream(head: continuation, events: eventsContinuation)
                loop.submit(transfer)
            }
        } onCancel: { [loop] in
            loop.cancel(transfer)
        }
        return (head, events)
    }

    /// Sends the request and hands each server-sent event to `onEvent` as it arrives, then
    /// returns the head once the response has ended. `onHead` sees a 2xx head before the first event. `onEvent` runs on the HTTP thread, one
    /// event at a time, so it must be quick and must not block; if it throws, the transfer
    /// is aborted and this call rethrows that error. Cheaper than `stream` with many streams
    /// at once: no task wakes per event. A status outside 200...299 comes back with its body
    /// in `errorBody` and no events. Cancellation aborts the transfer.
    public func streamEvents(_ request: HTTPRequest, onHead: (@Sendable (HTTPResponseHead) -> Void)? = nil,
                             onEvent: @escaping @Sendable (SSEEvent) throws -> Void) async throws -> HTTPResponseHead {
        try Task.checkCancellation()
        let transfer = try CurlTransfer(request)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.delivery = .callback(end: continuation, onHead: onHead, onEvent: onEvent)
                loop.submit(transfer)
            }
        } onCancel: { [loop] in
            loop.cancel(transfer)
        }
    }
}
