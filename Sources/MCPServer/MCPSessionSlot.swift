import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Logging
import Synchronization

/// The connection's session, opened once, when first needed: on `notifications/initialized`,
/// or by the first call that needs it if the client never sends that. A client that only
/// lists tools opens nothing. If opening fails (a bad config, an unknown `--session`), the
/// next call tries again, so fixing the config needs no reconnect.
actor MCPSessionSlot {
    private let connection: JSONRPCConnection
    private let offersRoots: Bool
    private let defaultRoot: String
    private let options: MCPSessionOptions
    private let openSession: SessionOpener
    private let events: MCPEventMapper
    private let asks: MCPAsks
    private let logger: Logger
    private var opening: Task<any SessionHandle, any Error>?
    private var closed = false
    /// The session once open, readable without visiting the actor: every tool call asks.
    private nonisolated let opened = Mutex<(any SessionHandle)?>(nil)

    /// How long a client gets to answer `roots/list` before bosun works in its own directory.
    static let rootsTimeout: Duration = .seconds(5)

    init(connection: JSONRPCConnection, offersRoots: Bool, defaultRoot: String, options: MCPSessionOptions,
         openSession: @escaping SessionOpener, events: MCPEventMapper, asks: MCPAsks, logger: Logger) {
        self.connection = connection
        self.offersRoots = offersRoots
        self.defaultRoot = defaultRoot
        self.options = options
        self.openSession = openSession
        self.events = events
        self.asks = asks
        self.logger = logger
    }

    /// Starts opening the session without waiting for it (`notifications/initialized`).
    func prepare() {
        _ = start()
    }

    /// The open session; throws a `SessionError` (or another error) saying why it could not open.
    /// The session if it is open, read without waiting.
    nonisolated var openedSession: (any SessionHandle)? { opened.withLock { $0 } }

    nonisolated func session() async throws -> any SessionHandle {
        if let handle = opened.withLock({ $0 }) { return handle }
        return try await open()
    }

    private func open() async throws -> any SessionHandle {
        let task = start()
        do {
            return try await task.value
        } catch {
            if opening == task { opening = nil }
            throw error
        }
    }

    /// The connection is ending (`SessionHandle.willClose`).
    nonisolated func willClose() async {
        if let handle = opened.withLock({ $0 }) { await handle.willClose() }
    }

    func close() async {
        closed = true
        guard let task = opening else { return }
        if let handle = try? await task.value { await handle.close() }
    }

    private func start() -> Task<any SessionHandle, any Error> {
        if let opening { return opening }
        // Runs on this actor (it inherits the isolation), so `closed` is read in order.
        let task = Task<any SessionHandle, any Error> { [self] in
            guard !closed else { throw CancellationError() }
            let root = await workspaceRoot()
            if root == "/" {
                throw SessionError(code: SessionError.requestFailedCode, message: Self.noWorkspace, data: ["field": "workspace"])
            }
            let handle = try await openSession(SessionOpenRequest(
                workspaceRoot: root, resumeSessionId: options.resumeSessionId,
                maxConcurrentWorkers: options.maxConcurrentWorkers, events: { [events, asks] event in
                    events.map(event)
                    asks.observe(event)
                }))
            logger.info("session \(handle.info.id)\(handle.info.resumed ? " resumed" : "") in \(root)")
            for notice in handle.notices {
                connection.notifier.notify("notifications/message", LogMessage(level: MCPLogLevel.warning.rawValue, data: notice))
            }
            opened.withLock { $0 = handle }
            asks.start(handle.operations)
            return handle
        }
        opening = task
        return task
    }

    /// Why bosun refuses `/` as the workspace, and how to give it one: a client that starts its
    /// servers in `/` and offers no roots (Claude Desktop) would have every worker search the
    /// whole filesystem.
    static let noWorkspace = """
        bosun has no workspace: it was started in / and the client named no root, and bosun will not work \
        on the whole filesystem. Give it the project directory: add "--workspace", "/path/to/project" to \
        the "args" of bosun's entry in the client's MCP server config (or set its "cwd"), or use a client \
        that sends roots. Then restart the server.
        """

    /// The first `file://` root the client names, else the server's working directory.
    private func workspaceRoot() async -> String {
        guard offersRoots else { return defaultRoot }
        do {
            let answer = try await withThrowingTaskGroup(of: JSONValue?.self) { group in
                group.addTask { [connection] in try await connection.request("roots/list") }
                group.addTask {
                    try await Task.sleep(for: Self.rootsTimeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let answer else {
                logger.warning("the client did not answer roots/list within \(Self.rootsTimeout); working in \(defaultRoot)")
                return defaultRoot
            }
            for root in answer["roots"]?.arrayValue ?? [] {
                guard let uri = root["uri"]?.stringValue, let url = URL(string: uri), url.isFileURL else { continue }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
                    return url.path
                }
                logger.warning("the client's root \(uri) is not a local directory; skipping it")
            }
            logger.warning("the client's roots name no local directory; working in \(defaultRoot)")
        } catch {
            logger.warning("roots/list failed (\(error)); working in \(defaultRoot)")
        }
        return defaultRoot
    }
}
