import BosunJSON
import BosunProtocol
import Config
import Foundation
import Logging
import MCPClient
import Orchestration
import Providers
import Telemetry
import TraceStore
import Synchronization
import Workers

/// The composition root of a session: opens real sessions for any front end's `initialize`.
/// It loads the config for the client's workspace, opens the trace store, makes the model
/// clients and worker tools, and resumes or starts the session in the store.
public struct OrchestrationOpener: Sendable {
    /// `--config`; nil means `$BOSUN_CONFIG`, then the workspace's `.bosun/config.yaml`.
    public var configPath: String?
    /// `--db`; nil means the config's `store.path`, then the default location.
    public var storePath: String?
    public var environment: [String: String]
    /// `bosun serve --mock`: the address of the mock provider every model is sent to.
    public var mockBaseURL: String?
    /// The tools a role grants (the tool registry), given the loaded config and the open store.
    public var tools: @Sendable (BosunConfig, TraceStore) -> @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool]
    public var logger: Logger
    /// Where each opened config's API keys go, so that nothing the process writes out (to
    /// the client, to stderr) carries one.
    public var secrets: KnownSecrets

    public init(configPath: String?, storePath: String?, environment: [String: String], mockBaseURL: String? = nil,
                tools: @escaping @Sendable (BosunConfig, TraceStore) -> @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool]
                    = OrchestrationOpener.registryTools,
                secrets: KnownSecrets = KnownSecrets(), logger: Logger) {
        self.secrets = secrets
        self.configPath = configPath
        self.storePath = storePath
        self.environment = environment
        self.mockBaseURL = mockBaseURL
        self.tools = tools
        self.logger = logger
    }

    /// The worker tools of `ToolRegistry`, with path claims kept in the session's store (so
    /// they hold across processes) and the store's directory hidden from sandboxed tools.
    public static let registryTools: @Sendable (BosunConfig, TraceStore) -> @Sendable (RoleConfig, [String]?) throws -> [any WorkerTool] = { config, store in
        let registry = ToolRegistry(policy: config.tools, claims: StoreClaims(store: store),
                                    privatePaths: configPaths(config) + [(store.path as NSString).deletingLastPathComponent])
        return { role, requested in try registry.tools(for: role, requested: requested) }
    }

    /// The YAML config files read (but the project's own `.bosun/config.yaml`, part of the
    /// workspace) and the user's config directory: bosun's, never shown to a sandboxed tool or check.
    static func configPaths(_ config: BosunConfig) -> [String] {
        let configFiles = config.sources.filter {
            $0.hasPrefix("/") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasSuffix("/.bosun/config.yaml")
        }
        let userConfigDirectory = ConfigLoader.userConfigPath(environment: ProcessInfo.processInfo.environment)
            .map { ($0 as NSString).deletingLastPathComponent }
        return configFiles + (userConfigDirectory.map { [$0] } ?? [])
    }

    /// Why the config a session in `workspaceRoot` would load is invalid, or nil when it loads:
    /// for a front end to say before the first call fails on it.
    public func configProblem(workspaceRoot: String) -> String? {
        do {
            _ = try ConfigLoader.load(explicitPath: configPath, workspaceRoot: workspaceRoot, environment: environment)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The workspace configs this process already said it ignored (root and digest): each
    /// is said once, however many sessions open there.
    private static let toldOnce = Mutex<Set<String>>([])

    public var opener: SessionOpener {
        { request in try await open(request) }
    }

    public func open(_ request: SessionOpenRequest) async throws -> any SessionHandle {
        let root = URL(fileURLWithPath: request.workspaceRoot).resolvingSymlinksInPath().path
        let loaded: BosunConfig
        do {
            loaded = try ConfigLoader.load(explicitPath: configPath, workspaceRoot: root, environment: environment)
        } catch {
            throw SessionError(code: SessionError.requestFailedCode, message: "bosun's configuration is invalid: \(error)",
                               data: ["field": "config"])
        }
        let config = mockBaseURL.map { loaded.routedToMock(baseURL: $0) } ?? loaded
        for warning in config.warnings + config.apiKeyWhitespaceWarnings(environment: environment) {
            logger.warning("config: \(warning)")
        }
        var notices: [String] = []
        if let ignored = config.ignoredWorkspaceConfig {
            notices.append(WorkspaceTrust.notice(for: ignored, environment: self.environment))
            if Self.toldOnce.withLock({ $0.insert(ignored.root + ignored.digest).inserted }) { logger.warning("\(notices[0])") }
        }
        if case .untrusted(let path, let notice) = config.workspaceMCP {
            notices.append(notice)
            if Self.toldOnce.withLock({ $0.insert(path + notice).inserted }) { logger.warning("\(notice)") }
        }
        let mcpServers = try SessionMCPServers.servers(config: config, offered: request.mcpServers)
        // The servers' env and header values are secrets, whether the config or the client gave them.
        let keys = config.secretValues(environment: environment) + mcpServers.flatMap { $0.secretValues(environment: self.environment) }
        secrets.add(keys)
        let path = storePath ?? config.store.path ?? TraceStore.defaultPath(environment: environment)
        let store: TraceStore
        do {
            store = try TraceStore(path: path, redactor: Redactor(secrets: keys))
        } catch {
            throw SessionError(code: SessionError.requestFailedCode, message: "\(error)", data: ["field": "store"])
        }
        let environment = self.environment
        var sessionEnvironment = SessionEnvironment(
            config: config, store: store, workspaceRoot: root,
            clientForProvider: { name in makeModelClient(try config.endpoint(forProvider: name, environment: environment)) },
            toolsForRole: tools(config, store),
            events: request.events,
            logger: logger)
        sessionEnvironment.privatePaths = Self.configPaths(config)
        sessionEnvironment.workerEvents = request.workerEvents
        let mcp = MCPServerPool(servers: mcpServers, settings: config.mcp, environment: environment)
        sessionEnvironment.externalTools = { role, requested in try await mcp.tools(for: role, requested: requested) }
        let session: Session
        do {
            session = try await Session.open(sessionEnvironment, resumeId: request.resumeSessionId,
                                             maxConcurrentWorkers: request.maxConcurrentWorkers)
        } catch let error as SessionError {
            await mcp.close()
            await store.close()
            throw error
        } catch {
            await mcp.close()
            await store.close()
            throw SessionError(code: SessionError.requestFailedCode, message: "The session could not be opened: \(error)",
                               data: ["field": "initializationOptions.session"])
        }
        // With OTEL_EXPORTER_OTLP_ENDPOINT set, spans go out while the session runs; the
        // last ones after the session closed, before the store does.
        let exporter = await OTLPLiveExporter.startIfConfigured(environment: environment, store: store, sessionId: session.id,
                                                                logger: logger)
        let info = SessionInfo(id: session.id, resumed: session.resumed, maxConcurrentWorkers: await session.maxConcurrentWorkers)
        return OrchestrationSessionHandle(info: info, session: session, notices: notices) {
            await mcp.close()
            await exporter?.finish()
            await store.close()
        }
    }
}

/// An open orchestration `Session` behind the seam every front end uses.
struct OrchestrationSessionHandle: SessionHandle {
    let info: SessionInfo
    let session: Session
    let notices: [String]
    /// Runs when the session has closed (closes the store it owns).
    let onClose: @Sendable () async -> Void

    var operations: any SessionOperations { session }

    func close() async {
        await session.close()
        await onClose()
    }

    func willClose() async {
        await session.willClose()
    }
}
