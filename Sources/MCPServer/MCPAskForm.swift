import BosunJSON
import BosunProtocol

/// A worker's ask as an MCP form elicitation (`elicitation/create`, `mode: "form"`), and the
/// client's `ElicitResult` back as `answer`'s params. A permission ask is one required
/// field, `decision`, choosing among the decisions it offers; a question with options is
/// `answer` choosing among them; a question without is `answer` as free text. Declining or
/// cancelling the form denies the ask.
enum MCPAskForm {
    /// The most characters of a tool call's input the message quotes.
    static let maxInputCharacters = 2000

    /// Whether a client's `elicitation` capability takes forms: `{}` (what clients before
    /// 2025-11-25 sent, which meant forms) or one with `form`.
    static func acceptsForms(_ elicitation: JSONValue?) -> Bool {
        guard let fields = elicitation?.objectValue else { return false }
        return fields["form"] != nil || fields["url"] == nil
    }

    /// `elicitation/create`'s params for `ask`.
    static func request(_ ask: Ask) -> JSONValue {
        var message = "Worker \(ask.workerId) asks: \(ask.question)"
        if let tool = ask.tool {
            let input = ask.input.map { String($0.jsonString().prefix(maxInputCharacters)) } ?? "{}"
            message += "\n\n\(tool) \(input)"
        }
        let field: (name: String, schema: JSONValue)
        switch ask.kind {
        case .permission:
            field = ("decision", choice("Decision", ask.options ?? AskDecision.permissionOptions))
        case .question:
            field = ("answer", ask.options.map { choice("Answer", $0) } ?? ["type": "string", "title": "Answer"])
        }
        return [
            "mode": "form",
            "message": .string(message),
            "requestedSchema": ["type": "object", "properties": [.init(stringLiteral: field.name): field.schema],
                                "required": [.string(field.name)]],
        ]
    }

    /// A single choice, titled: `oneOf` of `{const, title}`.
    private static func choice(_ title: String, _ options: [Ask.Option]) -> JSONValue {
        ["type": "string", "title": .string(title),
         "oneOf": .array(options.map { ["const": .string($0.id), "title": .string($0.label)] })]
    }

    /// `answer`'s params for the client's `ElicitResult`: `accept` with the field's value, or
    /// `deny` for `decline` and `cancel`. Whether the value is one the ask offers is
    /// `answer`'s to check; a result of another shape throws, naming what is wrong.
    static func answer(_ ask: Ask, result: JSONValue) throws(MCPAskFormError) -> AnswerParams {
        switch result["action"]?.stringValue {
        case "accept":
            let field = ask.kind == .permission ? "decision" : "answer"
            guard let value = result["content"]?[field]?.stringValue else {
                throw MCPAskFormError("an accepted form must carry content.\(field), a string; got \(result["content"]?.jsonString() ?? "no content")")
            }
            guard ask.kind == .permission else { return AnswerParams(askId: ask.askId, text: value) }
            guard let decision = AskDecision(rawValue: value) else {
                throw MCPAskFormError("content.decision must be one of \(ask.offeredDecisions.map(\.rawValue).joined(separator: ", ")); got \"\(value)\"")
            }
            return AnswerParams(askId: ask.askId, decision: decision)
        case "decline":
            return AnswerParams(askId: ask.askId, decision: .deny, text: "The person declined.")
        case "cancel":
            return AnswerParams(askId: ask.askId, decision: .deny, text: "The person dismissed the question without answering.")
        default:
            throw MCPAskFormError("action must be accept, decline or cancel; got \(result["action"]?.jsonString() ?? "none")")
        }
    }
}

/// An `ElicitResult` that answers nothing: what is wrong with it.
struct MCPAskFormError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
