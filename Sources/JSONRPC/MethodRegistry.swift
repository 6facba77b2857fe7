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
    /// Answers one request: decodes params from the raw message, runs the handler and
    /// returns the encoded result.
    typealias RequestHandler = @Sendable (_ message: Data, _ context: RequestContext) async throws -> Data
    typealias NotificationHandler = @Sendable (_ message: Data, _ context: RequestContext) async throws -> Void

    private struct Tables {
        var requests: [String: RequestHandler] = [:]
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
        let entry: RequestHandler = { message, context in
            let params = try ParamsDecoding.decode(P.self, fromMessage: message, rejectingUnknownFields: rejectingUnknownFields)
            let result = try await handler(params, context)
            do {
                return try MessageEncoding.encodeValue(result)
            } catch {
                throw RPCError(
                    code: RPCError.internalError,
                    message: "the result of '\(context.method)' could not be encoded as JSON: \(error)")
            }
        }
        tables.withLock { $0.requests[method] = entry }
    }

    /// A method whose result is already JSON text: answered with those bytes as they are.
    public func register<P: Decodable & Sendable>(
        _ method: String, _ params: P.Type, rejectingUnknownFields: Bool = false,
        handler: @escaping @Sendable (P, RequestContext) async throws -> EncodedJSON
    ) {
        let entry: RequestHandler = { message, context in
            let params = try ParamsDecoding.decode(P.self, fromMessage: message, rejectingUnknownFields: rejectingUnknownFields)
            return try await handler(params, context).data
        }
        tables.withLock { $0.requests[method] = entry }
    }

    /// A method that reads its params from the whole message itself (`RequestContext` has
    /// the method and id): for a front end whose hottest method is worth a faster parser than
    /// `Decodable` (MCP's `tools/call`). It must throw `RPCError`s that name the field.
    public func registerRaw(
        _ method: String, handler: @escaping @Sendable (_ message: Data, RequestContext) async throws -> EncodedJSON
    ) {
        let entry: RequestHandler = { message, context in try await handler(message, context).data }
        tables.withLock { $0.requests[method] = entry }
    }

    public func registerNotification<P: Decodable & Sendable>(
        _ method: String, _ params: P.Type,
        handler: @escaping @Sendable (P, RequestContext) async -> Void
    ) {
        let entry: NotificationHandler = { message, context in
            let params = try ParamsDecoding.decode(P.self, fromMessage: message)
            await handler(params, context)
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

    func requestHandler(for method: String) -> RequestHandler? {
        tables.withLock { $0.requests[method] }
    }

    func notificationHandler(for method: String) -> NotificationHandler? {
        tables.withLock { $0.notifications[method] }
    }
}
