import BosunJSON
import BosunProtocol
import Config
import Foundation
import Logging
import Providers
import TraceStore
import Workers

/// What a session is built from; the composition root (`SessionRuntime`) assembles it per
/// connection, tests assemble their own (a fake model client, a temporary store).
public struct SessionEnvironment: Sendable {
    public var config: BosunConfig
    public var store: TraceStore
    /// The real path of the workspace root the file tools stay inside.
    public var workspaceRoot: String
    /// The client for a configured provider name; called once per provider and cached.
    public var clientForProvider: @Sendable (String) throws -> any ModelClient
    /// The tools a role grants, narrowed to `requested` when the spawn names some.
    public var toolsForRole: @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool]
    /// The tools a role grants from outside bosun (its MCP servers' tools), narrowed to
    /// `requested`; called as each run starts, off the actor, since a server may have to
    /// start first. An error fails the run and says which server and why.
    public var externalTools: @Sendable (RoleConfig, [String]?) async throws -> [any WorkerTool] = { _, _ in [] }
    /// The one sink of the session's events (worker events, progress), called in order on
    /// the session's actor; the front end maps them to its wire.
    public var events: SessionEventSink
    /// Which worker events `events` is called with (`EventDelivery.needs`); the others are
    /// only stored.
    public var workerEvents: EventDelivery = .all
    /// Paths that sandboxed check commands must never see (bosun's config files); the trace
    /// store's directory is always added.
    public var privatePaths: [String] = []
    public var logger: Logger

    public init(config: BosunConfig, store: TraceStore, workspaceRoot: String,
                clientForProvider: @escaping @Sendable (String) throws -> any ModelClient,
                toolsForRole: @escaping @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool],
                events: @escaping SessionEventSink,
                logger: Logger = Logger(label: "bosun.session")) {
        self.config = config
        self.store = store
        self.workspaceRoot = workspaceRoot
        self.clientForProvider = clientForProvider
        self.toolsForRole = toolsForRole
        self.events = events
        self.logger = logger
    }
}
