import BosunJSON
import Foundation
import JSONRPC
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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

    public init(
        version: String, maxMessageBytes: Int = JSONRPCConnection.defaultMaxMessageBytes,
        notificationBacklogBytes: Int = JSONRPCConnection.defaultNotificationBacklogLimit, framing: Framing? = nil,
        defaultWorkspaceRoot: String = FileManager.default.currentDirectoryPath,
        debugMethods: Bool = false, gracePeriod: Duration = .seconds(2), drainTimeout: Duration = .seconds(5)
    ) {
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

/// The bosun JSON-RPC server: one connection, the LSP lifecycle around it, and the session
/// that `initialize` opens.
public final class BosunServer: Sendable {
    private let options: ServerOptions
    private let openSession: SessionOpener
    private let logger: Logger
    private let logForwarder: ClientLogForwarder
    private let registry = MethodRegistry()
    private let lifecycle = ServerLifecycle()
    private let session = Mutex<(any SessionHandle)?>(nil)
    private let termination = Termination()

    public init(
        options: ServerOptions, openSession: @escaping SessionOpener, logger: Logger,
        logForwarder: ClientLogForwarder = ClientLogForwarder()
    ) {
        self.options = options
        self.openSession = openSession
        self.logger = logger
        self.logForwarder = logForwarder
    }

    /// Serves until `exit`, the end of the input, or `terminate`; returns the exit code
    /// (0 after `shutdown` or at end of input, 1 for `exit` without `shutdown`).
    public func run(input: Int32, output: Int32) async -> Int32 {
        let connection = JSONRPCConnection(
            input: input, output: output, registry: registry, maxMessageBytes: options.maxMessageBytes,
            framing: options.framing, notificationBacklogLimit: options.notificationBacklogBytes, gate: lifecycle, logger: logger)
        registerLifecycleMethods(connection: connection)
        if options.debugMethods { registerDebugMethods() }
        connection.start { [self] failure in
            if let failure {
                logger.error("closing the connection: \(failure)")
                terminate(exitCode: 1)
            } else {
                logger.info("the input ended; stopping")
                terminate(exitCode: 0)
            }
        }
        let exitCode = await termination.code()
        await stop(connection)
        return exitCode
    }

    /// Ends `run` (e.g. on SIGTERM); the first call decides the exit code.
    public func terminate(exitCode: Int32) {
        termination.resolve(exitCode)
    }

    /// Refuses new work, gives running requests a grace period and then cancels them,
    /// closes the session (marking running workers interrupted), and writes everything queued.
    private func stop(_ connection: JSONRPCConnection) async {
        lifecycle.beginExit()
        if !(await connection.drain(timeout: options.gracePeriod)) {
            logger.info("cancelling \(connection.requestsInFlight) requests still running")
            connection.cancelAll()
            if !(await connection.drain(timeout: options.drainTimeout)) {
                logger.warning("\(connection.requestsInFlight) requests did not answer within \(options.drainTimeout) of being cancelled")
            }
        }
        if let session = session.withLock({ $0 }) {
            await session.close()
        }
        logForwarder.stop()
        if !connection.close(timeout: options.drainTimeout) {
            logger.warning("the client did not read the last messages within \(options.drainTimeout); they are dropped")
        }
    }

    private func registerLifecycleMethods(connection: JSONRPCConnection) {
        // The lifecycle learns how it ended from the connection (`RequestGate.answered`).
        registry.register("initialize", JSONValue.self) { [self] raw, context in
            try await initialize(raw, connection: connection, notifier: context.notifier)
        }
        registry.registerNotification("initialized", EmptyParams.self) { [logger] _, _ in
            logger.debug("the client is initialized")
        }
        registry.register("shutdown", EmptyParams.self) { [self] _, _ in
            lifecycle.shutdownAccepted()
            logger.info("shutdown received; waiting for exit")
            return JSONValue.null
        }
        registry.registerNotification("exit", EmptyParams.self) { [self] _, _ in
            let code: Int32 = lifecycle.shutdownReceived ? 0 : 1
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

    private func initialize(_ raw: JSONValue, connection: JSONRPCConnection, notifier: any ClientNotifier) async throws -> InitializeResult {
        let params: InitializeParams
        do {
            params = try raw.decode(as: InitializeParams.self)
        } catch let error as DecodingError {
            throw RPCError.invalidParams(from: error)
        }
        let request = try params.sessionOpenRequest(defaultRoot: options.defaultWorkspaceRoot, notifier: notifier)
        let opened: any SessionHandle
        do {
            opened = try await openSession(request)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: RPCError.requestFailed, message: "the session could not be opened: \(error)")
        }
        opened.register(on: registry)
        session.withLock { $0 = opened }
        if let level = params.initializationOptions?.logLevel.flatMap(Logger.Level.init(rawValue:)) {
            logForwarder.forward(to: connection, from: level)
        }
        if let processId = params.processId { watchClientProcess(processId) }
        let client = params.clientInfo.map { "\($0.name) \($0.version ?? "")" } ?? "unnamed client"
        logger.info("initialized for \(client); session \(opened.info.id) in \(request.workspaceRoot)")
        return InitializeResult(
            serverInfo: .init(name: "bosun", version: options.version),
            capabilities: .init(methods: registry.requestMethods),
            session: opened.info)
    }

    /// LSP: a server whose client process died exits on its own.
    private func watchClientProcess(_ processId: Int32) {
        Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(3))
                if kill(processId, 0) != 0 && errno == ESRCH {
                    logger.warning("the client process \(processId) is gone; stopping")
                    terminate(exitCode: 1)
                    return
                }
            }
        }
    }
}

/// The exit code `run` returns, set once by whichever ending comes first.
private final class Termination: Sendable {
    private struct State {
        var code: Int32?
        var waiter: CheckedContinuation<Int32, Never>?
    }

    private let state = Mutex(State())

    func code() async -> Int32 {
        await withCheckedContinuation { continuation in
            let known: Int32? = state.withLock { state in
                if let code = state.code { return code }
                state.waiter = continuation
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }

    func resolve(_ code: Int32) {
        let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
            guard state.code == nil else { return nil }
            state.code = code
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: code)
    }
}
