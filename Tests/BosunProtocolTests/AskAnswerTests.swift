import BosunJSON
import BosunProtocol
import Testing

/// What `answer` accepts for each kind of ask, and which field a refusal names.
@Suite struct AskAnswerTests {
    static let permission = Ask(askId: "a_1", workerId: "w_1", kind: .permission, tool: "run_command", input: ["argv": ["npm", "publish"]],
                                question: "May the worker call run_command?", options: AskDecision.permissionOptions,
                                createdAt: "2026-12-07T00:00:00.000Z")
    static let narrowed = Ask(askId: "a_2", workerId: "w_1", kind: .permission, tool: "write_file", question: "May it?",
                              options: [.init(id: "allow", label: "Allow"), .init(id: "deny", label: "Deny")],
                              createdAt: "2026-12-07T00:00:00.000Z")
    static let choice = Ask(askId: "a_3", workerId: "w_1", kind: .question, question: "Which?",
                            options: [.init(id: "postgres", label: "postgres"), .init(id: "sqlite", label: "sqlite")],
                            createdAt: "2026-12-07T00:00:00.000Z")
    static let free = Ask(askId: "a_4", workerId: "w_1", kind: .question, question: "Why?", createdAt: "2026-12-07T00:00:00.000Z")

    @Test(arguments: [
        (permission, AnswerParams(askId: "a_1", decision: .allow), AskDecision?.some(.allow), String?.none),
        (permission, AnswerParams(askId: "a_1", decision: .allowAlways, text: "fine"), .allowAlways, "fine"),
        (permission, AnswerParams(askId: "a_1", decision: .deny, text: "not today"), .deny, "not today"),
        (narrowed, AnswerParams(askId: "a_2", decision: .deny), .deny, nil),
        (choice, AnswerParams(askId: "a_3", text: "sqlite"), nil, "sqlite"),
        (choice, AnswerParams(askId: "a_3", decision: .deny), .deny, nil),
        (free, AnswerParams(askId: "a_4", text: "Because."), nil, "Because."),
    ])
    func accepted(_ ask: Ask, _ answer: AnswerParams, _ decision: AskDecision?, _ text: String?) throws {
        let checked = try ask.check(answer)
        #expect(checked.decision == decision && checked.text == text)
    }

    @Test(arguments: [
        (permission, AnswerParams(askId: "a_1", text: "yes please"), "decision"),
        (narrowed, AnswerParams(askId: "a_2", decision: .allowAlways), "decision"),
        (choice, AnswerParams(askId: "a_3", decision: .allow), "decision"),
        (choice, AnswerParams(askId: "a_3", text: "mysql"), "text"),
        (choice, AnswerParams(askId: "a_3"), "text"),
        (free, AnswerParams(askId: "a_4", text: ""), "text"),
    ])
    func refused(_ ask: Ask, _ answer: AnswerParams, _ field: String) {
        do {
            _ = try ask.check(answer)
            Issue.record("\(answer) was accepted for \(ask.kind)")
        } catch {
            #expect(error.code == SessionError.invalidParamsCode)
            #expect(error.data?["field"]?.stringValue == field, "\(error.message)")
        }
    }

    @Test func askedAndAnsweredEventsReadBackAsWritten() throws {
        let asked = WorkerEventData.asked(Self.choice, to: .client, again: true)
        #expect(try WorkerEventData(kind: .asked, json: asked.json) == asked)
        let answered = WorkerEventData.answered(AskAnswer(askId: "a_3", decision: nil, text: "sqlite", answeredBy: "client", waitedMs: 12))
        #expect(try WorkerEventData(kind: .answered, json: answered.json) == answered)
        #expect(try JSONValue(encoding: Self.permission) == Self.permission.json)
    }
}
