import BosunJSON
import Foundation

// Params and results of the session operations, spelled as protocol/bosun-1.schema.json
// spells the JSON (`<operation>.params`, `<operation>.result`).

public struct SpawnParams: Codable, Sendable {
    public var task: String
    public var inputs: [String]?
    public var scope: String?
    public var output: OutputSpec?
    public var doNot: [String]?
    public var role: String?
    public var model: String?
    public var tools: [String]?
    public var limits: LimitOverrides?
    public var after: [String]?
    public var priority: Int?
    public var wait: Bool?
    /// An LSP progress token (string or integer) for `$/progress` begin/report/end.
    public var workDoneToken: JSONValue?
    /// Rules that narrow the role's approval rules for this worker (and its children).
    public var approval: ApprovalParams?
    /// The caller's span (W3C `traceparent`), from the front end rather than the params: the
    /// worker's span links to it. Not a field of bosun/1's `spawn`.
    public var traceparent: String?

    enum CodingKeys: String, CodingKey {
        case task, inputs, scope, output, doNot, role, model, tools, limits, after, priority, wait, workDoneToken, approval
    }

    public init(task: String, inputs: [String]? = nil, scope: String? = nil, output: OutputSpec? = nil,
                doNot: [String]? = nil, role: String? = nil, model: String? = nil, tools: [String]? = nil,
                limits: LimitOverrides? = nil, after: [String]? = nil, priority: Int? = nil, wait: Bool? = nil,
                workDoneToken: JSONValue? = nil, approval: ApprovalParams? = nil) {
        self.task = task
        self.inputs = inputs
        self.scope = scope
        self.output = output
        self.doNot = doNot
        self.role = role
        self.model = model
        self.tools = tools
        self.limits = limits
        self.after = after
        self.priority = priority
        self.wait = wait
        self.workDoneToken = workDoneToken
        self.approval = approval
    }
}

/// What the brief asks the worker to hand back (`OutputSpec`): a format in words, and/or a
/// JSON Schema its `submit_result` must match.
public struct OutputSpec: Codable, Sendable, Hashable {
    public var format: String?
    public var schema: JSONValue?

    public init(format: String? = nil, schema: JSONValue? = nil) {
        self.format = format
        self.schema = schema
    }
}

/// Per-spawn limits; each one given replaces the role's.
public struct LimitOverrides: Codable, Sendable, Hashable {
    public var timeoutSeconds: Double?
    public var maxSteps: Int?
    public var maxTokens: Int?
    public var maxCostUSD: Double?
    /// How long the worker may wait for an answer to one ask before it is answered `deny`.
    public var maxWaitSeconds: Double?

    public init(timeoutSeconds: Double? = nil, maxSteps: Int? = nil, maxTokens: Int? = nil, maxCostUSD: Double? = nil,
                maxWaitSeconds: Double? = nil) {
        self.timeoutSeconds = timeoutSeconds
        self.maxSteps = maxSteps
        self.maxTokens = maxTokens
        self.maxCostUSD = maxCostUSD
        self.maxWaitSeconds = maxWaitSeconds
    }
}

public struct SteerParams: Codable, Sendable {
    public var workerId: String
    public var message: String

    public init(workerId: String, message: String) {
        self.workerId = workerId
        self.message = message
    }
}

public struct SteerResult: Codable, Sendable, Hashable {
    public enum Delivery: String, Codable, Sendable {
        /// Read before the worker's next model call.
        case nextStep = "next-step"
        /// The worker had ended; it runs again from its own conversation.
        case resumed
    }

    public var workerId: String
    public var state: WorkerState
    public var delivery: Delivery

    public init(workerId: String, state: WorkerState, delivery: Delivery) {
        self.workerId = workerId
        self.state = state
        self.delivery = delivery
    }
}

public struct CancelParams: Codable, Sendable {
    public var workerId: String?
    public var all: Bool?
    public var reason: String?

    public init(workerId: String? = nil, all: Bool? = nil, reason: String? = nil) {
        self.workerId = workerId
        self.all = all
        self.reason = reason
    }
}

public struct CancelResult: Codable, Sendable, Hashable {
    public var cancelled: [String]

    public init(cancelled: [String]) { self.cancelled = cancelled }
}

public struct AwaitParams: Codable, Sendable {
    public enum Mode: String, Codable, Sendable {
        case all
        case any
    }

    public var workers: [String]?
    public var mode: Mode?
    public var timeoutSeconds: Double?

    public init(workers: [String]? = nil, mode: Mode? = nil, timeoutSeconds: Double? = nil) {
        self.workers = workers
        self.mode = mode
        self.timeoutSeconds = timeoutSeconds
    }
}

public struct AwaitResult: Codable, Sendable, Hashable {
    public var finished: [Worker]
    public var pending: [String]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case finished, pending
    }

    public init(finished: [Worker], pending: [String]) {
        self.finished = finished
        self.pending = pending
    }
}

public struct StatusParams: Codable, Sendable {
    public var workerId: String?

    public init(workerId: String? = nil) { self.workerId = workerId }
}

/// `status` answers with one `Worker`, or the whole session.
public enum StatusResult: Encodable, Sendable, Hashable {
    case worker(Worker)
    case session(SessionStatus)

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .worker(let worker): try worker.encode(to: encoder)
        case .session(let status): try status.encode(to: encoder)
        }
    }
}

public struct SessionStatus: Codable, Sendable, Hashable {
    public struct Summary: Codable, Sendable, Hashable {
        public var id: String
        public var maxConcurrentWorkers: Int
        /// Workers per state; every state is listed, zeros included.
        public var counts: [String: Int]
        public var maxCostUSD: Double?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case id, maxConcurrentWorkers, counts, maxCostUSD
        }

        public init(id: String, maxConcurrentWorkers: Int, counts: [String: Int], maxCostUSD: Double?) {
            self.id = id
            self.maxConcurrentWorkers = maxConcurrentWorkers
            self.counts = counts
            self.maxCostUSD = maxCostUSD
        }
    }

    public var session: Summary
    public var usage: WorkerUsage
    /// Every worker of the session, oldest first, without its `result` (ask for one worker to get it).
    public var workers: [Worker]
    /// The session's orchestrations, oldest first; absent when there are none.
    public var orchestrations: [OrchestrationSummary]?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case session, usage, workers, orchestrations
    }

    public init(session: Summary, usage: WorkerUsage, workers: [Worker], orchestrations: [OrchestrationSummary]? = nil) {
        self.session = session
        self.usage = usage
        self.workers = workers
        self.orchestrations = orchestrations
    }
}

public struct TraceParams: Codable, Sendable {
    public var workerId: String?
    public var afterSeq: Int?
    public var limit: Int?

    public init(workerId: String? = nil, afterSeq: Int? = nil, limit: Int? = nil) {
        self.workerId = workerId
        self.afterSeq = afterSeq
        self.limit = limit
    }
}

public struct TraceResult: Codable, Sendable, Hashable {
    public var events: [TraceEvent]

    public init(events: [TraceEvent]) { self.events = events }
}

/// One entry of `trace`, `{workerId, seq, kind, at, data}`: a worker's event, or an
/// orchestration's (its `workerId` is then the orchestration's `o_…` id).
public enum TraceEvent: Codable, Sendable, Hashable {
    case worker(WorkerEvent)
    case orchestration(OrchestrationEvent)

    /// Whether an id in the trace names an orchestration rather than a worker.
    public static func isOrchestration(_ id: String) -> Bool { id.hasPrefix("o_") }

    public var kind: String {
        switch self {
        case .worker(let event): return event.kind.rawValue
        case .orchestration(let event): return event.kind
        }
    }

    private enum CodingKeys: String, CodingKey { case workerId }

    public init(from decoder: Decoder) throws {
        let id = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .workerId)
        guard Self.isOrchestration(id) else {
            self = .worker(try WorkerEvent(from: decoder))
            return
        }
        let flat = try JSONValue(from: decoder)
        self = .orchestration(OrchestrationEvent(
            orchestrationId: id, seq: Int(flat["seq"]?.intValue ?? 0), kind: flat["kind"]?.stringValue ?? "",
            at: flat["at"]?.stringValue ?? "", data: flat["data"] ?? [:]))
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .worker(let event):
            try event.encode(to: encoder)
        case .orchestration(let event):
            let flat: JSONValue = ["workerId": .string(event.orchestrationId), "seq": .int(Int64(event.seq)),
                                   "kind": .string(event.kind), "at": .string(event.at), "data": event.data]
            try flat.encode(to: encoder)
        }
    }
}

public struct RolesResult: Codable, Sendable, Hashable {
    public var roles: [Role]

    public init(roles: [Role]) { self.roles = roles }
}

/// One role as `roles` lists it (`Role`).
public struct Role: Codable, Sendable, Hashable {
    public struct Permissions: Codable, Sendable, Hashable {
        public var write: Bool
        public var exec: Bool
        public var spawn: Bool

        public init(write: Bool, exec: Bool, spawn: Bool) {
            self.write = write
            self.exec = exec
            self.spawn = spawn
        }
    }

    public struct Limits: Codable, Sendable, Hashable {
        public var timeoutSeconds: Double
        public var maxSteps: Int
        public var maxTokens: Int
        public var maxCostUSD: Double

        public init(timeoutSeconds: Double, maxSteps: Int, maxTokens: Int, maxCostUSD: Double) {
            self.timeoutSeconds = timeoutSeconds
            self.maxSteps = maxSteps
            self.maxTokens = maxTokens
            self.maxCostUSD = maxCostUSD
        }
    }

    public var name: String
    public var description: String
    /// The alias or tier the role names.
    public var model: String
    public var tools: [String]
    public var permissions: Permissions
    public var limits: Limits
    /// Where the role was defined (built in, a config file, a Markdown role file).
    public var source: String
    /// The role's approval rules; nil when it has none.
    public var approval: ApprovalParams?

    public init(name: String, description: String, model: String, tools: [String], permissions: Permissions,
                limits: Limits, source: String, approval: ApprovalParams? = nil) {
        self.name = name
        self.description = description
        self.model = model
        self.tools = tools
        self.permissions = permissions
        self.limits = limits
        self.source = source
        self.approval = approval
    }
}

/// `initializationOptions.events`: which `worker/event` notifications a client wants.
public enum EventDelivery: String, Codable, Sendable {
    case all
    /// Only the terminal kinds.
    case terminal
    case none

    /// Whether a front end whose client chose this needs worker events of `kind` from its
    /// session: those it passes on, and asks and their answers, which the front end itself
    /// watches (`ClientAsks`) whatever the client chose.
    public func needs(_ kind: WorkerEventKind) -> Bool {
        if kind == .asked || kind == .answered { return true }
        switch self {
        case .all: return true
        case .terminal: return kind.terminalState != nil
        case .none: return false
        }
    }
}
