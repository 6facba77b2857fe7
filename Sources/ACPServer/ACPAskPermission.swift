import BosunJSON
import BosunProtocol
import BosunServer
import Synchronization

/// A worker's ask in an ACP session as `session/request_permission`, tied to the worker's
/// tool call (its id is the worker's). A permission ask offers its decisions: allow once
/// (`allow_once`), allow for the rest of the session (`allow_always`) and deny
/// (`reject_once`). A question with options offers each option (`allow_once`) and a decline
/// (`reject_once`); the option picked is the answer's text. A question without options has
/// no permission form, and ACP (version 1) no stable way to ask for text: it is not sent,
/// shows in the tool call, and waits for `bosun answer` (or `answer` from another client) or for
/// `maxWaitSeconds`. A cancelled request denies the ask.
enum ACPAskPermission {
    /// The option that declines a question.
    static let declineOption = "bosun:decline"

    /// The channel for the ACP session whose id `session` holds once it is open.
    static func channel(session: ACPSessionIdentity) -> ClientAsks.Channel {
        ClientAsks.Channel(method: "session/request_permission", params: { ask in
            guard let id = session.id, let options = options(for: ask) else { return nil }
            return params(ask, sessionId: id, options: options)
        }, answer: answer)
    }

    static func params(_ ask: Ask, sessionId: String, options: [JSONValue]) -> JSONValue {
        var toolCall: [String: JSONValue] = [
            "toolCallId": .string(ask.workerId), "status": "pending",
            "content": [["type": "content", "content": ["type": "text", "text": .string(ask.question)]]],
        ]
        toolCall["rawInput"] = ask.input.map { ["tool": .string(ask.tool ?? ""), "input": $0] }
        return ["sessionId": .string(sessionId), "toolCall": .object(toolCall), "options": .array(options)]
    }

    /// The permission options for `ask`, or nil when a permission request cannot answer it.
    static func options(for ask: Ask) -> [JSONValue]? {
        func option(_ id: String, _ name: String, _ kind: String) -> JSONValue {
            ["optionId": .string(id), "name": .string(name), "kind": .string(kind)]
        }
        switch ask.kind {
        case .permission:
            return (ask.options ?? AskDecision.permissionOptions).compactMap { offered in
                switch AskDecision(rawValue: offered.id) {
                case .allow?: return option(offered.id, offered.label, "allow_once")
                case .allowAlways?: return option(offered.id, offered.label, "allow_always")
                case .deny?: return option(offered.id, offered.label, "reject_once")
                case nil: return nil
                }
            }
        case .question:
            guard let choices = ask.options else { return nil }
            return choices.map { option($0.id, $0.label, "allow_once") } + [option(declineOption, "Decline to answer", "reject_once")]
        }
    }

    /// `answer`'s params for the client's `RequestPermissionResponse`.
    static func answer(_ ask: Ask, _ result: JSONValue) throws -> AnswerParams {
        let outcome = result["outcome"]
        switch outcome?["outcome"]?.stringValue {
        case "cancelled":
            return AnswerParams(askId: ask.askId, decision: .deny, text: "The person cancelled the request.")
        case "selected":
            guard let picked = outcome?["optionId"]?.stringValue else {
                throw ACPAskPermissionError("a selected outcome must carry optionId, a string")
            }
            switch ask.kind {
            case .permission:
                guard let decision = AskDecision(rawValue: picked) else {
                    throw ACPAskPermissionError("optionId \"\(picked)\" is none of the options sent")
                }
                return AnswerParams(askId: ask.askId, decision: decision)
            case .question:
                if picked == declineOption { return AnswerParams(askId: ask.askId, decision: .deny, text: "The person declined.") }
                return AnswerParams(askId: ask.askId, text: picked)
            }
        default:
            throw ACPAskPermissionError("outcome.outcome must be selected or cancelled; got \(outcome?.jsonString() ?? "none")")
        }
    }
}

/// An ACP session's id, known once its bosun session has opened (its asks may be announced
/// before: a resumed session asking again).
final class ACPSessionIdentity: Sendable {
    private let value = Mutex<String?>(nil)

    var id: String? { value.withLock { $0 } }

    func set(_ id: String) { value.withLock { $0 = id } }
}

/// A `session/request_permission` result that answers nothing: what is wrong with it.
struct ACPAskPermissionError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
