import BosunJSON

/// A worker's question to a person (or to whoever answers for one): a permission the rules
/// say to ask for, or the worker's own `ask` tool. The session stores it before anyone hears
/// of it, and the worker waits (`waiting`) until it is answered or `limits.maxWaitSeconds`
/// passes (`Ask` in protocol/bosun-1.schema.json).
public struct Ask: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// May the worker make this tool call? Answered with a `decision`.
        case permission
        /// The worker's own question; answered with `text` (an option's id when it offers options).
        case question
    }

    /// One choice offered: a permission ask offers decisions (`allow`, `allow_always`, `deny`),
    /// a question its own options.
    public struct Option: Codable, Sendable, Hashable {
        public var id: String
        public var label: String

        public init(id: String, label: String) {
            self.id = id
            self.label = label
        }
    }

    public var askId: String
    public var workerId: String
    public var kind: Kind
    /// The tool call a permission ask is about.
    public var tool: String?
    public var input: JSONValue?
    /// What a person reads: the question, or what the worker wants to do and why it asks.
    public var question: String
    public var options: [Option]?
    public var createdAt: String

    public init(askId: String, workerId: String, kind: Kind, tool: String? = nil, input: JSONValue? = nil,
                question: String, options: [Option]? = nil, createdAt: String) {
        self.askId = askId
        self.workerId = workerId
        self.kind = kind
        self.tool = tool
        self.input = input
        self.question = question
        self.options = options
        self.createdAt = createdAt
    }

    /// The wire form, absent fields left out: the same JSON as `Codable`.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "askId": .string(askId), "workerId": .string(workerId), "kind": .string(kind.rawValue),
            "question": .string(question), "createdAt": .string(createdAt),
        ]
        fields["tool"] = tool.map(JSONValue.string)
        fields["input"] = input
        fields["options"] = options.map { .array($0.map { ["id": .string($0.id), "label": .string($0.label)] }) }
        return .object(fields)
    }
}

/// How a permission ask is answered. `allow_always` also allows the same call for the rest
/// of the session.
public enum AskDecision: String, Codable, Sendable, Hashable, CaseIterable {
    case allow
    case allowAlways = "allow_always"
    case deny

    /// The options a permission ask offers by default: every decision.
    public static let permissionOptions = [
        Ask.Option(id: AskDecision.allow.rawValue, label: "Allow once"),
        Ask.Option(id: AskDecision.allowAlways.rawValue, label: "Allow for the rest of the session"),
        Ask.Option(id: AskDecision.deny.rawValue, label: "Deny"),
    ]
}

/// Who an ask went to: the worker's parent worker, an orchestration's coordinator, or the
/// session's client (and through it a person).
public enum AskRoute: String, Codable, Sendable, Hashable {
    case parent
    case coordinator
    case client
}

/// `answer` params: the ask, and a decision (permission asks) or text (questions).
public struct AnswerParams: Codable, Sendable, Hashable {
    public var askId: String
    public var decision: AskDecision?
    public var text: String?

    public init(askId: String, decision: AskDecision? = nil, text: String? = nil) {
        self.askId = askId
        self.decision = decision
        self.text = text
    }
}

/// `answer`'s result: the worker the ask belonged to and its state now (`queued` while it
/// waits for a slot again, `running` once it has one).
public struct AnswerResult: Codable, Sendable, Hashable {
    public var askId: String
    public var workerId: String
    public var state: WorkerState

    public init(askId: String, workerId: String, state: WorkerState) {
        self.askId = askId
        self.workerId = workerId
        self.state = state
    }
}

/// How an ask was answered: the `answered` event's data.
public struct AskAnswer: Codable, Sendable, Hashable {
    public var askId: String
    public var decision: AskDecision?
    public var text: String?
    /// `client`, `parent:<workerId>`, `coordinator`, `remote` (another process, `bosun answer`)
    /// or `timeout` (nobody answered within `limits.maxWaitSeconds`).
    public var answeredBy: String
    /// How long the worker waited, in milliseconds.
    public var waitedMs: Int

    public init(askId: String, decision: AskDecision?, text: String?, answeredBy: String, waitedMs: Int) {
        self.askId = askId
        self.decision = decision
        self.text = text
        self.answeredBy = answeredBy
        self.waitedMs = waitedMs
    }

    public var json: JSONValue {
        var fields: [String: JSONValue] = ["askId": .string(askId), "answeredBy": .string(answeredBy),
                                           "waitedMs": .int(Int64(waitedMs))]
        fields["decision"] = decision.map { .string($0.rawValue) }
        fields["text"] = text.map(JSONValue.string)
        return .object(fields)
    }
}

/// What a bosun/1 client that declared `capabilities.bosun.asks` answers to `worker/ask`:
/// the same as `answer`'s params without the ask's id.
public struct AskRequestResult: Codable, Sendable, Hashable {
    public var decision: AskDecision?
    public var text: String?

    public init(decision: AskDecision? = nil, text: String? = nil) {
        self.decision = decision
        self.text = text
    }
}

extension SessionError {
    public static let unknownAskCode = unknownWorkerCode

    /// No such ask in this session.
    public static func unknownAsk(_ askId: String) -> SessionError {
        SessionError(code: unknownWorkerCode, message: """
            There is no ask \(askId) in this session. A worker's status lists its pending asks (asks), and \
            worker/event "asked" announces each one.
            """, data: ["field": "askId", "askId": .string(askId)])
    }

    /// The ask was answered already (or its worker ended): nothing waits for an answer.
    public static func askClosed(_ askId: String, how: String) -> SessionError {
        SessionError(code: invalidStateCode, message: "Ask \(askId) is no longer pending: \(how). Nothing waits for this answer.",
                     data: ["field": "askId", "askId": .string(askId)])
    }
}

extension Ask {
    /// The decisions a permission ask offers (all of them unless its options narrow them).
    public var offeredDecisions: [AskDecision] {
        guard let options else { return AskDecision.allCases }
        return options.compactMap { AskDecision(rawValue: $0.id) }
    }

    /// Checks an answer against the ask: a permission ask takes a decision it offers, a
    /// question text (one of its options' ids when it has options) or `deny` to decline.
    /// Returns the decision and text the worker gets; throws -32602 naming the field.
    public func check(_ answer: AnswerParams) throws(SessionError) -> (decision: AskDecision?, text: String?) {
        let text = answer.text.flatMap { $0.isEmpty ? nil : $0 }
        switch kind {
        case .permission:
            let offered = offeredDecisions.map(\.rawValue).joined(separator: ", ")
            guard let decision = answer.decision else {
                throw .invalidParams("decision", """
                    Ask \(askId) asks permission for \(tool ?? "a tool call"): answer it with decision (\(offered)); \
                    text alone does not decide it, it only goes to the worker with the decision.
                    """)
            }
            guard offeredDecisions.contains(decision) else {
                throw .invalidParams("decision", "Ask \(askId) does not offer decision \(decision.rawValue); it offers: \(offered).")
            }
            return (decision, text)
        case .question:
            if let decision = answer.decision, decision != .deny {
                throw .invalidParams("decision", """
                    Ask \(askId) is a question, not a permission: answer it with text, or with decision deny to \
                    decline it; \(decision.rawValue) does not answer a question.
                    """)
            }
            if answer.decision == .deny { return (.deny, text) }
            guard let text else {
                let hint = options.map { " one of the options' ids (\($0.map(\.id).joined(separator: ", ")))" } ?? " the answer"
                throw .invalidParams("text", "Ask \(askId) is a question: give text,\(hint), or decision deny to decline it.")
            }
            if let options, !options.contains(where: { $0.id == text }) {
                throw .invalidParams("text", """
                    Ask \(askId) offers options; answer with one of their ids: \(options.map(\.id).joined(separator: ", ")).
                    """)
            }
            return (nil, text)
        }
    }
}
