import BosunJSON
import BosunProtocol
import Testing

@testable import ACPServer

/// A worker's ask as ACP's `session/request_permission`, and the client's outcome back.
@Suite struct ACPAskPermissionTests {
    static let permission = Ask(askId: "a_1", workerId: "w_1", kind: .permission, tool: "run_command", input: ["command": "ls"],
                                question: "May the worker call run_command?", options: AskDecision.permissionOptions,
                                createdAt: "2026-12-07T18:00:00.000Z")
    static let choice = Ask(askId: "a_2", workerId: "w_1", kind: .question, question: "Which database?",
                            options: [.init(id: "postgres", label: "PostgreSQL")], createdAt: "2026-12-07T18:00:00.000Z")
    static let free = Ask(askId: "a_3", workerId: "w_1", kind: .question, question: "Which port?", createdAt: "2026-12-07T18:00:00.000Z")

    @Test func optionsCarryTheKindsACPKnows() throws {
        let permission = try #require(ACPAskPermission.options(for: Self.permission))
        #expect(permission.map { [$0["optionId"], $0["kind"]] } == [["allow", "allow_once"], ["allow_always", "allow_always"], ["deny", "reject_once"]])
        let choice = try #require(ACPAskPermission.options(for: Self.choice))
        #expect(choice.map { [$0["optionId"], $0["name"], $0["kind"]] }
            == [["postgres", "PostgreSQL", "allow_once"], ["bosun:decline", "Decline to answer", "reject_once"]])
        #expect(ACPAskPermission.options(for: Self.free) == nil, "a free answer has no permission form")
        let params = ACPAskPermission.params(Self.permission, sessionId: "s_1", options: permission)
        #expect(params["sessionId"] == "s_1" && params["toolCall"]?["toolCallId"] == "w_1", "the request names the worker's tool call")
    }

    static let answered: [(Ask, JSONValue, AnswerParams)] = [
        (permission, ["outcome": ["outcome": "selected", "optionId": "allow_always"]], AnswerParams(askId: "a_1", decision: .allowAlways)),
        (permission, ["outcome": ["outcome": "selected", "optionId": "deny"]], AnswerParams(askId: "a_1", decision: .deny)),
        (permission, ["outcome": ["outcome": "cancelled"]], AnswerParams(askId: "a_1", decision: .deny, text: "The person cancelled the request.")),
        (choice, ["outcome": ["outcome": "selected", "optionId": "postgres"]], AnswerParams(askId: "a_2", text: "postgres")),
        (choice, ["outcome": ["outcome": "selected", "optionId": "bosun:decline"]], AnswerParams(askId: "a_2", decision: .deny, text: "The person declined.")),
    ]

    @Test(arguments: answered)
    func outcomesAnswerTheAsk(ask: Ask, result: JSONValue, expected: AnswerParams) throws {
        #expect(try ACPAskPermission.answer(ask, result) == expected)
    }

    @Test func anOutcomeOfAnotherShapeAnswersNothing() {
        #expect(throws: ACPAskPermissionError.self) { try ACPAskPermission.answer(Self.permission, ["outcome": ["outcome": "maybe"]]) }
        #expect(throws: ACPAskPermissionError.self) {
            try ACPAskPermission.answer(Self.permission, ["outcome": ["outcome": "selected", "optionId": "sometimes"]])
        }
    }
}
