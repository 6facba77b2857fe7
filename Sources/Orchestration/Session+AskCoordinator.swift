import BosunJSON
import BosunProtocol
import Foundation
import Workers

/// An orchestration's subtask asks its orchestration's coordinator first: a `coordinator`
/// worker reads the goal, the subtask's brief and the ask, and answers it when the goal or
/// the inputs settle it. Otherwise (it cannot tell, fails, or gives an answer that does not
/// fit the ask) the ask goes on to the client, announced again with `to: "client"`.
extension Session {
    /// The coordinator's submission: whether the goal settles the ask, and the answer.
    static let askAnswerSchema: JSONValue = [
        "type": "object",
        "properties": [
            "answerable": ["type": "boolean", "description": "Whether the goal or the inputs settle the ask."],
            "text": ["type": "string", "description": "The answer to a question (one of its options when it has options)."],
            "decision": ["type": "string", "enum": ["allow", "deny"], "description": "A permission ask's answer."],
            "reason": ["type": "string", "description": "Where in the goal or inputs the answer comes from, or why they do not settle it."],
        ],
        "required": ["answerable", "reason"],
        "additionalProperties": false,
    ]

    /// Runs the coordinator on an ask that went to it and answers or passes the ask on.
    func consultCoordinator(_ askId: String, orchestrationId: String) async {
        guard let open = openAsks[askId], let ledger = orchestrations[orchestrationId]?.ledger else { return }
        let brief = OrchestrationPrompts.askAnswer(open.ask, subtask: entries[open.ask.workerId]?.task ?? "", goal: ledger.goal,
                                                   goalInputs: ledger.params.inputs ?? [], schema: Self.askAnswerSchema)
        var answered = false
        do {
            let coordinator = try await spawn(brief, parent: orchestrationId)
            let entry = try await waitUntilSettled(coordinator.id)
            if entry.state == .succeeded, let reply = entry.result?.structured, reply["answerable"]?.boolValue == true,
               openAsks[askId] != nil {
                let params = AnswerParams(askId: askId, decision: reply["decision"]?.stringValue.flatMap(AskDecision.init(rawValue:)),
                                          text: reply["text"]?.stringValue)
                answered = (try? await answer(params, by: "coordinator")) != nil
            }
        } catch {
            logger.notice("the coordinator could not be asked about \(askId): \(error); the client is asked")
        }
        if !answered { passToClient(askId) }
    }

    /// An ask nobody before the client could answer goes to the client now.
    func passToClient(_ askId: String) {
        guard let open = openAsks[askId], open.route != .client else { return }
        openAsks[askId]?.route = .client
        emit(open.ask.workerId, .asked(open.ask, to: .client, again: true))
    }
}
