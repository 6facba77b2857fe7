import BosunJSON
import Config
import Foundation
import Logging
import Providers
import TraceStore
import Workers

/// What a session is built from; the server assembles it per connection, tests assemble
/// their own (a fake model client, a temporary store).
public struct SessionEnvironment: Sendable {
    public var config: BosunConfig
    public var store: TraceStore
    /// The real path of the workspace root the file tools stay inside.
    public var workspaceRoot: String
    /// The client for a configured provider name; called once per provider and cached.
    public var clientForProvider: @Sendable (String) throws -> any ModelClient
    /// The tools a role grants, narrowed to `requested` when the spawn names some.
    public var toolsForRole: @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool]
    /// Sends a notification (`worker/event`, `$/progress`) to the client. A `droppable` one
    /// (an event that is in the trace, a progress report the next one supersedes) may be
    /// dropped while the client is not reading its input.
    public var notify: @Sendable (_ method: String, _ params: JSONValue, _ droppable: Bool) -> Void
    public var events: EventDelivery
    /// Paths that sandboxed check commands must never see (bosun's config files); the trace
    /// store's directory is always added.
    public var privatePaths: [String] = []
    public var logger: Logger

    public init(config: BosunConfig, store: TraceStore, workspaceRoot: String,
                clientForProvider: @escaping @Sendable (String) throws -> any ModelClient,
                toolsForRole: @escaping @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool],
                notify: @escaping @Sendable (String, JSONValue, Bool) -> Void, events: EventDelivery = .all,
                logger: Logger = Logger(label: "bosun.session")) {
        self.config = config
        self.store = store
        self.workspaceRoot = workspaceRoot
        self.clientForProvider = clientForProvider
        self.toolsForRole = toolsForRole
        self.notify = notify
        self.events = events
        self.logger = logger
    }
}
