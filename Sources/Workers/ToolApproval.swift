import BosunJSON
import Config
import Synchronization

/// The calls a person answered `allow_always` in this session: the same call (tool and
/// input, as `ApprovalCall.identity` tells them apart) is not asked again in the session,
/// also once it is resumed (the trace store keeps them). Shared by the session's workers;
/// a deny rule still wins over it.
///
/// Also the calls answered a plain `allow` after a restart, whose call did not run (the
/// worker is told to make it again): each lets its worker make that same call once.
public final class SessionApprovals: Sendable {
    /// `ApprovalCall.identityDigest` of each call.
    private let digests = Mutex<Set<String>>([])
    /// The calls allowed once, by worker.
    private let once = Mutex<[String: [AllowedOnce]]>([:])

    /// A call a person allowed once: the same tool with the same input, and who allowed it.
    private struct AllowedOnce: Sendable {
        var tool: String
        var input: JSONValue
        var answeredBy: String
    }

    public init() {}

    public func allowAlways(_ call: ApprovalCall) {
        _ = digests.withLock { $0.insert(call.identityDigest) }
    }

    /// Restores the calls an earlier run of the session allowed, by their digests.
    public func allowAlways(digests stored: [String]) {
        digests.withLock { $0.formUnion(stored) }
    }

    public func isAllowed(_ call: ApprovalCall) -> Bool {
        digests.withLock { $0.contains(call.identityDigest) }
    }

    /// Lets `workerId` make this call (same tool, same input) once without asking.
    public func allowOnce(tool: String, input: JSONValue, answeredBy: String, for workerId: String) {
        once.withLock { $0[workerId, default: []].append(AllowedOnce(tool: tool, input: input, answeredBy: answeredBy)) }
    }

    /// Who allowed this call of `workerId` once, using that allowance up; nil when nobody did.
    func takeAllowedOnce(tool: String, input: JSONValue, by workerId: String) -> String? {
        once.withLock { passes in
            guard let index = passes[workerId]?.firstIndex(where: { $0.tool == tool && $0.input == input }) else { return nil }
            return passes[workerId]?.remove(at: index).answeredBy
        }
    }
}

/// Applies the worker's approval rules to a tool call before it runs (`WorkerLoop`).
enum ToolApproval {
    /// What the worker loop does with a call.
    enum Outcome {
        /// Run the tool; `trace` says which rule allowed it, when one did; `note` is what the
        /// person who allowed it said, shown to the worker above the tool's answer.
        case run(trace: JSONValue?, note: String? = nil)
        /// Do not run it: this is the tool result the model gets.
        case refuse(ToolOutput)
    }

    /// Throws only `CancellationError` (the worker was stopped while it waited for an answer).
    static func check(tool: String, input: JSONValue, context: ToolContext) async throws -> Outcome {
        guard !context.approval.isEmpty else { return .run(trace: nil) }
        let call = ApprovalCall(tool: tool, input: input, workspaceRoot: context.workspaceRoot)
        let verdict = context.approval.decide(call)
        switch verdict.decision {
        case .allow:
            return .run(trace: verdict.rule == nil ? nil : trace(verdict))
        case .deny:
            return .refuse(ToolOutput(text: """
                \(call.text) was denied by the \(verdict.explanation), so it did not run. Do the task \
                without it, or say in your result that it needs this call.
                """, isError: true, trace: ["approval": trace(verdict)]))
        case .ask:
            if context.sessionApprovals?.isAllowed(call) == true {
                return .run(trace: trace(verdict, answer: "allow_always, earlier in this session"))
            }
            if let answeredBy = context.sessionApprovals?.takeAllowedOnce(tool: tool, input: input, by: context.workerId) {
                return .run(trace: trace(verdict, answer: "allow by \(answeredBy), answered after a restart"))
            }
            guard let asking = context.asking else {
                return .refuse(ToolOutput(text: """
                    \(call.text) needs a person's approval (the \(verdict.explanation)), and no one can be asked \
                    here, so it did not run. Do the task without it, or say in your result that it needs this call.
                    """, isError: true, trace: ["approval": trace(verdict, answer: "deny: no one can be asked")]))
            }
            let rule = verdict.rule ?? "every call no rule allows (the default of \(verdict.origin) is ask)"
            let reply = try await asking.ask(.permission(tool: tool, input: input, rule: rule), from: context.workerId)
            let note = reply.text.map { " Their note: \($0)" } ?? ""
            let answer = "\(reply.decision?.rawValue ?? "deny") by \(reply.answeredBy)"
            switch reply.decision {
            case .allow?:
                return .run(trace: trace(verdict, answer: answer), note: reply.text.map { "Allowed by \(reply.answeredBy): \($0)" })
            case .allowAlways?:
                context.sessionApprovals?.allowAlways(call)
                return .run(trace: trace(verdict, answer: answer), note: reply.text.map { "Allowed by \(reply.answeredBy): \($0)" })
            case .deny?, nil:
                return .refuse(ToolOutput(text: """
                    \(call.text) was not approved (asked because of the \(verdict.explanation); \(reply.answeredBy) \
                    answered deny), so it did not run.\(note) Do the task without it, or say in your result that it \
                    needs this call.
                    """, isError: true, trace: ["approval": trace(verdict, answer: answer)]))
            }
        }
    }

    /// What the tool_result event keeps: the decision, the rule and whose rules it was.
    static func trace(_ verdict: ApprovalVerdict, answer: String? = nil) -> JSONValue {
        var fields: [String: JSONValue] = ["decision": .string(verdict.decision.rawValue), "origin": .string(verdict.origin)]
        if let rule = verdict.rule { fields["rule"] = .string(rule) }
        if let answer { fields["answer"] = .string(answer) }
        return .object(fields)
    }
}
