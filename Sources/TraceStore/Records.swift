import Foundation

// Plain records as the store keeps them. JSON-shaped fields are JSON text, so this module
// needs no JSON model of its own; callers encode and decode.

public struct SessionRecord: Sendable, Hashable {
    public var id: String
    public var createdAt: Date
    /// When a process last opened this session.
    public var lastOpenedAt: Date
    public var workspaceRoot: String
    public var maxConcurrentWorkers: Int

    public init(id: String, createdAt: Date, lastOpenedAt: Date, workspaceRoot: String, maxConcurrentWorkers: Int) {
        self.id = id
        self.createdAt = createdAt
        self.lastOpenedAt = lastOpenedAt
        self.workspaceRoot = workspaceRoot
        self.maxConcurrentWorkers = maxConcurrentWorkers
    }
}

public struct WorkerRecord: Sendable, Hashable {
    public var id: String
    public var sessionId: String
    /// The worker that spawned this one, if any.
    public var parentId: String?
    public var role: String
    /// bosun's model alias (`fast`), not the provider's id.
    public var model: String
    /// `queued`, `running`, `succeeded`, `failed`, `cancelled`, `timed_out`, `interrupted`.
    public var state: String
    public var task: String
    /// The whole brief as given to `spawn`, JSON text.
    public var briefJSON: String
    public var priority: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var endedAt: Date?
    public var steps: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    public var costUSD: Double
    /// `{text, structured?, sources?}` as JSON text.
    public var resultJSON: String?
    /// `{code, message}` as JSON text.
    public var errorJSON: String?
    /// `unverified`, `passed` or `failed`: what the last `verify` of the worker found.
    public var verification: String

    public init(id: String, sessionId: String, parentId: String? = nil, role: String, model: String, state: String,
                task: String, briefJSON: String, priority: Int = 0, createdAt: Date, startedAt: Date? = nil,
                endedAt: Date? = nil, steps: Int = 0, inputTokens: Int = 0, outputTokens: Int = 0,
                cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0, costUSD: Double = 0, resultJSON: String? = nil,
                errorJSON: String? = nil, verification: String = "unverified") {
        self.id = id
        self.sessionId = sessionId
        self.parentId = parentId
        self.role = role
        self.model = model
        self.state = state
        self.task = task
        self.briefJSON = briefJSON
        self.priority = priority
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.steps = steps
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costUSD = costUSD
        self.resultJSON = resultJSON
        self.errorJSON = errorJSON
        self.verification = verification
    }

    public static let terminalStates: Set<String> = ["succeeded", "failed", "cancelled", "timed_out", "interrupted"]
    public var isTerminal: Bool { Self.terminalStates.contains(state) }
}

public struct EventRecord: Sendable, Hashable {
    public var sessionId: String
    public var workerId: String
    /// Per-worker, from 1, without gaps.
    public var seq: Int
    public var kind: String
    public var at: Date
    public var dataJSON: String

    public init(sessionId: String, workerId: String, seq: Int, kind: String, at: Date, dataJSON: String) {
        self.sessionId = sessionId
        self.workerId = workerId
        self.seq = seq
        self.kind = kind
        self.at = at
        self.dataJSON = dataJSON
    }
}

/// One conversation message of a worker, so `steer` can resume it after a restart.
public struct MessageRecord: Sendable, Hashable {
    public var workerId: String
    /// Position in the conversation, from 0.
    public var index: Int
    public var role: String
    /// The message's content blocks, JSON text.
    public var contentJSON: String
    /// Who wrote it: `brief`, `model`, `tool`, `orchestrator` (a steer), `system`.
    public var origin: String

    public init(workerId: String, index: Int, role: String, contentJSON: String, origin: String) {
        self.workerId = workerId
        self.index = index
        self.role = role
        self.contentJSON = contentJSON
        self.origin = origin
    }
}

public struct ClaimRecord: Sendable, Hashable {
    /// Workspace-relative real path.
    public var path: String
    /// The worker id holding it.
    public var holder: String
    public var sessionId: String
    public var leaseExpiresAt: Date

    public init(path: String, holder: String, sessionId: String, leaseExpiresAt: Date) {
        self.path = path
        self.holder = holder
        self.sessionId = sessionId
        self.leaseExpiresAt = leaseExpiresAt
    }
}
