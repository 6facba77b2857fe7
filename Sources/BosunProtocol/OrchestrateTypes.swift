import BosunJSON
import Foundation

/// `orchestrate` params: a goal in, one verified synthesis out. bosun plans it on the
/// orchestrator tier, runs the plan's subtasks as workers of the session (the cap is shared
/// with every other spawn), checks each with `verify`, decides what to do with failures and
/// synthesizes the results.
public struct OrchestrateParams: Codable, Sendable {
    public var goal: String
    /// Files, URLs or data the planner should know of.
    public var inputs: [String]?
    /// The roles the plan may use; every role a client can spawn by default.
    public var roles: [String]?
    /// Checks every subtask's result must pass, besides the plan's own per subtask.
    public var checks: [Check]?
    /// `false`: run no checks at all; every subtask passes `unverified` and the result says so.
    /// By default every subtask is verified: the plan's checks, a schema check for an output
    /// schema, the project's test command for a role that writes, and an evaluator where no
    /// check is deterministic.
    public var verify: Bool?
    /// The format (and schema) of the synthesis.
    public var output: OutputSpec?
    public var limits: OrchestrateLimits?
    /// An LSP progress token for `$/progress` begin/report/end over the whole orchestration.
    public var workDoneToken: JSONValue?
    /// Continue this orchestration (`o_…`) of the session, one that did not succeed
    /// (interrupted by a restart, cancelled, failed, partial): its plan and decisions are
    /// kept, subtasks that passed keep their workers, the rest run again.
    public var resume: String?
    /// What happens to the writing subtasks' changes (default `verified`).
    public var apply: OrchestrateApply?
    /// Rules that narrow the approval rules of every worker the orchestration starts.
    public var approval: ApprovalParams?

    public init(goal: String, inputs: [String]? = nil, roles: [String]? = nil, checks: [Check]? = nil,
                output: OutputSpec? = nil, limits: OrchestrateLimits? = nil, workDoneToken: JSONValue? = nil,
                resume: String? = nil, verify: Bool? = nil, apply: OrchestrateApply? = nil) {
        self.apply = apply
        self.goal = goal
        self.inputs = inputs
        self.roles = roles
        self.checks = checks
        self.verify = verify
        self.output = output
        self.limits = limits
        self.workDoneToken = workDoneToken
        self.resume = resume
    }

    /// `goal` may be left out when `resume` is given: the stored one is used.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        resume = try container.decodeIfPresent(String.self, forKey: .resume)
        goal = try resume == nil ? container.decode(String.self, forKey: .goal)
            : container.decodeIfPresent(String.self, forKey: .goal) ?? ""
        inputs = try container.decodeIfPresent([String].self, forKey: .inputs)
        roles = try container.decodeIfPresent([String].self, forKey: .roles)
        checks = try container.decodeIfPresent([Check].self, forKey: .checks)
        verify = try container.decodeIfPresent(Bool.self, forKey: .verify)
        output = try container.decodeIfPresent(OutputSpec.self, forKey: .output)
        limits = try container.decodeIfPresent(OrchestrateLimits.self, forKey: .limits)
        workDoneToken = try container.decodeIfPresent(JSONValue.self, forKey: .workDoneToken)
        apply = try container.decodeIfPresent(OrchestrateApply.self, forKey: .apply)
        approval = try container.decodeIfPresent(ApprovalParams.self, forKey: .approval)
    }
}

/// `orchestrate`'s `apply`: which writing subtasks' changes reach the workspace.
public enum OrchestrateApply: String, Codable, Sendable, Hashable {
    /// Those whose checks passed, in plan order; the rest wait for review.
    case verified
    /// None: every subtask's changes wait for review (`changes`, `apply`, `discard`).
    case manual
    /// None, and they are discarded: the answer alone is wanted.
    case never
}

/// What `orchestrate` did with its subtasks' changes.
public struct OrchestrationChanges: Codable, Sendable, Hashable {
    /// Paths written into the workspace.
    public var applied: [String]
    /// Files that could not be applied; their worker's changes wait, none of them written.
    public var conflicts: [ApplyConflict]
    /// Workers whose changes wait for review.
    public var pending: [String]
    /// Earlier attempts of a subtask that ran again on another worker (substitute, escalate):
    /// their changes are discarded when the subtask's last worker's changes are applied or
    /// discarded, and wait with them until then. Absent when no subtask ran again.
    public var superseded: [String]?

    public init(applied: [String] = [], conflicts: [ApplyConflict] = [], pending: [String] = [], superseded: [String]? = nil) {
        self.applied = applied
        self.conflicts = conflicts
        self.pending = pending
        self.superseded = superseded
    }
}

public struct OrchestrateLimits: Codable, Sendable, Hashable {
    /// The most subtasks a plan may have (default 8).
    public var maxWorkers: Int?
    /// The most decisions that run a subtask again (retry, substitute, escalate; default 3).
    public var maxReplans: Int?
    /// The orchestration's own budget, planner, subtasks, decisions and synthesis together.
    public var maxCostUSD: Double?
    /// The deadline of the whole orchestration; each subtask keeps its role's own timeout.
    public var timeoutSeconds: Double?

    public init(maxWorkers: Int? = nil, maxReplans: Int? = nil, maxCostUSD: Double? = nil, timeoutSeconds: Double? = nil) {
        self.maxWorkers = maxWorkers
        self.maxReplans = maxReplans
        self.maxCostUSD = maxCostUSD
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The plan the orchestrator model writes and bosun validates: subtasks for workers, or, for
/// a goal too small to hand off, the planner's own answer and no subtasks.
public struct OrchestrationPlan: Codable, Sendable, Hashable {
    public var answer: String?
    public var subtasks: [PlanSubtask]

    public init(subtasks: [PlanSubtask], answer: String? = nil) {
        self.subtasks = subtasks
        self.answer = answer
    }
}

public struct PlanSubtask: Codable, Sendable, Hashable {
    /// Unique in the plan; what `after` and decisions name.
    public var id: String
    public var role: String
    public var brief: SubtaskBrief
    /// Subtasks whose results this one needs; it starts once they passed.
    public var after: [String]?
    public var checks: [Check]?

    public init(id: String, role: String, brief: SubtaskBrief, after: [String]? = nil, checks: [Check]? = nil) {
        self.id = id
        self.role = role
        self.brief = brief
        self.after = after
        self.checks = checks
    }
}

/// A subtask's brief: what `spawn` takes, without the scheduling fields.
public struct SubtaskBrief: Codable, Sendable, Hashable {
    public var task: String
    public var inputs: [String]?
    public var scope: String?
    public var output: OutputSpec?
    public var doNot: [String]?

    public init(task: String, inputs: [String]? = nil, scope: String? = nil, output: OutputSpec? = nil, doNot: [String]? = nil) {
        self.task = task
        self.inputs = inputs
        self.scope = scope
        self.output = output
        self.doNot = doNot
    }

    private enum CodingKeys: String, CodingKey {
        case task, inputs, scope, output, doNot
    }

    /// As a model writes a brief: `inputs` and `doNot` may be one string, `output` a format
    /// in words. They are read as the list of one and as `{format}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        task = try container.decode(String.self, forKey: .task)
        scope = try container.decodeIfPresent(String.self, forKey: .scope)
        inputs = try Self.list(container, .inputs)
        doNot = try Self.list(container, .doNot)
        if let format = try? container.decodeIfPresent(String.self, forKey: .output) {
            output = OutputSpec(format: format)
        } else {
            output = try container.decodeIfPresent(OutputSpec.self, forKey: .output)
        }
    }

    private static func list(_ container: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys) throws -> [String]? {
        if let one = try? container.decodeIfPresent(String.self, forKey: key) { return [one] }
        return try container.decodeIfPresent([String].self, forKey: key)
    }
}

/// What the orchestrator model decided about a failed subtask.
public enum DecisionKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// Run it again with feedback (the same worker resumes its conversation).
    case retry
    /// Run a new brief, or the same brief on another role.
    case substitute
    /// Run it again one model tier up.
    case escalate
    /// Give it up, with a reason; the synthesis names it in `gaps`.
    case abandon
    /// Its changes passed but could not be applied (the workspace changed under them, only
    /// ignored files changed, or writing failed); they wait for review. bosun records it; a
    /// coordinator never chooses it.
    case conflict
    /// Add the follow-up a subtask's result proposed to the plan, as a new subtask after it.
    case addFollowUp = "add_follow_up"
    /// Leave a proposed follow-up out of the plan, with the reason (the coordinator's, or a limit).
    case skipFollowUp = "skip_follow_up"

    /// What a coordinator may decide about a failed subtask.
    public static let coordinatorChoices: [DecisionKind] = [.retry, .substitute, .escalate, .abandon]
}

public struct OrchestrationDecision: Codable, Sendable, Hashable {
    /// RFC 3339 UTC.
    public var at: String
    public var kind: DecisionKind
    public var subtask: String
    public var reason: String

    public init(at: String, kind: DecisionKind, subtask: String, reason: String) {
        self.at = at
        self.kind = kind
        self.subtask = subtask
        self.reason = reason
    }
}

/// Where a subtask stands.
public enum SubtaskStatus: String, Codable, Sendable, Hashable {
    /// Waiting for the subtasks it comes `after`.
    case pending
    /// Its worker is queued or running, or its checks are running.
    case running
    /// Its worker succeeded and its checks passed.
    case passed
    /// Given up; `reason` says why.
    case abandoned
}

/// One subtask's outcome: the worker whose result counts, and what its checks found.
public struct SubtaskOutcome: Codable, Sendable, Hashable {
    public var subtask: String
    public var status: SubtaskStatus
    /// The worker of its last attempt.
    public var workerId: String?
    /// Every worker it ran on, oldest first.
    public var attempts: [String]
    /// `passed`, `failed`, or `unverified` (no checks).
    public var verification: Verification
    /// Why it was abandoned, or why its last attempt failed.
    public var reason: String?

    public init(subtask: String, status: SubtaskStatus, workerId: String?, attempts: [String],
                verification: Verification, reason: String?) {
        self.subtask = subtask
        self.status = status
        self.workerId = workerId
        self.attempts = attempts
        self.verification = verification
        self.reason = reason
    }
}

/// `data` of a `subtask` event: a subtask moved.
public struct SubtaskMove: Codable, Sendable, Hashable {
    public var subtask: String
    public var status: SubtaskStatus
    public var workerId: String?
    public var reason: String?

    public init(subtask: String, status: SubtaskStatus, workerId: String?, reason: String?) {
        self.subtask = subtask
        self.status = status
        self.workerId = workerId
        self.reason = reason
    }
}

/// How an orchestration stands or ended.
public enum OrchestrationState: String, Codable, Sendable, Hashable, CaseIterable {
    case planning
    case running
    case synthesizing
    /// Every subtask passed and the synthesis succeeded.
    case succeeded
    /// Some subtasks were abandoned; the synthesis covers the rest and names them in `gaps`.
    case partial
    /// No subtask passed, the plan stayed invalid, or the budget or deadline ran out first.
    case failed
    case cancelled
    /// The server stopped while it ran; `orchestrate {resume}` continues it.
    case interrupted

    public var isTerminal: Bool {
        switch self {
        case .planning, .running, .synthesizing: return false
        default: return true
        }
    }
}

public struct OrchestrateResult: Codable, Sendable {
    /// `o_…`: what `cancel`, `status`, `trace` and `orchestrate {resume}` take.
    public var id: String
    public var state: OrchestrationState
    public var goal: String
    public var plan: OrchestrationPlan?
    /// Every worker it ran (planner, subtasks, decisions, synthesizer), oldest first.
    public var workers: [Worker]
    /// One entry per subtask of the plan.
    public var verification: [SubtaskOutcome]
    /// Absent when no subtask passed, or when it was cancelled or failed before.
    public var synthesis: SynthesizeResult?
    public var decisions: [OrchestrationDecision]
    /// Why it failed or ended partial, in words.
    public var reason: String?
    public var usage: WorkerUsage
    /// How many of the subtasks that passed were verified by checks.
    public var verified: VerifiedShare
    /// What became of the writing subtasks' changes (absent when none wrote).
    public var changes: OrchestrationChanges?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, state, goal, plan, workers, verification, synthesis, decisions, reason, usage, verified, changes
    }

    public init(id: String, state: OrchestrationState, goal: String, plan: OrchestrationPlan?, workers: [Worker],
                verification: [SubtaskOutcome], synthesis: SynthesizeResult?, decisions: [OrchestrationDecision],
                reason: String?, usage: WorkerUsage, verified: VerifiedShare = VerifiedShare(passed: 0, verified: 0, optedOut: false),
                changes: OrchestrationChanges? = nil) {
        self.verified = verified
        self.changes = changes
        self.id = id
        self.state = state
        self.goal = goal
        self.plan = plan
        self.workers = workers
        self.verification = verification
        self.synthesis = synthesis
        self.decisions = decisions
        self.reason = reason
        self.usage = usage
    }
}

/// The share of an orchestration's passed subtasks that checks verified.
public struct VerifiedShare: Codable, Sendable, Hashable {
    /// Subtasks that passed (verified or not).
    public var passed: Int
    /// Of those, the ones whose checks passed.
    public var verified: Int
    /// `verified / passed`; absent when no subtask passed.
    public var share: Double?
    /// The call said `verify: false`.
    public var optedOut: Bool

    public init(passed: Int, verified: Int, optedOut: Bool) {
        self.passed = passed
        self.verified = verified
        self.share = passed == 0 ? nil : Double(verified) / Double(passed)
        self.optedOut = optedOut
    }
}

/// An orchestration in the session's `status`.
public struct OrchestrationSummary: Codable, Sendable, Hashable {
    public var id: String
    public var goal: String
    public var state: OrchestrationState
    /// Subtasks of the plan per status (empty while planning).
    public var subtasks: [String: Int]
    public var decisions: Int
    public var createdAt: String
    public var endedAt: String?
    /// The worker whose result is the answer: the synthesizer, the one subtask's worker, or the
    /// planner that answered the goal itself (its `result.structured.answer`).
    public var answeredBy: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, goal, state, subtasks, decisions, createdAt, endedAt, answeredBy
    }

    public init(id: String, goal: String, state: OrchestrationState, subtasks: [String: Int], decisions: Int,
                createdAt: String, endedAt: String?, answeredBy: String? = nil) {
        self.answeredBy = answeredBy
        self.id = id
        self.goal = goal
        self.state = state
        self.subtasks = subtasks
        self.decisions = decisions
        self.createdAt = createdAt
        self.endedAt = endedAt
    }
}

/// What an orchestration reports as it goes (`orchestration/event` in bosun/1): kept in the
/// trace with its `o_…` id, like a worker's events.
public struct OrchestrationEvent: Codable, Sendable, Hashable {
    public var orchestrationId: String
    public var seq: Int
    /// An `OrchestrationEventKind`, or a terminal `OrchestrationState`.
    public var kind: String
    public var at: String
    public var data: JSONValue

    public init(orchestrationId: String, seq: Int, kind: String, at: String, data: JSONValue) {
        self.orchestrationId = orchestrationId
        self.seq = seq
        self.kind = kind
        self.at = at
        self.data = data
    }

    public var isTerminal: Bool { OrchestrationState(rawValue: kind)?.isTerminal ?? false }
}

public enum OrchestrationEventKind: String, Sendable, Hashable, CaseIterable {
    /// `{goal}`: planning begins (a planner worker).
    case started
    /// `{plan, attempt}`: the plan bosun accepted.
    case plan
    /// `{reason, errors?, subtask?, replans}`: the plan goes back to the model (an invalid
    /// plan), or a decision changes it (a substituted or escalated subtask).
    case replan
    /// `{subtask, status, workerId?, reason?}`: a subtask moved (`SubtaskStatus`).
    case subtask
    /// `{at, kind, subtask, reason}`: the orchestrator model's decision on a failed subtask.
    case decision
    /// `{workers, answer?}`: the synthesis of these workers' results began. With `answer`, no
    /// synthesizer runs: that worker's result (the one subtask's, or the planner's own answer)
    /// is the answer.
    case synthesis
}
