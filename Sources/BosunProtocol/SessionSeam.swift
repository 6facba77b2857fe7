import JSONRPC

/// What `initialize` asks of whoever opens sessions: the seam between the server's
/// lifecycle and the orchestration behind it.
public struct SessionOpenRequest: Sendable {
    /// Absolute path of the directory file tools work in (from `rootUri`, `workspaceFolders`
    /// or `rootPath`; the server's working directory otherwise).
    public var workspaceRoot: String
    /// `initializationOptions.session`: reopen this session instead of starting a new one.
    public var resumeSessionId: String?
    /// `initializationOptions.maxConcurrentWorkers`; nil means the configured default.
    public var maxConcurrentWorkers: Int?
    /// Which `worker/event` notifications the client wants: `all`, `terminal` or `none`.
    public var events: String
    /// Where the session sends `worker/event` and `$/progress` notifications.
    public var notifier: any ClientNotifier

    public init(
        workspaceRoot: String, resumeSessionId: String? = nil, maxConcurrentWorkers: Int? = nil,
        events: String = "all", notifier: any ClientNotifier
    ) {
        self.workspaceRoot = workspaceRoot
        self.resumeSessionId = resumeSessionId
        self.maxConcurrentWorkers = maxConcurrentWorkers
        self.events = events
        self.notifier = notifier
    }
}

/// The `session` member of `initialize`'s result.
public struct SessionInfo: Codable, Sendable, Hashable {
    public var id: String
    public var resumed: Bool
    public var maxConcurrentWorkers: Int

    public init(id: String, resumed: Bool, maxConcurrentWorkers: Int) {
        self.id = id
        self.resumed = resumed
        self.maxConcurrentWorkers = maxConcurrentWorkers
    }
}

/// An open session, as the server sees it.
public protocol SessionHandle: Sendable {
    var info: SessionInfo { get }
    /// Called once, right after `initialize` opened the session and before its answer is
    /// sent: registers the session's methods (`spawn`, `status`, …).
    func register(on registry: MethodRegistry)
    /// Called once when the connection ends (`exit`, end of input, SIGTERM): marks running
    /// workers `interrupted` and makes everything durable.
    func close() async
}

/// Opens (or resumes) the session for a connection. Throwing an `RPCError` answers
/// `initialize` with it; any other error becomes -32803 with its description.
public typealias SessionOpener = @Sendable (SessionOpenRequest) async throws -> any SessionHandle
