import BosunJSON
import BosunProtocol
import Foundation
import TraceStore

/// An orchestration's ledger as the trace store keeps it (`OrchestrationRecord.ledgerJSON`),
/// in types of its own: a change to the wire types cannot change what `orchestrate {resume}`
/// reads, and a stored value the wire no longer knows fails the load by name instead of
/// reading as something else.
///
/// Version 1 has the keys bosun stored before the ledger had a version (the wire types
/// encoded whole), so those ledgers read as version 1; a usage stored before prompt-cache
/// writes were counted has no `cacheWriteTokens`. A version above `currentVersion` was
/// written by a newer bosun and is refused.
struct StoredLedger: Codable, Equatable {
    static let currentVersion = 1

    var version: Int
    var id: String
    var params: Params
    var state: String
    var plan: Plan?
    var subtasks: [String: Subtask]
    var decisions: [Decision]
    var replans: Int
    var synthesis: Synthesis?
    var changes: Changes?
    var reason: String?
    var stop: Stop?
    var createdAt: Date
    var endedAt: Date?
    var lastSeq: Int

    struct Params: Codable, Equatable {
        var goal: String
        var inputs: [String]?
        var roles: [String]?
        /// In the check language callers and plans write (`Check`'s JSON form).
        var checks: [JSONValue]?
        var verify: Bool?
        var output: Output?
        var limits: Limits?
        var workDoneToken: JSONValue?
        var apply: String?
        var approval: Approval?
    }

    struct Output: Codable, Equatable {
        var format: String?
        var schema: JSONValue?
    }

    struct Limits: Codable, Equatable {
        var maxWorkers: Int?
        var maxReplans: Int?
        var maxCostUSD: Double?
        var timeoutSeconds: Double?
    }

    struct Approval: Codable, Equatable {
        var allow: [String]?
        var ask: [String]?
        var deny: [String]?
        var `default`: String?
    }

    struct Plan: Codable, Equatable {
        var answer: String?
        var subtasks: [PlannedSubtask]
    }

    struct PlannedSubtask: Codable, Equatable {
        var id: String
        var role: String
        var brief: Brief
        var after: [String]?
        var checks: [JSONValue]?
    }

    struct Brief: Codable, Equatable {
        var task: String
        var inputs: [String]?
        var scope: String?
        var output: Output?
        var doNot: [String]?
    }

    struct Subtask: Codable, Equatable {
        var status: String
        var attempts: [String]
        var verification: String
        var reason: String?
    }

    struct Decision: Codable, Equatable {
        var at: String
        var kind: String
        var subtask: String
        var reason: String
    }

    struct Synthesis: Codable, Equatable {
        var id: String
        var text: String
        var structured: JSONValue?
        var sources: [Source]
        var conflicts: [Conflict]
        var gaps: [String]
        var usage: Usage
    }

    struct Source: Codable, Equatable {
        var workerId: String
        var claim: String
        var source: String?
    }

    struct Conflict: Codable, Equatable {
        var topic: String
        var workers: [String]
        var summary: String
    }

    struct Usage: Codable, Equatable {
        var inputTokens: Int
        var outputTokens: Int
        var cacheReadTokens: Int
        var cacheWriteTokens: Int
        var costUSD: Double

        init(inputTokens: Int, outputTokens: Int, cacheReadTokens: Int, cacheWriteTokens: Int, costUSD: Double) {
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.cacheReadTokens = cacheReadTokens
            self.cacheWriteTokens = cacheWriteTokens
            self.costUSD = costUSD
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            inputTokens = try container.decode(Int.self, forKey: .inputTokens)
            outputTokens = try container.decode(Int.self, forKey: .outputTokens)
            cacheReadTokens = try container.decode(Int.self, forKey: .cacheReadTokens)
            cacheWriteTokens = try container.decodeIfPresent(Int.self, forKey: .cacheWriteTokens) ?? 0
            costUSD = try container.decode(Double.self, forKey: .costUSD)
        }
    }

    struct Changes: Codable, Equatable {
        var applied: [String]
        var conflicts: [ApplyConflictRecord]
        var pending: [String]
        var superseded: [String]?
    }

    struct ApplyConflictRecord: Codable, Equatable {
        var path: String
        var reason: String
        var workerId: String
    }

    struct Stop: Codable, Equatable {
        var state: String
        var reason: String
    }

    /// Why a stored ledger cannot be read, in words for the log and for `resume`.
    struct Unreadable: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads a stored ledger of any version this bosun knows.
    static func read(_ json: String) throws(Unreadable) -> StoredLedger {
        let value: JSONValue
        do {
            value = try JSONValue.parse(json)
        } catch {
            throw Unreadable(description: "its stored ledger is not JSON (\(error))")
        }
        let version = value["version"]?.intValue.map(Int.init) ?? 1
        guard version <= currentVersion else {
            throw Unreadable(description: """
                its stored ledger is version \(version), written by a newer bosun; this one reads up to version \
                \(currentVersion). Resume it with that bosun, or start a new orchestrate.
                """)
        }
        var versioned = value
        if case .object(var fields) = value {
            fields["version"] = .int(Int64(version))
            versioned = .object(fields)
        }
        do {
            return try versioned.decode(as: StoredLedger.self)
        } catch {
            throw Unreadable(description: "its stored ledger (version \(version)) does not read: \(error)")
        }
    }
}

// MARK: - To and from the ledger in memory

extension StoredLedger {
    init(_ ledger: OrchestrationLedger) {
        let params = ledger.params
        version = Self.currentVersion
        id = ledger.id
        self.params = Params(goal: params.goal, inputs: params.inputs, roles: params.roles, checks: params.checks.map(Self.json),
                             verify: params.verify, output: params.output.map(Output.init),
                             limits: params.limits.map { Limits(maxWorkers: $0.maxWorkers, maxReplans: $0.maxReplans,
                                                                maxCostUSD: $0.maxCostUSD, timeoutSeconds: $0.timeoutSeconds) },
                             workDoneToken: params.workDoneToken, apply: params.apply?.rawValue,
                             approval: params.approval.map { Approval(allow: $0.allow, ask: $0.ask, deny: $0.deny, default: $0.default) })
        state = ledger.state.rawValue
        plan = ledger.plan.map { plan in
            Plan(answer: plan.answer, subtasks: plan.subtasks.map { subtask in
                PlannedSubtask(id: subtask.id, role: subtask.role,
                               brief: Brief(task: subtask.brief.task, inputs: subtask.brief.inputs, scope: subtask.brief.scope,
                                            output: subtask.brief.output.map(Output.init), doNot: subtask.brief.doNot),
                               after: subtask.after, checks: subtask.checks.map(Self.json))
            })
        }
        subtasks = ledger.subtasks.mapValues { Subtask(status: $0.status.rawValue, attempts: $0.attempts,
                                                       verification: $0.verification.rawValue, reason: $0.reason) }
        decisions = ledger.decisions.map { Decision(at: $0.at, kind: $0.kind.rawValue, subtask: $0.subtask, reason: $0.reason) }
        replans = ledger.replans
        synthesis = ledger.synthesis.map { synthesis in
            Synthesis(id: synthesis.id, text: synthesis.text, structured: synthesis.structured,
                      sources: synthesis.sources.map { Source(workerId: $0.workerId, claim: $0.claim, source: $0.source) },
                      conflicts: synthesis.conflicts.map { Conflict(topic: $0.topic, workers: $0.workers, summary: $0.summary) },
                      gaps: synthesis.gaps,
                      usage: Usage(inputTokens: synthesis.usage.inputTokens, outputTokens: synthesis.usage.outputTokens,
                                   cacheReadTokens: synthesis.usage.cacheReadTokens,
                                   cacheWriteTokens: synthesis.usage.cacheWriteTokens, costUSD: synthesis.usage.costUSD))
        }
        changes = ledger.changes.map { changes in
            Changes(applied: changes.applied,
                    conflicts: changes.conflicts.map { ApplyConflictRecord(path: $0.path, reason: $0.reason, workerId: $0.workerId) },
                    pending: changes.pending, superseded: changes.superseded)
        }
        reason = ledger.reason
        stop = ledger.stop.map { Stop(state: $0.state.rawValue, reason: $0.reason) }
        createdAt = ledger.createdAt
        endedAt = ledger.endedAt
        lastSeq = ledger.lastSeq
    }

    /// The ledger this stored one describes; a value the wire no longer knows (a state, a
    /// decision kind, a check) is named in the error.
    func ledger() throws(Unreadable) -> OrchestrationLedger {
        let apply = try self.params.apply.map { raw throws(Unreadable) in try Self.known(OrchestrateApply.self, raw, "params.apply") }
        var params = OrchestrateParams(goal: self.params.goal, inputs: self.params.inputs, roles: self.params.roles,
                                       checks: try self.params.checks.map(Self.checks),
                                       output: self.params.output.map(\.spec),
                                       limits: self.params.limits.map { OrchestrateLimits(maxWorkers: $0.maxWorkers, maxReplans: $0.maxReplans,
                                                                                          maxCostUSD: $0.maxCostUSD,
                                                                                          timeoutSeconds: $0.timeoutSeconds) },
                                       workDoneToken: self.params.workDoneToken, verify: self.params.verify,
                                       apply: apply)
        params.approval = self.params.approval.map { ApprovalParams(allow: $0.allow, ask: $0.ask, deny: $0.deny, default: $0.default) }
        var ledger = OrchestrationLedger(id: id, params: params, state: try Self.known(OrchestrationState.self, state, "state"),
                                         createdAt: createdAt)
        if let plan {
            var subtasks: [PlanSubtask] = []
            for subtask in plan.subtasks {
                let brief = SubtaskBrief(task: subtask.brief.task, inputs: subtask.brief.inputs, scope: subtask.brief.scope,
                                         output: subtask.brief.output.map(\.spec), doNot: subtask.brief.doNot)
                subtasks.append(PlanSubtask(id: subtask.id, role: subtask.role, brief: brief, after: subtask.after,
                                            checks: try subtask.checks.map(Self.checks)))
            }
            ledger.plan = OrchestrationPlan(subtasks: subtasks, answer: plan.answer)
        }
        for (key, subtask) in subtasks {
            ledger.subtasks[key] = OrchestrationLedger.Subtask(
                status: try Self.known(SubtaskStatus.self, subtask.status, "subtasks.\(key).status"), attempts: subtask.attempts,
                verification: try Self.known(Verification.self, subtask.verification, "subtasks.\(key).verification"),
                reason: subtask.reason)
        }
        for decision in decisions {
            ledger.decisions.append(OrchestrationDecision(at: decision.at, kind: try Self.known(DecisionKind.self, decision.kind, "decisions.kind"),
                                                          subtask: decision.subtask, reason: decision.reason))
        }
        ledger.replans = replans
        ledger.synthesis = synthesis.map { synthesis in
            SynthesizeResult(id: synthesis.id, text: synthesis.text, structured: synthesis.structured,
                             sources: synthesis.sources.map { SynthesisSource(workerId: $0.workerId, claim: $0.claim, source: $0.source) },
                             conflicts: synthesis.conflicts.map { SynthesisConflict(topic: $0.topic, workers: $0.workers, summary: $0.summary) },
                             gaps: synthesis.gaps,
                             usage: WorkerUsage(inputTokens: synthesis.usage.inputTokens, outputTokens: synthesis.usage.outputTokens,
                                                cacheReadTokens: synthesis.usage.cacheReadTokens,
                                                cacheWriteTokens: synthesis.usage.cacheWriteTokens, costUSD: synthesis.usage.costUSD))
        }
        ledger.changes = changes.map { changes in
            OrchestrationChanges(applied: changes.applied,
                                 conflicts: changes.conflicts.map { ApplyConflict(path: $0.path, reason: $0.reason, workerId: $0.workerId) },
                                 pending: changes.pending, superseded: changes.superseded)
        }
        ledger.reason = reason
        if let stop {
            ledger.stop = OrchestrationLedger.Stop(state: try Self.known(OrchestrationState.self, stop.state, "stop.state"), reason: stop.reason)
        }
        ledger.endedAt = endedAt
        ledger.lastSeq = lastSeq
        return ledger
    }

    private static func json(_ checks: [Check]) -> [JSONValue] {
        checks.map { (try? JSONValue(encoding: $0)) ?? .null }
    }

    private static func checks(_ stored: [JSONValue]) throws(Unreadable) -> [Check] {
        var checks: [Check] = []
        for check in stored {
            do {
                checks.append(try check.decode(as: Check.self))
            } catch {
                throw Unreadable(description: "its stored check \(check.jsonString()) does not read: \(error)")
            }
        }
        return checks
    }

    private static func known<Value: RawRepresentable<String>>(_ type: Value.Type, _ raw: String,
                                                               _ field: String) throws(Unreadable) -> Value {
        guard let value = Value(rawValue: raw) else {
            throw Unreadable(description: "its stored \(field) \"\(raw)\" is not one this bosun knows")
        }
        return value
    }
}

extension StoredLedger.Output {
    init(_ spec: OutputSpec) {
        self.init(format: spec.format, schema: spec.schema)
    }

    var spec: OutputSpec { OutputSpec(format: format, schema: schema) }
}
