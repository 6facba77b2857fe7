import BosunJSON
import Foundation
import Synchronization

/// The methods a connection answers: adding a method is one registration with Codable
/// params and result, not an edit to a switch.
///
/// Methods may be registered at any time, also while the connection runs (the session
/// registers its methods once `initialize` opened it); a later registration of the same
/// name replaces the earlier one.
public final class MethodRegistry: Sendable {
    /// Answers one request: decodes params from the message, runs the handler and returns
    /// the encoded result.
    typealias RequestHandler = @Sendable (_ message: ReceivedMessage, _ context: RequestContext) async throws -> Data
    /// Answers a request at once, on the reader thread, with its encoded result; nil when it
    /// cannot without waiting, and the request then runs on its own task.
    typealias ImmediateHandler = @Sendable (_ message: ReceivedMessage) -> Data?
    typealias NotificationHandler = @Sendable (_ message: ReceivedMessage, _ context: RequestContext) async throws -> Void

    struct RequestEntry: Sendable {
        let handler: RequestHandler
        let immediate: ImmediateHandler?
    }

    private struct Tables {
        var requests: [String: RequestEntry] = [:]
        var notifications: [String: NotificationHandler] = [:]
        /// The answer to a request for a method nobody registered.
        var unknownMethod: @Sendable (String) -> RPCError = { RPCError.methodNotFound($0) }
    }

    private let tables = Mutex(Tables())

    public init() {}

    /// `rejectingUnknownFields`: params with a field `P` does not have are refused with -32602
    /// naming it and the known field closest to it (keys starting with `_` aside); otherwise
    /// such fields are ignored, as protocols that grow fields ask of a server.
    public func register<P: Decodable & Sendable, R: Encodable & Sendable>(
        _ method: String, _ params: P.Type, rejectingUnknownFields: Bool = false,
        handler: @escaping @Sendable (P, RequestContext) async throws -> R
    ) {
        let decoder = ParamsDecoder<P>(rejectingUnknownFields: rejectingUnknownFields)
        let entry: RequestHandler = { message, context in
            let result = try await handler(try decoder.decode(message), context)
            do {
                return try MessageEncoding.encodeValue(result)
            } catch {
                throw RPCError(
                    code: RPCError.internalError,
                    message: "the result of '\(context.method)' could not be encoded as JSON: \(error)")
            }
        }
        tables.withLock { $0.requests[method] = RequestEntry(handler: entry, immediate: nil) }
    }

    /// A method whose result is already JSON text: answered with those bytes as they are.
    ///
    /// `atOnce`, when given, is asked first for a request whose params are empty (absent,
    /// `null` or `{}`), on the reader thread as the request is read: an answer it has ready
    /// (a cached one) is written with the other answers of the same read, without a task
    /// of its own; nil sends the request on to `handler` as usual. It must not block.
    public func register<P: Decodable & Sendable>(
        _ method: String, _ params: P.Type, rejectingUnknownFields: Bool = false,
        atOnce: (@Sendable (P) -> EncodedJSON?)? = nil,
        handler: @escaping @Sendable (P, RequestContext) async throws -> EncodedJSON
    ) {
        let decoder = ParamsDecoder<P>(rejectingUnknownFields: rejectingUnknownFields)
        let entry: RequestHandler = { message, context in
            try await handler(try decoder.decode(message), context).data
        }
        var immediate: ImmediateHandler?
        // Asked only with empty params, which decode the same every time: decoded here once.
        if let atOnce, let empty = try? ParamsDecoding.decode(P.self, params: nil, rejectingUnknownFields: rejectingUnknownFields) {
            immediate = { message in message.hasEmptyParams ? atOnce(empty)?.data : nil }
        }
        tables.withLock { $0.requests[method] = RequestEntry(handler: entry, immediate: immediate) }
    }

    /// A method that reads its params from the whole message itself (`RequestContext` has
    /// the method and id): for a front end whose hottest method is worth a faster parser than
    /// `Decodable` (MCP's `tools/call`). It must throw `RPCError`s that name the field.
    ///
    /// `atOnce`, when given, is asked first for every request, on the reader thread as it is
    /// read, with the whole message: an answer it has ready is written at once, without a
    /// task; nil sends the request on to `handler`. It must not block.
    public func registerRaw(
        _ method: String, atOnce: (@Sendable (_ message: Data) -> EncodedJSON?)? = nil,
        handler: @escaping @Sendable (_ message: Data, RequestContext) async throws -> EncodedJSON
    ) {
        let entry: RequestHandler = { message, context in try await handler(message.data, context).data }
        var immediate: ImmediateHandler?
        if let atOnce { immediate = { message in atOnce(message.data)?.data } }
        tables.withLock { $0.requests[method] = RequestEntry(handler: entry, immediate: immediate) }
    }

    public func registerNotification<P: Decodable & Sendable>(
        _ method: String, _ params: P.Type,
        handler: @escaping @Sendable (P, RequestContext) async -> Void
    ) {
        let decoder = ParamsDecoder<P>(rejectingUnknownFields: false)
        let entry: NotificationHandler = { message, context in
            await handler(try decoder.decode(message), context)
        }
        tables.withLock { $0.notifications[method] = entry }
    }

    /// Replaces the -32601 error for methods nobody registered, so a front end can say what
    /// its client should call instead.
    public func answerUnknownMethods(with error: @escaping @Sendable (_ method: String) -> RPCError) {
        tables.withLock { $0.unknownMethod = error }
    }

    func unknownMethodError(_ method: String) -> RPCError {
        tables.withLock { $0.unknownMethod }(method)
    }

    /// Every request method registered so far, sorted.
    public var requestMethods: [String] {
        tables.withLock { $0.requests.keys.sorted() }
    }

    /// Every notification method registered so far, sorted.
    public var notificationMethods: [String] {
        tables.withLock { $0.notifications.keys.sorted() }
    }

    func requestHandler(for method: String) -> RequestEntry? {
        tables.withLock { $0.requests[method] }
    }

    func notificationHandler(for method: String) -> NotificationHandler? {
        tables.withLock { $0.notifications[method] }
    }
}

/// One method's params decoder. Empty params (absent, `null`, `{}`) decode the same for every
/// request, so they are decoded once and the value (or the error) is kept.
private final class ParamsDecoder<P: Decodable & Sendable>: Sendable {
    private let rejectingUnknownFields: Bool
    private let empty = Mutex<Result<P, RPCError>?>(nil)

    init(rejectingUnknownFields: Bool) {
        self.rejectingUnknownFields = rejectingUnknownFields
    }

    func decode(_ message: ReceivedMessage) throws(RPCError) -> P {
        guard message.hasEmptyParams else {
            return try ParamsDecoding.decode(P.self, from: message, rejectingUnknownFields: rejectingUnknownFields)
        }
        if let known = empty.withLock({ $0 }) { return try known.get() }
        let decoded = Result { () throws(RPCError) -> P in
            try ParamsDecoding.decode(P.self, params: nil, rejectingUnknownFields: rejectingUnknownFields)
        }
        empty.withLock { $0 = decoded }
        return try decoded.get()
    }
}
