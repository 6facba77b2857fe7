import Foundation
import Providers

/// One provider endpoint as configured. The API key itself is never here: only the name of
/// the environment variable that holds it.
public struct ProviderConfig: Sendable, Hashable {
    public var kind: ProviderKind
    /// The API base (`https://api.anthropic.com`, `http://127.0.0.1:11434/v1`); nil means the kind's default.
    public var baseURL: String?
    /// An environment variable whose value, when set, overrides `baseURL` (the built-in
    /// `mock` provider reads `BOSUN_MOCK_URL` this way).
    public var baseURLEnv: String?
    /// The environment variable that holds the API key; nil for keyless endpoints (local servers).
    public var apiKeyEnv: String?
    public var retry: RetryPolicy

    public init(kind: ProviderKind, baseURL: String? = nil, baseURLEnv: String? = nil, apiKeyEnv: String? = nil,
                retry: RetryPolicy = RetryPolicy()) {
        self.kind = kind
        self.baseURL = baseURL
        self.baseURLEnv = baseURLEnv
        self.apiKeyEnv = apiKeyEnv
        self.retry = retry
    }
}

/// A model alias (`fast`) bound to a provider's model id.
public struct ModelConfig: Sendable, Hashable {
    public var provider: String
    /// The provider's own model id (`claude-haiku-4-5`).
    public var id: String
    /// USD per million tokens; without it, cost is not tracked and cost caps cannot bind.
    public var price: ModelPrice?
    /// The most output tokens to ask for in one call.
    public var maxOutputTokens: Int?
    /// Whether workers mark their calls for the provider's prompt cache (`promptCache: false`
    /// for a server that refuses the marks, or to compare bills).
    public var promptCache: Bool

    public init(provider: String, id: String, price: ModelPrice? = nil, maxOutputTokens: Int? = nil, promptCache: Bool = true) {
        self.provider = provider
        self.id = id
        self.price = price
        self.maxOutputTokens = maxOutputTokens
        self.promptCache = promptCache
    }
}

/// A model alias resolved down to the provider call it stands for.
public struct ResolvedModel: Sendable, Hashable {
    public var alias: String
    public var providerName: String
    public var modelId: String
    /// The config's price, else the provider's list price for the model id (`PriceTable`).
    public var price: ModelPrice?
    public var maxOutputTokens: Int?
    public var promptCache: Bool

    public init(alias: String, providerName: String, modelId: String, price: ModelPrice?, maxOutputTokens: Int?,
                promptCache: Bool = true) {
        self.alias = alias
        self.providerName = providerName
        self.modelId = modelId
        self.price = price
        self.maxOutputTokens = maxOutputTokens
        self.promptCache = promptCache
    }
}

/// What a kind of worker is: its prompt, its model, its tools and permissions, its limits.
/// A role's `sandbox:` block: the bounds its commands run under, each one given replacing
/// the built-in default (sizes in MB).
public struct SandboxOverrides: Sendable, Hashable {
    public var tmpfsMB: Int?
    public var maxProcesses: Int?
    public var memoryMB: Int?
    public var maxOpenFiles: Int?
    public var maxFileMB: Int?

    public init(tmpfsMB: Int? = nil, maxProcesses: Int? = nil, memoryMB: Int? = nil, maxOpenFiles: Int? = nil,
                maxFileMB: Int? = nil) {
        self.tmpfsMB = tmpfsMB
        self.maxProcesses = maxProcesses
        self.memoryMB = memoryMB
        self.maxOpenFiles = maxOpenFiles
        self.maxFileMB = maxFileMB
    }

    public static let keys = ["tmpfsMB", "maxProcesses", "memoryMB", "maxOpenFiles", "maxFileMB"]
}

public struct RoleConfig: Sendable, Hashable {
    public var name: String
    public var description: String
    /// A model alias (`fast`) or a tier name (`worker`, `mid`, `orchestrator`).
    public var model: String
    /// Tool names the role offers its workers (`submit_result` is always added by the worker loop).
    public var tools: [String]
    public var permissions: ToolPermissions
    public var timeoutSeconds: Double
    public var maxSteps: Int
    /// Input plus output tokens over the whole worker.
    public var maxTokens: Int
    public var maxCostUSD: Double
    /// The role's system prompt; the brief comes after it.
    public var prompt: String
    /// Where the role was defined: `built-in`, or the file (and line) that last set it.
    public var source: String
    /// Identical tool calls in a row after which a worker is nudged, and then failed as
    /// `stalled` if it goes on; 0 turns stall detection off.
    public var stallRepeats: Int
    /// Runs again a worker that ended in one of the listed ways.
    public var retry: RetrySetting?
    /// Model aliases (or tiers) tried in order when the role's model fails with a provider error.
    public var fallbackModels: [String]
    /// Where a worker of a role that may write writes: its own layer, reviewed before it
    /// reaches the workspace (the default), or straight into the workspace.
    public var isolation: RoleIsolation = .layer
    /// Bounds on the sandbox its commands run in, where the role sets its own.
    public var sandbox = SandboxOverrides()
    /// Which tool calls its workers may make outright, must ask for, or may not make.
    public var approval: ApprovalRules

    public init(name: String, description: String = "", model: String = "worker",
                tools: [String] = RoleConfig.readOnlyTools, permissions: ToolPermissions = ToolPermissions(),
                timeoutSeconds: Double = 300, maxSteps: Int = 20, maxTokens: Int = 200_000, maxCostUSD: Double = 0.5,
                prompt: String = "", source: String = "built-in", stallRepeats: Int = 3,
                retry: RetrySetting? = nil, fallbackModels: [String] = []) {
        self.name = name
        self.description = description
        self.model = model
        self.tools = tools
        self.permissions = permissions
        self.timeoutSeconds = timeoutSeconds
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.maxCostUSD = maxCostUSD
        self.prompt = prompt
        self.source = source
        self.stallRepeats = stallRepeats
        self.retry = retry
        self.fallbackModels = fallbackModels
        approval = ApprovalRules(origin: "role \(name)")
    }

    /// The tools a role gets when it names none.
    public static let readOnlyTools = ["read_file", "list_files", "search"]
    /// Every tool name a role may list. `write_file` needs `permissions.write`, `run_command` needs `permissions.exec`;
    /// `ask` lets the worker ask a person a question and wait for the answer.
    public static let toolNames = ["read_file", "list_files", "search", "fetch_url", "run_command", "write_file", "ask"]
}

/// Where a writing worker's writes go.
public enum RoleIsolation: String, Sendable, Hashable, CaseIterable {
    /// A layer of its own, applied to the workspace only by `apply`.
    case layer
    /// Straight into the workspace, as soon as `write_file` runs; its commands still see the
    /// workspace read-only and protected paths still hold.
    case none
}

/// A role's `retry`: how many more runs a worker gets, and which endings earn one.
public struct RetrySetting: Sendable, Hashable {
    /// Endings a retry can follow: an error code of a failed worker, or `timed_out`.
    public static let reasons = ["provider_error", "timed_out", "stalled", "tool_error", "invalid_output",
                                 "max_steps", "max_tokens", "max_cost"]

    /// Runs after the first; 0 means none.
    public var attempts: Int
    public var on: [String]

    public init(attempts: Int, on: [String] = ["provider_error", "timed_out", "stalled"]) {
        self.attempts = attempts
        self.on = on
    }
}

/// Bounds on one session (one connection, or one resumed session id).
public struct SessionLimits: Sendable, Hashable {
    public var maxConcurrentWorkers: Int
    /// The whole session's spend; nil means no session budget (each worker still has its own cap).
    public var maxCostUSD: Double?
    /// Workers waiting for a slot beyond this are refused.
    public var maxQueuedWorkers: Int
    /// How deep workers may spawn workers (for roles with the spawn permission).
    public var maxSpawnDepth: Int

    public init(maxConcurrentWorkers: Int = 5, maxCostUSD: Double? = nil, maxQueuedWorkers: Int = 10_000, maxSpawnDepth: Int = 2) {
        self.maxConcurrentWorkers = maxConcurrentWorkers
        self.maxCostUSD = maxCostUSD
        self.maxQueuedWorkers = maxQueuedWorkers
        self.maxSpawnDepth = maxSpawnDepth
    }
}

public struct StoreConfig: Sendable, Hashable {
    /// The SQLite trace store; `~` is expanded. nil means the default
    /// (`$XDG_STATE_HOME/bosun/bosun.sqlite`, else `~/.local/state/bosun/bosun.sqlite`).
    public var path: String?

    public init(path: String? = nil) { self.path = path }
}

/// What `run_command` does when bubblewrap is not installed.
public enum SandboxMode: String, Sendable, Hashable, CaseIterable {
    /// Refuse to run commands without the sandbox (the default).
    case require
    /// Run commands without a sandbox (still argv-only, with a timeout, in the workspace).
    case allowUnsandboxed
}

/// Limits and switches for the worker tools.
public struct ToolPolicy: Sendable, Hashable {
    /// Let `fetch_url` reach loopback, private, link-local and metadata addresses. Off by
    /// default; provider endpoints are not subject to it.
    public var allowPrivateAddresses: Bool
    public var fetchMaxBytes: Int
    public var fetchTimeoutSeconds: Double
    public var fetchMaxRedirects: Int
    public var readMaxBytes: Int
    public var writeMaxBytes: Int
    public var listMaxEntries: Int
    public var searchMaxMatches: Int
    /// Files larger than this are skipped by `search`.
    public var searchMaxFileBytes: Int
    public var commandTimeoutSeconds: Double
    public var commandOutputMaxBytes: Int
    public var sandbox: SandboxMode
    /// How long a write claim holds without its worker ending; a crashed process's claims lapse after it.
    public var claimLeaseSeconds: Double
    /// Let the file tools read and write credential files (`.ssh/`, `.netrc`, …) inside the
    /// workspace. Off by default: what a tool reads goes to the model provider.
    public var allowCredentialFiles: Bool
    /// Paths, relative to the workspace root, that no worker writes, besides the built-in
    /// ones (`.git`, `.bosun`, `.claude`, `.mcp.json`, `.envrc`, `.vscode`, `.idea`).
    public var protectedPaths: [String]
    /// What one writing worker's layer may hold: bytes, and files (deletions included).
    public var layerMaxBytes: Int
    public var layerMaxFiles: Int

    public init(allowPrivateAddresses: Bool = false, fetchMaxBytes: Int = 2_000_000, fetchTimeoutSeconds: Double = 30,
                fetchMaxRedirects: Int = 5, readMaxBytes: Int = 256_000, writeMaxBytes: Int = 1_000_000,
                listMaxEntries: Int = 1_000, searchMaxMatches: Int = 200, searchMaxFileBytes: Int = 1_000_000,
                commandTimeoutSeconds: Double = 120, commandOutputMaxBytes: Int = 64_000,
                sandbox: SandboxMode = .require, claimLeaseSeconds: Double = 3_600, allowCredentialFiles: Bool = false,
                protectedPaths: [String] = [], layerMaxBytes: Int = 256 << 20, layerMaxFiles: Int = 10_000) {
        self.allowPrivateAddresses = allowPrivateAddresses
        self.fetchMaxBytes = fetchMaxBytes
        self.fetchTimeoutSeconds = fetchTimeoutSeconds
        self.fetchMaxRedirects = fetchMaxRedirects
        self.readMaxBytes = readMaxBytes
        self.writeMaxBytes = writeMaxBytes
        self.listMaxEntries = listMaxEntries
        self.searchMaxMatches = searchMaxMatches
        self.searchMaxFileBytes = searchMaxFileBytes
        self.commandTimeoutSeconds = commandTimeoutSeconds
        self.commandOutputMaxBytes = commandOutputMaxBytes
        self.sandbox = sandbox
        self.claimLeaseSeconds = claimLeaseSeconds
        self.allowCredentialFiles = allowCredentialFiles
        self.protectedPaths = protectedPaths
        self.layerMaxBytes = layerMaxBytes
        self.layerMaxFiles = layerMaxFiles
    }
}
