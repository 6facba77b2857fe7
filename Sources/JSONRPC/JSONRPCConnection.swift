import BosunJSON
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A JSON-RPC 2.0 connection over a pair of file descriptors (stdin and the protected stdout).
///
/// One reader thread turns bytes into messages and dispatches them in arrival order; each
/// request runs on its own task, so requests run concurrently and may answer out of order;
/// one writer thread serialises everything that goes out.
public final class JSONRPCConnection: Sendable {
    public let registry: MethodRegistry
    private let inputFD: Int32
    private let writer: FrameWriter
    private let inFlight = InFlightRequests()
    /// Requests the server sent to the client, waiting for its answers.
    private let outgoing = OutgoingRequests()
    /// Notification handlers still running; the close callback waits for them, so an `exit`
    /// sent just before the input ends is handled before the end of input is.
    private let runningNotifications = InFlightRequests()
    private let gate: (any RequestGate)?
    private let maxMessageBytes: Int
    /// nil: chosen from the client's first byte.
    private let fixedFraming: Framing?
    private let logger: Logger

    public static let defaultMaxMessageBytes = 64 << 20
    /// Unwritten output past which droppable notifications are dropped (see `FrameWriter`).
    public static let defaultNotificationBacklogLimit = 32 << 20
    /// Unwritten output past which the reader stops reading input until the client reads.
    /// Far above what a reading client leaves waiting, low enough that a client that never
    /// reads costs a few megabytes.
    public static let defaultInputPauseLimit = 4 << 20

    public init(
        input: Int32, output: Int32, registry: MethodRegistry,
        maxMessageBytes: Int = JSONRPCConnection.defaultMaxMessageBytes, framing: Framing? = nil,
        notificationBacklogLimit: Int = JSONRPCConnection.defaultNotificationBacklogLimit,
        inputPauseLimit: Int = JSONRPCConnection.defaultInputPauseLimit,
        gate: (any RequestGate)? = nil, redactOutgoing: (@Sendable (Data) -> Data)? = nil, logger: Logger
    ) {
        self.inputFD = input
        self.registry = registry
        self.maxMessageBytes = maxMessageBytes
        self.fixedFraming = framing
        self.gate = gate
        self.logger = logger
        self.writer = FrameWriter(fd: output, framing: framing ?? .contentLength,
                                  backlogLimit: notificationBacklogLimit, inputPauseLimit: inputPauseLimit,
                                  redact: redactOutgoing) { [logger] failure in
            logger.warning("\(failure); later messages to the client are dropped")
        }
    }

    /// Sends notifications to this connection's client.
    public var notifier: any ClientNotifier { ConnectionNotifier(connection: self) }

    /// Starts the reader and writer threads. `onClose` runs once when the input ended and
    /// the notifications read before that were handled: with nil at end of file, otherwise
    /// with why the connection gave up.
    public func start(onClose: @escaping @Sendable (_ failure: String?) -> Void) {
        writer.start()
        let thread = Thread { [self] in
            let failure = readUntilClosed()
            outgoing.closeAll()
            Task {
                _ = await runningNotifications.drain(timeout: .seconds(5))
                onClose(failure)
            }
        }
        thread.name = "bosun.jsonrpc.reader"
        thread.start()
    }

    /// Queues a notification without waiting (for callers that cannot await, like a log
    /// handler). A `droppable` one is dropped while the client is not reading (see `FrameWriter`).
    public func post<T: Encodable>(_ method: String, _ params: T, droppable: Bool = false) {
        do {
            writer.send(try MessageEncoding.notification(method: method, params: params), droppable: droppable)
        } catch {
            logger.error("could not encode the params of notification '\(method)': \(error)")
        }
    }

    /// Sends a request to the client and waits for its answer: the `result`, or its `error`
    /// thrown as an `RPCError`. Cancelling the calling task stops the wait.
    public func request(_ method: String, params: JSONValue = [:]) async throws -> JSONValue {
        try await outgoing.perform(method: method) { id in
            writer.send(MessageEncoding.request(id: id, method: method, params: params))
        }
    }

    /// Cancels every running request; each still answers (-32800 unless it had finished).
    public func cancelAll() { inFlight.cancelAll() }

    /// Cancels the running request with this id and sends no answer for it, as MCP's
    /// `notifications/cancelled` asks; false when no such request was running.
    @discardableResult
    public func cancelWithoutAnswer(id: RequestID) -> Bool { inFlight.cancel(id: id, silently: true) }

    /// Waits until every running request has answered; false if `timeout` passed first.
    public func drain(timeout: Duration) async -> Bool { await inFlight.drain(timeout: timeout) }

    /// The number of requests whose handlers are still running.
    public var requestsInFlight: Int { inFlight.count }

    /// Blocks until everything queued is written.
    public func flush() { writer.flush() }

    /// The reader has stopped reading until the client reads its answers.
    var isHoldingInput: Bool { writer.isHoldingInput }

    /// Output queued and not yet written.
    var unwrittenBytes: Int { writer.unwrittenBytes }

    /// Writes what is queued and stops writing. Waits at most `timeout` for a client that
    /// stopped reading; false (and what was left unwritten is dropped) when it passed.
    @discardableResult
    public func close(timeout: Duration = .seconds(10)) -> Bool { writer.close(timeout: timeout) }

    // MARK: - Reading

    private func readUntilClosed() -> String? {
        var decoder = FrameDecoder(maxMessageBytes: maxMessageBytes, framing: fixedFraming)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var framingKnown = fixedFraming != nil
        while true {
            // Backpressure: a client that does not read its answers is not read either, nor
            // one that sends requests faster than they end (`InFlightRequests.maxWaiting`).
            if writer.waitForRoom() { logger.debug("resumed reading: the client read its backlog") }
            if !inFlight.hasRoom {
                logger.debug("pausing reading: \(inFlight.maxWaiting) requests wait for a turn")
                inFlight.waitForRoom()
            }
            let count = chunk.withUnsafeMutableBytes { read(inputFD, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return "reading the input failed: \(String(cString: strerror(errno)))"
            }
            if count == 0 {
                let (events, leftover) = decoder.finish()
                process(events)
                if let leftover { logger.warning("\(leftover); it is dropped") }
                return nil
            }
            let events = decoder.feed(chunk[0..<count])
            if !framingKnown, let framing = decoder.framing {
                framingKnown = true
                writer.setFraming(framing)
                logger.debug("the client speaks \(framing.rawValue) framing")
            }
            process(events)
            if decoder.isClosed {
                return "the input stopped making sense as \(decoder.framing?.rawValue ?? "framed") messages"
            }
        }
    }

    /// Handles one read's messages in arrival order. What the reader answers itself (framing
    /// errors, invalid messages, requests answered at once) is gathered and written together
    /// at the end of the read, or before a message is handed to a task (an `exit` must find
    /// every answer before it queued, and a quick handler must not answer before them).
    private func process(_ events: [FrameEvent]) {
        var answers = ReaderAnswers()
        for event in events {
            switch event {
            case .message(let bytes):
                dispatch(IncomingMessage.parse(bytes), answers: &answers)
            case .error(let error):
                logger.warning("framing error: \(error)")
                answers.append(MessageEncoding.errorResponse(id: nil, error: error.rpcError))
            }
        }
        answers.send(to: writer)
    }

    // MARK: - Dispatch

    private func dispatch(_ message: IncomingMessage, answers: inout ReaderAnswers) {
        switch message {
        case .request(let id, let method, let message):
            let admission = admit(method, isNotification: false)
            if case .proceed = admission, let answer = answerAtOnce(id: id, method: method, message: message) {
                return answers.append(answer)
            }
            // Queued first: an answer the task writes must not pass those of earlier messages.
            answers.send(to: writer)
            inFlight.answer(id: id, produce: { [self] in
                await answer(id: id, method: method, message: message, admission: admission)
            }, send: { [writer] in writer.send($0) })
        case .notification(let method, let message):
            answers.send(to: writer)
            deliver(notification: method, message: message)
        case .response(let id, let data):
            if !outgoing.deliver(id: id, message: data) {
                logger.debug("ignoring a response (id \(id.map(String.init(describing:)) ?? "null")): no request of the server's waits for it")
            }
        case .invalid(let id, let error):
            logger.debug("invalid message: \(error.message)")
            answers.append(MessageEncoding.errorResponse(id: id, error: error))
        case .batch(let members):
            answers.send(to: writer)
            dispatch(batch: members)
        }
    }

    /// The answer of a method that has one ready (`MethodRegistry.register(_:_:atOnce:)`),
    /// made on the reader thread; nil when the request must run on a task.
    private func answerAtOnce(id: RequestID?, method: String, message: ReceivedMessage) -> Data? {
        guard let immediate = registry.requestHandler(for: method)?.immediate, let result = immediate(message) else { return nil }
        gate?.answered(method: method, succeeded: true)
        return MessageEncoding.response(id: id, result: result)
    }

    /// Members run concurrently like any requests; their answers leave together, as one array.
    private func dispatch(batch members: [IncomingMessage]) {
        var answers: [Task<Data, Never>] = []
        for member in members {
            switch member {
            case .request(let id, let method, let data):
                let admission = admit(method, isNotification: false)
                answers.append(inFlight.start(id: id) { [self] in
                    await answer(id: id, method: method, message: data, admission: admission)
                })
            case .notification(let method, let data):
                deliver(notification: method, message: data)
            case .invalid(let id, let error):
                let response = MessageEncoding.errorResponse(id: id, error: error)
                answers.append(Task { response })
            case .response, .batch:
                continue
            }
        }
        guard !answers.isEmpty else { return }
        inFlight.start(id: nil) { [self, answers] in
            var responses: [Data] = []
            for answer in answers { responses.append(await answer.value) }
            writer.send(MessageEncoding.batch(responses))
        }
    }

    private func admit(_ method: String, isNotification: Bool) -> Admission {
        gate?.admit(method: method, isNotification: isNotification) ?? .proceed
    }

    private func answer(id: RequestID?, method: String, message: ReceivedMessage, admission: Admission) async -> Data {
        if case .reject(let error) = admission { return MessageEncoding.errorResponse(id: id, error: error) }
        let (response, succeeded) = await run(id: id, method: method, message: message, admission: admission)
        gate?.answered(method: method, succeeded: succeeded)
        return response
    }

    /// Runs an admitted request; the encoded answer, and whether it was a result.
    private func run(id: RequestID?, method: String, message: ReceivedMessage, admission: Admission) async -> (Data, Bool) {
        if case .proceedAfter(let wait) = admission, let error = await wait() {
            return (MessageEncoding.errorResponse(id: id, error: error), false)
        }
        if Task.isCancelled { return (MessageEncoding.errorResponse(id: id, error: .cancelled(method)), false) }
        guard let handler = registry.requestHandler(for: method)?.handler else {
            return (MessageEncoding.errorResponse(id: id, error: registry.unknownMethodError(method)), false)
        }
        let context = RequestContext(id: id, method: method, notifier: notifier)
        do {
            return (MessageEncoding.response(id: id, result: try await handler(message, context)), true)
        } catch let error as RPCError {
            return (MessageEncoding.errorResponse(id: id, error: error), false)
        } catch {
            if Task.isCancelled || error is CancellationError {
                return (MessageEncoding.errorResponse(id: id, error: .cancelled(method)), false)
            }
            logger.warning("request '\(method)' failed: \(error)")
            return (MessageEncoding.errorResponse(id: id, error: RPCError(
                code: RPCError.requestFailed, message: "'\(method)' failed: \(error)")), false)
        }
    }

    private func deliver(notification method: String, message: ReceivedMessage) {
        if method == "$/cancelRequest" { return cancelRequest(message) }
        if case .reject(let error) = admit(method, isNotification: true) {
            logger.debug("dropping notification '\(method)': \(error.message)")
            return
        }
        guard let handler = registry.notificationHandler(for: method) else {
            // `$/` notifications are optional by LSP's rules; others are worth a log line.
            if method.hasPrefix("$/") {
                logger.debug("ignoring notification '\(method)'")
            } else {
                logger.info("ignoring unknown notification '\(method)'")
            }
            return
        }
        let context = RequestContext(id: nil, method: method, notifier: notifier)
        runningNotifications.start(id: nil) { [logger] in
            do {
                try await handler(message, context)
            } catch {
                logger.warning("notification '\(method)' ignored: \(error)")
            }
        }
    }

    /// `$/cancelRequest {id}`: the id is matched by its exact text, as it is echoed.
    private func cancelRequest(_ message: ReceivedMessage) {
        let bytes = message.bytes
        guard let range = RawJSONText.member(["params", "id"], in: bytes), let id = RequestID(jsonText: bytes[range]) else {
            logger.warning("$/cancelRequest ignored: params.id must be the number or string id of a request")
            return
        }
        if !inFlight.cancel(id: id) {
            logger.debug("$/cancelRequest for \(id): no such request is running")
        }
    }
}

/// Notifications go through the connection's writer like everything else.
struct ConnectionNotifier: ClientNotifier {
    let connection: JSONRPCConnection

    func notify<T: Encodable & Sendable>(_ method: String, _ params: T, droppable: Bool) {
        connection.post(method, params, droppable: droppable)
    }
}

/// The answers the reader thread makes itself during one read, written together: one
/// hand-off to the writer (one lock, one wake-up) for the whole read, not one per answer.
private struct ReaderAnswers {
    private var pending: [Data] = []

    mutating func append(_ answer: Data) { pending.append(answer) }

    mutating func send(to writer: FrameWriter) {
        guard !pending.isEmpty else { return }
        writer.send(contentsOf: pending)
        pending.removeAll(keepingCapacity: true)
    }
}
