import BosunJSON
import BosunProtocol
import Config
import Synchronization
import Testing
@testable import Workers

/// The `ask` tool carries the model's question to `ToolContext.asking` and the answer back.
@Suite struct AskToolTests {
    /// Answers every ask with `reply` and keeps what it was asked.
    final class RecordingAsking: WorkerAsking {
        let reply: AskReply
        let asked = Mutex<[AskRequest]>([])

        init(_ reply: AskReply) { self.reply = reply }

        func ask(_ request: AskRequest, from workerId: String) async throws -> AskReply {
            asked.withLock { $0.append(request) }
            return reply
        }
    }

    func context(_ asking: (any WorkerAsking)?) -> ToolContext {
        ToolContext(sessionId: "s_1", workerId: "w_1", workspaceRoot: "/", permissions: ToolPermissions(), asking: asking)
    }

    @Test func theQuestionAndItsOptionsGoToTheAskerAndTheAnswerComesBack() async throws {
        let asking = RecordingAsking(AskReply(decision: nil, text: "sqlite", answeredBy: "client"))
        let output = try await AskTool().run(["question": " Which database? ", "options": ["postgres", "sqlite", "postgres"]],
                                            context: context(asking))
        #expect(output.text == "The answer (from client): sqlite" && !output.isError)
        let options = [Ask.Option(id: "postgres", label: "postgres"), Ask.Option(id: "sqlite", label: "sqlite")]
        #expect(asking.asked.withLock { $0 } == [.question(text: "Which database?", options: options)])
    }

    @Test func aDeniedAskTellsTheWorkerToDecideAndWhy() async throws {
        let asking = RecordingAsking(AskReply(decision: .deny, text: "Nobody answered within 1 s", answeredBy: "timeout"))
        let output = try await AskTool().run(["question": "Which?"], context: context(asking))
        #expect(output.text.hasPrefix("No answer (Nobody answered within 1 s).") && output.text.contains("Decide yourself"))
    }

    @Test(arguments: [["question": ""], ["question": "Which?", "options": []], ["question": "Which?", "options": [1]]] as [JSONValue])
    func badInputIsAToolErrorAndAsksNobody(_ input: JSONValue) async {
        let asking = RecordingAsking(AskReply(decision: nil, text: "x", answeredBy: "client"))
        await #expect(throws: ToolError.self) { try await AskTool().run(input, context: self.context(asking)) }
        #expect(asking.asked.withLock { $0.isEmpty })
    }

    @Test func withoutAnyoneToAskTheToolSaysSo() async {
        await #expect(throws: ToolError.self) { try await AskTool().run(["question": "Which?"], context: self.context(nil)) }
    }
}
