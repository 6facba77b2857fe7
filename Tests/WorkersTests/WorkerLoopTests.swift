import BosunJSON
import Config
import Foundation
import Providers
import Synchronization
import Testing
import TestSupport
@testable import Workers

/// A model that plays back replies in order and keeps the requests it saw.
private final class ScriptedModel: ModelClient {
    let providerName = "scripted"
    private let replies: Mutex<[Result<ModelReply, ProviderError>]>
    private let seen = Mutex([ModelRequest]())

    init(_ replies: [Result<ModelReply, ProviderError>]) { self.replies = Mutex(replies) }

    var requests: [ModelRequest] { seen.withLock { $0 } }

    func complete(_ request: ModelRequest, progress: (@Sendable (ModelCallProgress) -> Void)?) async throws -> ModelReply {
        seen.withLock { $0.append(request) }
        let next = replies.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let next else {
            try await Task.sleep(for: .seconds(30)) // no reply left: a call that lasts until cancelled
            throw CancellationError()
        }
        return try next.get()
    }

    static func call(_ name: String, _ input: JSONValue, id: String = "c") -> Result<ModelReply, ProviderError> {
        .success(ModelReply(content: [.toolUse(id: id, name: name, input: input)], stopReason: .toolUse,
                            usage: Usage(inputTokens: 10, outputTokens: 5)))
    }
}

private struct FailingTool: WorkerTool {
    var spec: ToolSpec { ToolSpec(name: "fragile", description: "Refuses.", inputSchema: ["type": "object"]) }
    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput { throw ToolError("path escapes the workspace") }
}

private final class Reports: Sendable {
    let events = Mutex([WorkerLoopEvent]())
    let inbox: Mutex<[String]>
    init(inbox: [String] = []) { self.inbox = Mutex(inbox) }

    func loop(_ model: ScriptedModel, maxSteps: Int = 5, tools: [any WorkerTool] = []) -> WorkerLoop {
        let setup = WorkerLoopSetup(
            modelId: "m", system: "sys", tools: tools, submitSchema: WorkerBrief(task: "t").submitSchema,
            keepsStructuredResult: false,
            limits: WorkerLimits(timeoutSeconds: 60, maxSteps: maxSteps, maxTokens: 10_000, maxCostUSD: 1),
            price: ModelPrice(input: 1, output: 5),
            toolContext: ToolContext(sessionId: "s", workerId: "w", workspaceRoot: "/tmp", permissions: ToolPermissions()))
        return WorkerLoop(setup: setup, client: model,
                          inbox: { self.inbox.withLock { box in defer { box = [] }; return box } },
                          report: { event in self.events.withLock { $0.append(event) } })
    }
}

@Suite struct WorkerLoopTests {
    @Test func toolRefusalsAndUnknownToolsGoBackToTheModel() async throws {
        let model = ScriptedModel([
            ScriptedModel.call("fragile", [:], id: "a"),
            ScriptedModel.call("teleport", [:], id: "b"),
            ScriptedModel.call("submit_result", ["text": "done"], id: "c"),
        ])
        let reports = Reports()
        let outcome = try await reports.loop(model, tools: [FailingTool()]).run(history: [.user("brief")])
        #expect(outcome == .succeeded(WorkerResult(text: "done")))
        let answers = model.requests.map { $0.messages.last?.content.first }
        guard case .toolResult(_, let refusal, true) = answers[1], case .toolResult(_, let unknown, true) = answers[2] else {
            Issue.record("expected error tool results, got \(answers)")
            return
        }
        #expect(refusal == "path escapes the workspace")
        #expect(unknown.contains("no tool named teleport") && unknown.contains("fragile"))
    }

    @Test func aPlainTextReplyIsNudgedAndCountsAsAStep() async throws {
        let model = ScriptedModel([
            .success(ModelReply(content: [.text("I think it is done.")], stopReason: .endTurn, usage: Usage())),
            ScriptedModel.call("submit_result", ["text": "ok"]),
        ])
        let reports = Reports()
        let outcome = try await reports.loop(model, maxSteps: 2).run(history: [.user("brief")])
        #expect(outcome == .succeeded(WorkerResult(text: "ok")))
        guard case .text(let nudge) = model.requests[1].messages.last?.content.first else {
            Issue.record("no nudge")
            return
        }
        #expect(nudge.contains("submit_result"))
    }

    @Test func aFinalProviderErrorFailsTheWorker() async throws {
        let error = ProviderError(kind: .authentication, provider: "scripted", status: 401, message: "bad key", retryable: false)
        let outcome = try await Reports().loop(ScriptedModel([.failure(error)])).run(history: [.user("brief")])
        guard case .failed(let failure) = outcome else { Issue.record("expected a failure"); return }
        #expect(failure.code == .providerError)
        #expect(failure.message.contains("bad key"))
    }

    @Test func aSteerOnResumeAnswersTheToolCallsAStoppedRunLeftOpen() async throws {
        let history: [ChatMessage] = [
            .user("brief"),
            ChatMessage(role: .assistant, content: [.toolUse(id: "open", name: "read_file", input: ["path": "a"])]),
        ]
        let model = ScriptedModel([ScriptedModel.call("submit_result", ["text": "resumed"])])
        let reports = Reports(inbox: ["Carry on."])
        let outcome = try await reports.loop(model).run(history: history)
        #expect(outcome == .succeeded(WorkerResult(text: "resumed")))
        let sent = model.requests[0].messages
        #expect(sent.count == 4)
        guard case .toolResult("open", let text, true) = sent[2].content.first, case .text(let steer) = sent[3].content.first else {
            Issue.record("unexpected resume messages: \(sent)")
            return
        }
        #expect(text.contains("Not run"))
        #expect(steer == "[Message from the orchestrator]\nCarry on.")
        let origins = reports.events.withLock { $0 }.compactMap { event -> MessageOrigin? in
            if case .message(_, let origin) = event { return origin }
            return nil
        }
        #expect(origins.prefix(2) == [.system, .orchestrator])
    }

    @Test func cancellationStopsTheLoop() async throws {
        let model = ScriptedModel([])
        let task = Task { try await Reports().loop(model).run(history: [.user("brief")]) }
        #expect(try await waitUntil { !model.requests.isEmpty }, "the loop never called its model")
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}

@Suite struct WorkerBriefTests {
    @Test func theSystemPromptPutsTheTrimmedRolePromptBeforeTheRules() {
        let rules = WorkerBrief.systemPrompt(rolePrompt: "")
        #expect(rules.hasPrefix("You are a worker commissioned by an orchestrator"))
        #expect(WorkerBrief.systemPrompt(rolePrompt: " \n\t\u{2028}") == rules)
        #expect(WorkerBrief.systemPrompt(rolePrompt: "\n  You review code.\n\nBe terse. \r\n") == "You review code.\n\nBe terse.\n\n" + rules)
    }

    @Test func rendersEverySectionGivenAndLeavesOutEmptyOnes() {
        let full = WorkerBrief(task: "Summarise the README", inputs: ["README.md"], scope: "Only the README.",
                               output: .init(format: "Three bullets."), doNot: ["Do not invent features"])
        #expect(full.render() == """
            TASK
            Summarise the README

            INPUTS
            - README.md

            SCOPE
            Only the README.

            OUTPUT
            Three bullets.
            Call submit_result with your answer in `text`, and the files or URLs it rests on in `sources`.

            DO NOT
            - Do not invent features
            """)
        let bare = WorkerBrief(task: "Count", output: .init(schema: ["type": "object"]))
        #expect(bare.render(predecessors: [.init(workerId: "w_1", task: "List", result: "a, b")]) == """
            TASK
            Count

            OUTPUT
            Call submit_result with an input that matches this JSON Schema:
            {"type":"object"}

            RESULTS OF EARLIER WORKERS
            [w_1] List
            a, b
            """)
        #expect(bare.submitSchema == ["type": "object"])
        #expect(WorkerBrief(task: "x").submitSchema["required"] == ["text"])
    }

    @Test func theRolePromptComesFirstInTheSystemPrompt() {
        let system = WorkerBrief.systemPrompt(rolePrompt: "  You write tests.\n")
        #expect(system.hasPrefix("You write tests.\n\nYou are a worker"))
        #expect(WorkerBrief.systemPrompt(rolePrompt: "").hasPrefix("You are a worker"))
    }
}
