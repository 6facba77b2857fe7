import BosunJSON
import BosunProtocol
import JSONRPC
import Logging

/// The methods an MCP connection answers once `initialize` chose MCP, registered on the
/// connection's registry. A bosun/1 method name gets -32601 saying how to call it here.
enum MCPMethods {
    static func register(on registry: MethodRegistry, state: MCPFrontEnd.State, logger: Logger) {
        registry.register("ping", NoParams.self) { _, _ in JSONValue.object([:]) }
        registry.register("tools/list", NoParams.self) { _, _ in MCPToolCatalog.listResult }
        registry.registerRaw("tools/call", atOnce: { message in
            (try? MCPCallToolParams(message: message)).flatMap { MCPToolCall.answerAtOnce($0, state: state) }
        }) { message, _ in
            try await MCPToolCall.answer(try MCPCallToolParams(message: message), state: state)
        }
        registry.register("logging/setLevel", MCPSetLevelParams.self) { params, _ in
            try setLevel(params.level, state: state)
            return JSONValue.object([:])
        }
        if MCPVersion.hasTasks(state.version) {
            registry.register("tasks/get", MCPTaskParams.self) { params, _ in try await MCPTasks.get(params, state: state) }
            registry.register("tasks/result", MCPTaskParams.self) { params, _ in try await MCPTasks.result(params, state: state) }
            registry.register("tasks/list", MCPListParams.self) { params, _ in try await MCPTasks.list(params, state: state) }
            registry.register("tasks/cancel", MCPTaskParams.self) { params, _ in try await MCPTasks.cancel(params, state: state) }
        }
        registry.registerNotification("notifications/initialized", NoParams.self) { _, _ in
            await state.slot.prepare()
        }
        let connection = state.connection.connection
        registry.registerNotification("notifications/cancelled", MCPCancelledParams.self) { params, _ in
            guard let id = requestID(params.requestId) else { return }
            // MCP: the cancelled request gets no answer. A waiting `spawn` cancels its worker.
            if connection.cancelWithoutAnswer(id: id) {
                logger.debug("request \(id) cancelled by the client\(params.reason.map { ": \($0)" } ?? "")")
            }
        }
        registry.registerNotification("notifications/roots/list_changed", NoParams.self) { _, _ in
            logger.info("the client's roots changed; the session keeps the workspace it opened with")
        }
        registry.answerUnknownMethods { method in
            if let operation = BosunOperations.named(method) {
                return RPCError(code: RPCError.methodNotFound, message: """
                    '\(method)' is a bosun/1 method, and this connection speaks MCP (its initialize had a \
                    protocolVersion): call it as a tool, tools/call {"name": "\(operation.info.name)", "arguments": {…}}.
                    """)
            }
            return RPCError(code: RPCError.methodNotFound, message: """
                unknown method '\(method)'; bosun's MCP server answers ping, tools/list, tools/call, \
                logging/setLevel\(MCPVersion.hasTasks(state.version) ? ", tasks/get, tasks/result, tasks/list and tasks/cancel" : "")
                """)
        }
    }

    /// Client log lines from now on at `level` or above, as `notifications/message`.
    private static func setLevel(_ name: String, state: MCPFrontEnd.State) throws(RPCError) {
        guard let level = MCPLogLevel(rawValue: name) else {
            throw .invalidParams("""
                level must be one of \(MCPLogLevel.allCases.map(\.rawValue).joined(separator: ", ")), got "\(name)"
                """, field: "level")
        }
        let notifier = state.connection.notifier
        state.connection.logForwarder.forward(from: level.swiftLogLevel) { level, message in
            notifier.notify("notifications/message", LogMessage(level: MCPLogLevel(level).rawValue, data: message),
                            droppable: true)
        }
    }

    /// The id a cancellation names. Ids are matched by their JSON text, so an integer id is the
    /// digits the client wrote for it; MCP clients send integer or string ids.
    static func requestID(_ value: JSONValue) -> RequestID? {
        switch value {
        case .int(let number): return .number(String(number))
        case .string(let text): return .string(text)
        default: return nil
        }
    }
}

/// `notifications/message` params.
struct LogMessage: Encodable {
    var level: String
    var logger = "bosun"
    var data: String
}

extension MCPLogLevel {
    /// The least severe swift-log level this one lets through.
    var swiftLogLevel: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .notice: return .notice
        case .warning: return .warning
        case .error: return .error
        case .critical, .alert, .emergency: return .critical
        }
    }

    init(_ level: Logger.Level) {
        switch level {
        case .trace, .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
