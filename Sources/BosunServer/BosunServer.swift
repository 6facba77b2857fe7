import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Logging
import Promises
import Synchronization

/// How a server is set up; everything the `serve` command's flags control.
public struct ServerOptions: Sendable {
    public var version: String
    public var maxMessageBytes: Int
    /// Unwritten output past which droppable notifications are dropped (see `FrameWriter`).
    public var notificationBacklogBytes: Int
    /// nil: chosen from the client's first byte.
    public var framing: Framing?
    /// The workspace root when `initialize` names none.
    public var defaultWorkspaceRoot: String
    /// Also answer `debug/sleep`, so client authors can test cancellation and timeouts.
    public var debugMethods: Bool
    /// How long stopping lets running requests finish before cancelling them, so a script
    /// that pipes requests and closes its input still gets every answer.
    public var gracePeriod: Duration
    /// How long stopping then waits for cancelled requests to answer.
    public var drainTimeout: Duration
    /// The protocol to speak; nil: chosen by the first `initialize` (`FrontEndKind.requested`).
    public var mode: FrontEndKind?
    /// Applied to every message to the client before it is written (the API keys removed).
    public var redactOutgoing: (@Sendable (Data) -> Data)?

    public init(
        version: String, maxMessageBytes: Int = JSONRPCConnection.defaultMaxMessageBytes,
        notificationBacklogBytes: Int = JSONRPCConnection.defaultNotificationBacklogLimit, framing: Framing? = nil,
        defaultWorkspaceRoot: String = FileManager.default.currentDirectoryPath,
        debugMethods: Bool = false, gracePeriod: Duration = .seconds(2), drainTimeout: Duration = .seconds(5),
        mode: FrontEndKind? = nil, redactOutgoing: (@Sendable (Data) -> Data)? = nil
    ) {
        self.mode = mode
        self.redactOutgoing = redactOutgoing
        self.debugMethods = debugMethods
        self.gracePeriod = gracePeriod
        self.version = version
        self.maxMessageBytes = maxMessageBytes
        self.notificationBacklogBytes = notificationBacklogBytes
        self.framing = framing
        self.defaultWorkspaceRoot = defaultWorkspaceRoot
        self.drainTimeout = drainTimeout
    }
}

/// The bosun JSON-RPC server: one connection, the lifecycle around it, and the front end
/// (bosun/1, MCP, …) that the first `initialize` chooses, which opens the session.
public final class BosunServer: Sendable {
    private let options: ServerOptions
    private let frontEnds: [FrontEndKind: any FrontEnd]
    private let logger: Logger
    private let logForwarder: ClientLogForwarder
    private let registry = MethodRegistry()
    private let lifecycle = ServerLifecycle()
    /// The front end whose `initialize` ran; it is closed when the server stops.
    private let chosen = Mutex<(any FrontEnd)?>(nil)
    /// The exit code `run` returns and what ended the server, set once by whichever ending
    /// comes first.
    private let termination = Promise<(exitCode: Int32, reason: String?)>()

    /// A server speaking bosun/1 on sessions from `openSession`, and each protocol of
    /// `otherFrontEnds` when an `initialize` asks for it (MCP: `FrontEndKind.mcp`).
    public init(
        options: ServerOptions, openSession: @escaping SessionOpener, logger: Logger,
        logForwarder: ClientLogForwarder = ClientLogForwarder(), otherFrontEnds: [FrontEndKind: any FrontEnd] = [:]
    ) {
        self.options = options
        var frontEnds = otherFrontEnds
        frontEnds[.bosun] = BosunFrontEnd(openSession: openSession, logger: logger)
        self.frontEnds = frontEnds
        self.logger = logger
        self.logForwarder = logForwarder
    }

    /// Serves until `exit`, the end of the input, or `terminate`; returns the exit code
    /// (0 after `shutdown` or at end of input, 1 for `exit` without `shutdown`).
    public func run(input: Int32, output: Int32) async -> Int32 {
        let connection = JSONRPCConnection(
            input: input, output: output, registry: registry, maxMessageBytes: options.maxMessageBytes,
            framing: options.framing, notificationBacklogLimit: options.notificationBacklogBytes, gate: lifecycle,
            redactOutgoing: options.redactOutgoing, logger: logger)
        registerLifecycleMethods(connection: connection)
        lifecycle.statelessStart.withLock { $0 = { [self] method in statelessStart(method, connection: connection) } }
        if options.debugMethods { registerDebugMethods() }
        connection.start { [self] failure in
            if let failure {
                logger.error("closing the connection: \(failure)")
                terminate(exitCode: 1)
            } else {
                terminate(exitCode: 0, reason: "the input ended")
            }
        }
        let (exitCode, reason) = await termination.value
        await stop(connection, reason: reason)
        return exitCode
    }

    /// Ends `run` (e.g. on SIGTERM); the first call decides the exit code. `reason` is logged
    /// once the requests running then have answered (or their grace period is over): what
    /// they log comes before the stop, as they were answered before it.
    public func terminate(exitCode: Int32, reason: String? = nil) {
        termination.fulfil((exitCode, reason))
    }

    /// Refuses new work, gives running requests a grace period, tells the sessions (whose
    /// orchestrations are then interrupted, not cancelled with their calls) and cancels them,
    /// closes the session (marking running workers interrupted), and writes everything queued.
    private func stop(_ connection: JSONRPCConnection, reason: String?) async {
        lifecycle.beginExit()
        let answered = await connection.drain(timeout: options.gracePeriod)
        if let reason { logger.info("\(reason); stopping") }
        if !answered {
            if let frontEnd = chosen.withLock({ $0 }) { await frontEnd.willStop() }
            logger.info("cancelling \(connection.requestsInFlight) requests still running")
            connection.cancelAll()
            if !(await connection.drain(timeout: options.drainTimeout)) {
                logger.warning("\(connection.requestsInFlight) requests did not answer within \(options.drainTimeout) of being cancelled")
            }
        }
        if let frontEnd = chosen.withLock({ $0 }) {
            await frontEnd.close()
        }
        logForwarder.stop()
        if !connection.close(timeout: options.drainTimeout) {
            logger.warning("the client did not read the last messages within \(options.drainTimeout); they are dropped")
        }
    }

    private func registerLifecycleMethods(connection: JSONRPCConnection) {
        // The lifecycle learns how it ended from the connection (`RequestGate.answered`).
        registry.register("initialize", JSONValue.self) { [self] raw, _ in
            try await initialize(raw, connection: connection)
        }
        registry.registerNotification("initialized", NoParams.self) { [logger] _, _ in
            logger.debug("the client is initialized")
        }
        registry.register("shutdown", NoParams.self) { [self] _, _ in
            lifecycle.shutdownAccepted()
            logger.info("shutdown received; waiting for exit")
            return JSONValue.null
        }
        registry.registerNotification("exit", NoParams.self) { [self] _, _ in
            let code = await lifecycle.exitCode()
            if code != 0 { logger.warning("exit without shutdown; exiting with code 1") }
            terminate(exitCode: code)
        }
    }

    /// `debug/sleep {seconds}`: answers `{slept: seconds}` after that long, or -32800 when
    /// cancelled first. At most 600 seconds.
    private func registerDebugMethods() {
        struct SleepParams: Decodable, Sendable { var seconds: Double }
        struct SleepResult: Encodable, Sendable { var slept: Double }
        registry.register("debug/sleep", SleepParams.self) { params, _ in
            guard (0...600).contains(params.seconds) else {
                throw RPCError.invalidParams("seconds must be between 0 and 600, got \(params.seconds)", field: "seconds")
            }
            try await Task.sleep(for: .seconds(params.seconds))
            return SleepResult(slept: params.seconds)
        }
    }

    /// A first request without `initialize` that a stateless protocol starts with (MCP
    /// 2026-07-28's `server/discover`, or any of its requests), unless `--mode` chose another.
    private func statelessStart(_ method: String, connection: JSONRPCConnection) -> (@Sendable () async -> RPCError?)? {
        guard options.mode == nil || options.mode == .mcp, let frontEnd = frontEnds[.mcp],
              frontEnd.statelessMethods.contains(method) else { return nil }
        return { [self] in
            chosen.withLock { $0 = frontEnd }
            do {
                try await frontEnd.startWithoutInitialize(on: FrontEndConnection(
                    registry: registry, connection: connection, logForwarder: logForwarder, options: options,
                    terminate: { [self] code in terminate(exitCode: code) }))
                return nil
            } catch let error as RPCError {
                return error
            } catch {
                return RPCError(code: RPCError.internalError, message: "bosun could not start MCP: \(error)")
            }
        }
    }

    /// Hands `initialize` to the front end it asks for (or `--mode` fixed); a protocol this
    /// build does not speak is refused with -32601 naming the ones it does.
    private func initialize(_ raw: JSONValue, connection: JSONRPCConnection) async throws -> EncodedJSON {
        let kind = options.mode ?? FrontEndKind.requested(by: raw)
        guard let frontEnd = frontEnds[kind] else {
            let available = FrontEndKind.allCases.filter { frontEnds[$0] != nil }.map(\.howToSelect)
            let what = "This build of bosun does not speak \(kind.howToSelect)"
            throw RPCError(code: RPCError.methodNotFound,
                           message: "\(what). Use \(available.joined(separator: " or ")).",
                           data: ["field": "protocolVersion"])
        }
        chosen.withLock { $0 = frontEnd }
        return try await frontEnd.initialize(raw, on: FrontEndConnection(
            registry: registry, connection: connection, logForwarder: logForwarder, options: options,
            terminate: { [self] code in terminate(exitCode: code) }))
    }
}
