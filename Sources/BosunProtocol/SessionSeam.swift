import BosunJSON

/// What a front end asks of whoever opens sessions (the composition root): the seam
/// between a protocol's lifecycle (`initialize` of bosun/1 or of MCP) and the session
/// behind it. Nothing here knows a wire.
public struct SessionOpenRequest: Sendable {
    /// Absolute path of the directory file tools work in.
    public var workspaceRoot: String
    /// Reopen this session instead of starting a new one.
    public var resumeSessionId: String?
    /// nil means the configured default.
    public var maxConcurrentWorkers: Int?
    /// Where the session sends its events, in the order they happen; the front end maps
    /// them to its wire. Called synchronously on the session's actor: it must only queue.
    public var events: SessionEventSink
    /// Which worker events `events` is called with (`EventDelivery.needs`): the session makes
    /// no `SessionEvent` for the others. All, unless the client asked for fewer.
    public var workerEvents: EventDelivery
    /// MCP servers the client offers for this session's workers, as ACP's `session/new`
    /// lists them (`{name, command, args, env}` or `{type: "http", name, url, headers}`).
    public var mcpServers: [JSONValue]

    public init(workspaceRoot: String, resumeSessionId: String? = nil, maxConcurrentWorkers: Int? = nil,
                mcpServers: [JSONValue] = [], workerEvents: EventDelivery = .all, events: @escaping SessionEventSink) {
        self.workspaceRoot = workspaceRoot
        self.resumeSessionId = resumeSessionId
        self.maxConcurrentWorkers = maxConcurrentWorkers
        self.mcpServers = mcpServers
        self.events = events
        self.workerEvents = workerEvents
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

/// An open session, as a front end sees it.
public protocol SessionHandle: Sendable {
    var info: SessionInfo { get }
    /// What every operation of `BosunOperations` runs against.
    var operations: any SessionOperations { get }
    /// Called once when the connection ends: marks running workers `interrupted` and makes
    /// everything durable.
    func close() async
    /// Called when the connection is ending, before its requests still running are
    /// cancelled: work that runs for a request (an orchestration) is marked `interrupted`,
    /// to be resumed later, rather than ending `cancelled` with its request.
    func willClose() async
    /// What the user must hear about how the session was opened (workspace config that was
    /// ignored until trusted), for front ends whose client sees no stderr.
    var notices: [String] { get }
}

extension SessionHandle {
    public func willClose() async {}
    public var notices: [String] { [] }
}

/// Opens (or resumes) the session for a connection. A `SessionError` is the answer the
/// client gets; any other error becomes -32803 with its description.
public typealias SessionOpener = @Sendable (SessionOpenRequest) async throws -> any SessionHandle
