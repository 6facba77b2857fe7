import BosunJSON
import BosunProtocol
import BosunServer
import Foundation
import JSONRPC
import Logging
import Synchronization

/// Session options an ACP client cannot pass: from `bosun serve`'s flags or the environment.
public struct ACPSessionOptions: Sendable, Hashable {
    /// nil: the configured default.
    public var maxConcurrentWorkers: Int?

    public init(maxConcurrentWorkers: Int? = nil) {
        self.maxConcurrentWorkers = maxConcurrentWorkers
    }
}

/// The Agent Client Protocol's agent mode, once `initialize` chose it (an integer
/// `protocolVersion`): bosun as the agent an editor (Zed, …) talks to. Each `session/new` opens a
/// bosun session in its `cwd`; each `session/prompt` runs `orchestrate` with the prompt as the
/// goal and streams the plan, one tool call per worker and the synthesis as
/// `session/update`s; `session/cancel` cancels the turn.
public final class ACPFrontEnd: FrontEnd {
    private let options: ACPSessionOptions
    private let openSession: SessionOpener
    private let logger: Logger
    private let sessions = Mutex<[String: ACPSession]>([:])

    public init(options: ACPSessionOptions = ACPSessionOptions(), openSession: @escaping SessionOpener, logger: Logger) {
        self.options = options
        self.openSession = openSession
        self.logger = logger
    }

    public func initialize(_ raw: JSONValue, on connection: FrontEndConnection) async throws -> EncodedJSON {
        let params: ACPInitializeParams
        do {
            params = try raw.decode(as: ACPInitializeParams.self)
        } catch let error as DecodingError {
            throw RPCError.invalidParams(from: error)
        }
        let version = ACPVersion.negotiate(params.protocolVersion)
        register(on: connection)
        let client = params.clientInfo.map { "\($0.name) \($0.version ?? "")" } ?? "an unnamed client"
        logger.info("ACP \(version) (asked for \(params.protocolVersion)) for \(client)")
        return try EncodedJSON(encoding: ACPInitializeResult(
            protocolVersion: version,
            agentInfo: ACPImplementation(name: "bosun", title: "bosun", version: connection.options.version)))
    }

    public func willStop() async {
        for session in sessions.withLock({ Array($0.values) }) { await session.handle.willClose() }
    }

    public func close() async {
        let open = sessions.withLock { sessions in
            defer { sessions.removeAll() }
            return Array(sessions.values)
        }
        for session in open {
            await session.cancel()
            await session.handle.close()
        }
    }

    // MARK: - Methods

    private func register(on connection: FrontEndConnection) {
        let registry = connection.registry
        let notifier = connection.notifier
        let rpc = connection.connection
        registry.register("session/new", ACPNewSessionParams.self) { [self] params, _ in
            let session = try await open(cwd: params.cwd, resume: nil, mcpServers: params.mcpServers, notifier: notifier,
                                         connection: rpc)
            return ACPNewSessionResult(sessionId: session.id)
        }
        registry.register("session/load", ACPLoadSessionParams.self) { [self] params, _ in
            let session: ACPSession
            if let open = sessions.withLock({ $0[params.sessionId] }) {
                session = open
            } else {
                session = try await open(cwd: params.cwd, resume: params.sessionId, mcpServers: params.mcpServers,
                                         notifier: notifier, connection: rpc)
            }
            await session.replay()
            return JSONValue.object([:])
        }
        registry.register("session/prompt", ACPPromptParams.self) { [self] params, _ in
            let session = try session(params.sessionId)
            return ACPPromptResult(stopReason: try await session.prompt(params.prompt))
        }
        registry.registerNotification("session/cancel", ACPSessionParams.self) { [self, logger] params, _ in
            guard let session = sessions.withLock({ $0[params.sessionId] }) else {
                logger.warning("session/cancel for \(params.sessionId), which is not a session of this connection")
                return
            }
            await session.cancel()
        }
        registry.answerUnknownMethods { method in
            if BosunOperations.named(method) != nil {
                return RPCError(code: RPCError.methodNotFound, message: """
                    '\(method)' is a bosun/1 method, and this connection speaks ACP (its initialize had an integer \
                    protocolVersion): send the goal as session/prompt, or initialize without protocolVersion for bosun/1
                    """)
            }
            return RPCError(code: RPCError.methodNotFound, message: """
                unknown method '\(method)'; bosun's ACP agent answers session/new, session/load, session/prompt and \
                session/cancel
                """)
        }
    }

    /// The ACP session of this connection with that id, else -32602 naming the field.
    private func session(_ id: String) throws(RPCError) -> ACPSession {
        guard let session = sessions.withLock({ $0[id] }) else {
            throw .invalidParams("""
                unknown sessionId "\(id)": it is not a session of this connection; create one with session/new \
                (or resume a stored one with session/load)
                """, field: "sessionId")
        }
        return session
    }

    /// Opens (or resumes) a bosun session in `cwd`, which must be an absolute path to a directory.
    private func open(cwd: String, resume: String?, mcpServers: [JSONValue]?, notifier: any ClientNotifier,
                      connection: JSONRPCConnection) async throws -> ACPSession {
        guard cwd.hasPrefix("/") else {
            throw RPCError.invalidParams("cwd must be an absolute path, got \"\(cwd)\"", field: "cwd")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: cwd, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RPCError.invalidParams("cwd \"\(cwd)\" is not a directory", field: "cwd")
        }
        let router = ACPEventRouter()
        // The session's asks go to the client as permission requests, from when its id is known.
        let identity = ACPSessionIdentity()
        let asks = ClientAsks(connection: connection, channel: ACPAskPermission.channel(session: identity), logger: logger)
        let handle: any SessionHandle
        do {
            handle = try await openSession(SessionOpenRequest(
                workspaceRoot: cwd, resumeSessionId: resume, maxConcurrentWorkers: options.maxConcurrentWorkers,
                mcpServers: mcpServers ?? [], events: { [router, asks] event in
                    router.route(event)
                    asks.observe(event)
                }))
        } catch let error as SessionError {
            if let resume, error.data?["field"] == "initializationOptions.session" {
                // bosun/1's wording names its own field; say it the way an ACP client asked.
                throw RPCError.invalidParams(
                    "there is no session \(resume) in bosun's trace store to load: a session is stored once its first "
                        + "prompt ran a worker. Start a new one with session/new, or list the stored ones with "
                        + "`bosun trace sessions`", field: "sessionId")
            }
            throw RPCError(error)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(code: RPCError.requestFailed, message: "the session could not be opened: \(error)")
        }
        identity.set(handle.info.id)
        asks.start(handle.operations)
        let session = ACPSession(handle: handle, router: router, notifier: notifier, logger: logger)
        let existing = sessions.withLock { sessions -> ACPSession? in
            if let existing = sessions[session.id] { return existing }
            sessions[session.id] = session
            return nil
        }
        if let existing {
            // Two session/load of one id at once: the first one's session serves both.
            await handle.close()
            return existing
        }
        logger.info("ACP session \(session.id)\(handle.info.resumed ? " resumed" : "") in \(cwd)")
        return session
    }
}
