import BosunJSON
import BosunProtocol

/// What a worker asks of whoever answers for it: may it make a tool call its rules say to
/// ask about, or its own question.
public enum AskRequest: Sendable, Hashable {
    /// `rule`: the approval pattern that said to ask (shown to whoever answers).
    case permission(tool: String, input: JSONValue, rule: String)
    /// `options`: the choices offered; nil for a free answer.
    case question(text: String, options: [Ask.Option]?)
}

/// The answer a worker gets. A permission ask is answered with a decision (`deny` also
/// when nobody answered in time, with `text` saying so); a question with text, or `deny`
/// when it was declined or ran out of time.
public struct AskReply: Sendable, Hashable {
    public var decision: AskDecision?
    public var text: String?
    /// `client`, `parent:<workerId>`, `coordinator`, `remote` or `timeout` (see `AskAnswer`).
    public var answeredBy: String

    public init(decision: AskDecision?, text: String?, answeredBy: String) {
        self.decision = decision
        self.text = text
        self.answeredBy = answeredBy
    }
}

/// Where a worker's asks go. The session implements it: it stores the ask before anyone
/// hears of it, puts the worker in `waiting` (its slot given back, its timeout clock
/// stopped), sends the ask on, and returns the answer once the worker has a slot again, or
/// `deny` once `limits.maxWaitSeconds` passed. Throws `CancellationError` when the worker is
/// stopped while it waits.
public protocol WorkerAsking: Sendable {
    func ask(_ request: AskRequest, from workerId: String) async throws -> AskReply
}
