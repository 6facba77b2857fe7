import BosunJSON
import BosunProtocol
import Testing

@testable import MCPServer

/// A worker's ask as an MCP form elicitation, and the client's `ElicitResult` back.
@Suite struct MCPAskFormTests {
    static let permission = Ask(askId: "a_1", workerId: "w_1", kind: .permission, tool: "run_command",
                                input: ["command": "npm publish"], question: "May the worker call run_command?",
                                options: AskDecision.permissionOptions, createdAt: "2026-12-07T18:00:00.000Z")
    static let choice = Ask(askId: "a_2", workerId: "w_1", kind: .question, question: "Which database?",
                            options: [.init(id: "postgres", label: "postgres"), .init(id: "sqlite", label: "sqlite")],
                            createdAt: "2026-12-07T18:00:00.000Z")
    static let free = Ask(askId: "a_3", workerId: "w_1", kind: .question, question: "What is the port?",
                          createdAt: "2026-12-07T18:00:00.000Z")

    @Test func eachKindIsOneRequiredField() throws {
        let permission = MCPAskForm.request(Self.permission)
        #expect(permission["mode"] == "form")
        #expect(permission["message"]?.stringValue?.contains(#"run_command {"command":"npm publish"}"#) == true, "\(permission)")
        #expect(permission["requestedSchema"]?["required"] == ["decision"])
        let decisions = permission["requestedSchema"]?["properties"]?["decision"]?["oneOf"]?.arrayValue?.compactMap { $0["const"]?.stringValue }
        #expect(decisions == ["allow", "allow_always", "deny"])

        let choice = MCPAskForm.request(Self.choice)["requestedSchema"]?["properties"]?["answer"]
        #expect(choice?["oneOf"]?.arrayValue?.compactMap { $0["title"]?.stringValue } == ["postgres", "sqlite"])
        let free = MCPAskForm.request(Self.free)["requestedSchema"]?["properties"]?["answer"]
        #expect(free == ["type": "string", "title": "Answer"])
    }

    static let answered: [(Ask, JSONValue, AnswerParams)] = [
        (permission, ["action": "accept", "content": ["decision": "allow_always"]], AnswerParams(askId: "a_1", decision: .allowAlways)),
        (choice, ["action": "accept", "content": ["answer": "sqlite"]], AnswerParams(askId: "a_2", text: "sqlite")),
        (free, ["action": "accept", "content": ["answer": "8080"]], AnswerParams(askId: "a_3", text: "8080")),
        (permission, ["action": "decline"], AnswerParams(askId: "a_1", decision: .deny, text: "The person declined.")),
        (free, ["action": "cancel"],
         AnswerParams(askId: "a_3", decision: .deny, text: "The person dismissed the question without answering.")),
    ]

    @Test(arguments: answered)
    func resultsAnswerTheAsk(ask: Ask, result: JSONValue, expected: AnswerParams) throws {
        #expect(try MCPAskForm.answer(ask, result: result) == expected)
    }

    static let refused: [(Ask, JSONValue, String)] = [
        (permission, ["action": "accept", "content": ["decision": "maybe"]], "content.decision must be one of allow, allow_always, deny"),
        (choice, ["action": "accept", "content": [:]], "must carry content.answer"),
        (free, ["action": "later"], "action must be accept, decline or cancel"),
    ]

    @Test(arguments: refused)
    func resultsThatAnswerNothingSaySo(ask: Ask, result: JSONValue, says: String) {
        #expect {
            _ = try MCPAskForm.answer(ask, result: result)
        } throws: { error in
            "\(error)".contains(says)
        }
    }

    @Test func formsAreTakenUnlessOnlyURLsAre() {
        #expect(MCPAskForm.acceptsForms([:]) && MCPAskForm.acceptsForms(["form": [:]]) && MCPAskForm.acceptsForms(["form": [:], "url": [:]]))
        #expect(!MCPAskForm.acceptsForms(nil) && !MCPAskForm.acceptsForms(["url": [:]]))
    }
}
