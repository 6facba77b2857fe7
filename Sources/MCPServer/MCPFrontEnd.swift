import BosunJSON
import BosunProtocol
import BosunServer
import Foundation
import JSONRPC
import Logging
import Synchronization

/// Session options an MCP client cannot pass (MCP's `initialize` has no place for them):
/// they come from `bosun serve`'s flags or the environment.
public struct MCPSessionOptions: Sendable, Hashable {
    /// `--session` / `BOSUN_SESSION`: resume this session (its workers are MCP tasks).
    public var resumeSessionId: String?
    /// `--max-concurrent-workers` / `BOSUN_MAX_CONCURRENT_WORKERS`; nil: the configured default.
    public var maxConcurrentWorkers: Int?

    public init(resumeSessionId: String? = nil, maxConcurrentWorkers: Int? = nil) {
        self.resumeSessionId = resumeSessionId
        self.maxConcurrentWorkers = maxConcurrentWorkers
    }
}

/// MCP once `initialize` chose it (a string `protocolVersion`): bosun as a tool server.
/// Every operation of `BosunOperations` is a tool, every worker is a task, session events
/// become progress and task status notifications, and log lines `notifications/message`.
///
/// The session opens on `notifications/initialized` (or the first call that needs it), not
/// in `initialize`: the workspace root comes from the client's `roots/list`, which the
/// server may only ask once the client is initialized.
public final class MCPFrontEnd: FrontEnd {
    private let sessionOptions: MCPSessionOptions
    private let openSession: SessionOpener
    private let configProblem: ConfigProblemCheck
    private let logger: Logger
    private let state = Mutex<State?>(nil)

    /// What `initialize` settled, shared by the method handlers.
    final class State: Sendable {
        let version: String
        let slot: MCPSessionSlot
        let events: MCPEventMapper
        let asks: MCPAsks
        let connection: FrontEndConnection
        let logger: Logger
        let lastResult = MCPLastResult()
        /// What will make every tool call fail (`MCPFrontEnd.problems`), for the instructions.
        let problems: [String]

        init(version: String, slot: MCPSessionSlot, events: MCPEventMapper, asks: MCPAsks, connection: FrontEndConnection,
             logger: Logger, problems: [String] = []) {
            self.version = version
            self.slot = slot
            self.events = events
            self.asks = asks
            self.connection = connection
            self.logger = logger
            self.problems = problems
        }
    }

    /// `configProblem` says what is wrong with the config a session in a workspace would load
    /// (nil when nothing is): `initialize` reports it at once, before any tool call fails on it.
    public init(sessionOptions: MCPSessionOptions, openSession: @escaping SessionOpener,
                configProblem: @escaping ConfigProblemCheck = { _ in nil }, logger: Logger) {
        self.sessionOptions = sessionOptions
        self.openSession = openSession
        self.configProblem = configProblem
        self.logger = logger
    }

    public func initialize(_ raw: JSONValue, on connection: FrontEndConnection) async throws -> EncodedJSON {
        let params: MCPInitializeParams
        do {
            params = try raw.decode(as: MCPInitializeParams.self)
        } catch let error as DecodingError {
            throw RPCError.invalidParams(from: error)
        }
        let version = MCPVersion.negotiate(params.protocolVersion)
        let events = MCPEventMapper(notifier: connection.notifier, sendsTaskStatus: MCPVersion.hasTasks(version))
        // A client that takes form elicitation is asked each ask as it comes; others see them in results.
        let asks = MCPAsks(elicitations: MCPAskForm.acceptsForms(params.capabilities?["elicitation"])
            ? ClientAsks(connection: connection.connection, channel: MCPAsks.elicitation, logger: logger) : nil)
        let slot = MCPSessionSlot(
            connection: connection.connection, offersRoots: params.offersRoots,
            defaultRoot: connection.options.defaultWorkspaceRoot, options: sessionOptions,
            openSession: openSession, events: events, asks: asks, logger: logger)
        let problems = problems(defaultRoot: connection.options.defaultWorkspaceRoot, offersRoots: params.offersRoots)
        let state = State(version: version, slot: slot, events: events, asks: asks, connection: connection, logger: logger,
                          problems: problems)
        self.state.withLock { $0 = state }
        MCPMethods.register(on: connection.registry, state: state, logger: logger)
        let client = params.clientInfo.map { "\($0.name) \($0.version ?? "")" } ?? "an unnamed client"
        logger.info("MCP \(version) for \(client)\(params.offersRoots ? " (which offers roots)" : "")")
        var result = MCPInitializeResult(version: version, serverVersion: connection.options.version)
        result.instructions = MCPInstructions.with(problems)
        return try EncodedJSON(encoding: result)
    }

    /// What will make every tool call fail, known before the first one: no workspace but `/`,
    /// or a config that does not load. Logged (stderr) here; the instructions say it too.
    private func problems(defaultRoot: String, offersRoots: Bool) -> [String] {
        var problems: [String] = []
        if !offersRoots && defaultRoot == "/" { problems.append(MCPSessionSlot.noWorkspace) }
        if let problem = configProblem(defaultRoot) {
            problems.append("Its configuration is invalid, so every tool call fails until it is fixed: \(problem)")
        }
        for problem in problems { logger.error("\(problem)") }
        return problems
    }

    public var statelessMethods: Set<String> { MCPStateless.methods }

    /// MCP 2026-07-28: no `initialize`. The session opens in the default workspace root on the
    /// first call that needs it (roots are gone from this era).
    public func startWithoutInitialize(on connection: FrontEndConnection) async throws {
        let events = MCPEventMapper(notifier: connection.notifier, sendsTaskStatus: false)
        // This era sends the client no requests: asks reach it as input requests in answers.
        let asks = MCPAsks(elicitations: nil)
        let slot = MCPSessionSlot(
            connection: connection.connection, offersRoots: false,
            defaultRoot: connection.options.defaultWorkspaceRoot, options: sessionOptions,
            openSession: openSession, events: events, asks: asks, logger: logger)
        let state = State(version: MCPStateless.version, slot: slot, events: events, asks: asks, connection: connection,
                          logger: logger, problems: problems(defaultRoot: connection.options.defaultWorkspaceRoot, offersRoots: false))
        self.state.withLock { $0 = state }
        MCPStateless.register(on: connection.registry, state: state, logger: logger)
        logger.info("MCP \(MCPStateless.version): each request carries its version, no initialize")
    }

    public func close() async {
        guard let state = state.withLock({ $0 }) else { return }
        await state.slot.close()
    }

    public func willStop() async {
        guard let state = state.withLock({ $0 }) else { return }
        await state.slot.willClose()
    }
}

/// What is wrong with the configuration a session in this workspace root would load, in
/// words for the user; nil when it loads.
public typealias ConfigProblemCheck = @Sendable (_ workspaceRoot: String) -> String?

/// `initialize`'s answer: the version, what bosun offers, who it is, and how to use it.
struct MCPInitializeResult: Encodable {
    struct ServerInfo: Encodable {
        var name = "bosun"
        var title = "bosun: worker agents on a budget"
        var version: String
    }

    var protocolVersion: String
    var capabilities: JSONValue
    var serverInfo: ServerInfo
    var instructions = MCPInstructions.text

    init(version: String, serverVersion: String) {
        protocolVersion = version
        var capabilities: [String: JSONValue] = ["tools": ["listChanged": false], "logging": [:]]
        if MCPVersion.hasTasks(version) {
            capabilities["tasks"] = ["list": [:], "cancel": [:], "requests": ["tools": ["call": [:]]]]
        }
        self.capabilities = .object(capabilities)
        serverInfo = ServerInfo(version: serverVersion)
    }
}
