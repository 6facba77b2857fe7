import BosunProtocol
import Config
import Workers

/// Which approval rules a worker runs under: its role's, then every set its ancestors and
/// its spawn added. Each set decides on its own and the strictest decision wins
/// (`ApprovalPolicy`), so whatever is added can only narrow.
extension Session {
    /// The rules a `spawn`'s or an `orchestrate`'s `approval` adds, checked: a pattern that
    /// cannot be used is -32602 naming it (`approval.deny[0]`).
    static func approvalRules(_ params: ApprovalParams?, origin: String) throws -> ApprovalRules? {
        guard let params else { return nil }
        var rules = ApprovalRules(allow: params.allow ?? [], ask: params.ask ?? [], deny: params.deny ?? [], origin: origin)
        if let value = params.default {
            guard let decision = ApprovalDecision(rawValue: value) else {
                throw SessionError.invalidParams("approval.default", """
                    approval.default must be allow, ask or deny; got "\(value)".
                    """)
            }
            rules.otherwise = decision
        }
        do {
            try rules.validate()
        } catch {
            throw SessionError.invalidParams("approval.\(error.field)", "approval.\(error.field) \"\(error.pattern)\": \(error.error.message).")
        }
        return rules
    }

    /// The sets a new worker of `parent` inherits: a parent worker's own (its role's and what
    /// it inherited), or the `approval` of the orchestration that spawns it.
    func inheritedApproval(from parent: String?) -> [ApprovalRules] {
        guard let parent else { return [] }
        if let entry = entries[parent] {
            let role = config.roles[entry.role]?.approval
            return (role.map { [$0] } ?? []) + (entry.spec.approval ?? [])
        }
        if let ledger = orchestrations[parent]?.ledger,
           let rules = try? Self.approvalRules(ledger.params.approval, origin: "orchestration \(parent)") {
            return [rules]
        }
        return []
    }

    /// What added the rules of a spawn's `approval`: the client, an orchestration, a parent worker.
    func approvalOrigin(parent: String?) -> String {
        guard let parent else { return "spawn params" }
        return orchestrations[parent] == nil ? "spawn_worker of \(parent)" : "orchestration \(parent)"
    }

    /// A permission ask answered after a restart, when the call that asked did not run: the
    /// worker is told to make it again, and then it runs unasked: always for `allow_always`,
    /// once for `allow`. (A live ask's answer is kept by the worker loop, which runs the call.)
    func rememberAllowed(_ ask: Ask, _ decision: AskDecision?, answeredBy: String) {
        if let call = sessionRule(ask, decision) { approvals.allowAlways(call) }
        guard decision == .allow, ask.kind == .permission, let tool = ask.tool else { return }
        approvals.allowOnce(tool: tool, input: ask.input ?? [:], answeredBy: answeredBy, for: ask.workerId)
    }

    /// The call an answer makes a session rule of: a permission ask's, answered `allow_always`.
    /// The store keeps it with the answer, so a resumed session does not ask it again.
    func sessionRule(_ ask: Ask, _ decision: AskDecision?) -> ApprovalCall? {
        guard decision == .allowAlways, ask.kind == .permission, let tool = ask.tool else { return nil }
        return ApprovalCall(tool: tool, input: ask.input ?? [:], workspaceRoot: environment.workspaceRoot)
    }

    /// The policy a run of `entry` checks its calls against.
    func approvalPolicy(for entry: WorkerEntry, role: RoleConfig) throws -> ApprovalPolicy {
        do {
            return try ApprovalPolicy([role.approval] + (entry.spec.approval ?? []))
        } catch {
            throw WorkerFailure(code: .configError, message: "The worker's approval rules cannot be used: \(error). Fix the role's approval in the config.")
        }
    }
}
