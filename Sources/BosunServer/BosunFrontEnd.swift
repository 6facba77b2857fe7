import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// bosun/1 once `initialize` chose it: LSP's `initialize` params and result, every
/// operation of `BosunOperations` as a method, session events as `worker/event` and
/// `$/progress`, and log lines as `window/logMessage`.
final class BosunFrontEnd: FrontEnd {
    private let openSession: SessionOpener
    private let logger: Logger
    private let session = Mutex<(any SessionHandle)?>(nil)

    init(openSession: @escaping SessionOpener, logger: Logger) {
        self.openSession = openSession
        self.logger = logger
    }

    func initialize(_ raw: JSONValue, on connection: FrontEndConnection) async throws -> EncodedJSON {
        let params: InitializeParams
        do {
            params = try raw.decode(as: InitializeParams.self)
        } catch let error as DecodingError {
            throw RPCError.invalidParams(from: error)
        }
        let delivery = try params.eventDelivery()
        let notifier = connection.notifier
        let asks = ClientAsks.requested(by: params.capabilities) ? ClientAsks(connection: connection.connection, channel: ClientAsks.workerAsk, logger: logger) : nil
        let request = try params.sessionOpenRequest(defaultRoot: connection.options.defaultWorkspaceRoot) { event in
            if let notification = BosunNotification(event, delivery: delivery) {
                if let written = notification.writtenParams {
                    notifier.notify(notification.method, written, droppable: notification.droppable)
                } else {
                    notifier.notify(notification.method, notification.params, droppable: notification.droppable)
                }
            }
            asks?.observe(event)
        }
        let opened: any SessionHandle
        do {
            opened = try await openSession(request)
        } catch let error as SessionError {
            throw RPCError(error)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: RPCError.requestFailed, message: "the session could not be opened: \(error)")
        }
        OperationMethods.register(BosunOperations.all, session: opened.operations, on: connection.registry)
        connection.registry.answerUnknownMethods(with: Self.unknownMethod)
        session.withLock { $0 = opened }
        asks?.start(opened.operations)
        if let level = params.initializationOptions?.logLevel.flatMap(Logger.Level.init(rawValue:)) {
            connection.logForwarder.forward(from: level) { level, message in
                notifier.notify("window/logMessage", LogMessageParams(type: LogMessageParams.type(of: level), message: message),
                                droppable: true)
            }
        }
        if let processId = params.processId { watchClientProcess(processId, terminate: connection.terminate) }
        let client = params.clientInfo.map { "\($0.name) \($0.version ?? "")" } ?? "unnamed client"
        logger.info("initialized for \(client); session \(opened.info.id) in \(request.workspaceRoot)")
        let result = InitializeResult(
            serverInfo: .init(name: "bosun", version: connection.options.version),
            capabilities: .init(methods: connection.registry.requestMethods),
            session: opened.info)
        return try EncodedJSON(encoding: result)
    }

    /// An MCP client whose `initialize` had no `protocolVersion` landed here; MCP's methods
    /// (`tools/call`, `tasks/get`, …) are namespaced, which is how they are told apart.
    static func unknownMethod(_ method: String) -> RPCError {
        let mcpNamespaces = ["tools/", "tasks/", "resources/", "prompts/", "logging/", "completion/"]
        guard mcpNamespaces.contains(where: method.hasPrefix) || method == "ping" else { return .methodNotFound(method) }
        return RPCError(code: RPCError.methodNotFound, message: """
            '\(method)' is an MCP method, and this connection speaks bosun/1 (its initialize had no protocolVersion): \
            initialize with a string protocolVersion such as "2025-11-25" to use bosun as an MCP server, or call \
            bosun/1's methods (initialize's capabilities.methods lists them)
            """)
    }

    func close() async {
        if let opened = session.withLock({ $0 }) { await opened.close() }
    }

    func willStop() async {
        if let opened = session.withLock({ $0 }) { await opened.willClose() }
    }

    /// LSP: a server whose client process died exits on its own.
    private func watchClientProcess(_ processId: Int32, terminate: @escaping @Sendable (Int32) -> Void) {
        Task { [logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(3))
                if kill(processId, 0) != 0 && errno == ESRCH {
                    logger.warning("the client process \(processId) is gone; stopping")
                    terminate(1)
                    return
                }
            }
        }
    }
}

/// Every operation of the table as a bosun/1 method: params decoded with errors that name
/// the field (a misspelt or unknown field among them), the result encoded once, a `SessionError` answered as the JSON-RPC error with
/// its code. No method is spelled here; the table names them.
enum OperationMethods {
    static func register(_ operations: [any SessionOperation], session: any SessionOperations, on registry: MethodRegistry) {
        for operation in operations { register(operation, session: session, on: registry) }
    }

    private static func register<Operation: SessionOperation>(
        _ operation: Operation, session: any SessionOperations, on registry: MethodRegistry
    ) {
        let name = operation.info.name
        // An answer the session has ready (`status`'s cached one) is written by the reader
        // thread as the request is read, without a task or a visit to the session's actor.
        var atOnce: (@Sendable (Operation.Params) -> EncodedJSON?)?
        if operation.answersAtOnce {
            atOnce = { @Sendable params in operation.answerAtOnce(session, params) }
        }
        registry.register(name, Operation.Params.self, rejectingUnknownFields: true, atOnce: atOnce) { params, _ -> EncodedJSON in
            let result: Operation.Result
            do {
                result = try await operation.call(session, params, context: OperationContext())
            } catch let error as SessionError {
                throw RPCError(error)
            }
            return try encoded(result, of: name)
        }
    }

    /// `status` and `await` answers come written (`status`'s cached), answers that carry
    /// workers are written by BosunProtocol's writer, everything else is encoded
    /// (`EncodedJSON(answering:)`).
    private static func encoded<Result: Encodable>(_ result: Result, of name: String) throws -> EncodedJSON {
        do {
            return try EncodedJSON(answering: result)
        } catch {
            throw RPCError(code: RPCError.internalError, message: "the result of '\(name)' could not be encoded as JSON: \(error)")
        }
    }
}

extension RPCError {
    /// A session's refusal as JSON-RPC answers it, in every front end: the same code,
    /// message and data.
    public init(_ error: SessionError) {
        self.init(code: error.code, message: error.message, data: error.data)
    }
}
