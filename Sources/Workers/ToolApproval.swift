import BosunJSON
import Config
import Synchronization

/// The calls a person answered `allow_always` in this session: the same call (tool and
/// input, as `ApprovalCall.identity` tells them apart) is not asked again while the
/// session is open. Shared by the session's workers; a deny rule still wins over it.
public final class SessionApprovals: Sendable {
    private let identities = Mutex<Set<String>>([])

    public init() {}

    public func allowAlways(_ call: ApprovalCall) {
        _ = identities.withLock { $0.insert(call.identity) }
    }

    public func isAllowed(_ call: ApprovalCall) -> Bool {
        identities.withLock { $0.contains(call.identity) }
    }
}

/// Applies the worker's approval rules to a tool call before it runs (`WorkerLoop`).
enum ToolApproval {
    /// What the worker loop does with a call.
    enum Outcome {
        /// Run the tool; `trace` says which rule allowed it, when one did.
        case run(trace: JSONValue?)
        /// Do not run it: this is the tool result the model gets.
        case refuse(ToolOutput)
    }

    static func check(tool: String, input: JSONValue, context: ToolContext) async -> Outcome {
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
                return .run(trace: trace(verdict, answer: "allow_always earlier in this session"))
            }
            return .refuse(ToolOutput(text: """
                \(call.text) needs a person's approval (the \(verdict.explanation)), and no one can be asked \
                in this session, so it did not run. Do the task without it, or say in your result that it \
                needs this call.
                """, isError: true, trace: ["approval": trace(verdict, answer: "deny: no one can be asked")]))
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
