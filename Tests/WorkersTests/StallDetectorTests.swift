import BosunJSON
import Config
import Foundation
import Providers
import Synchronization
import Testing
@testable import Workers

@Suite struct StallDetectorTests {
    /// Each row: the calls in order, and the verdict for each.
    @Test(arguments: [
        // Three in a row: nudge on the third, stalled on the fourth.
        ([("a", 1), ("a", 1), ("a", 1), ("a", 1)], [StallDetector.Verdict.proceed, .proceed, .nudge, .stalled]),
        // A different input breaks the streak.
        ([("a", 1), ("a", 1), ("a", 2), ("a", 1), ("a", 1)], [.proceed, .proceed, .proceed, .proceed, .proceed]),
        // The same input for a different tool is a different call.
        ([("a", 1), ("b", 1), ("a", 1)], [.proceed, .proceed, .proceed]),
        // Nudged once, never again: the next full streak ends the worker.
        ([("a", 1), ("a", 1), ("a", 1), ("b", 1), ("b", 1), ("b", 1)], [.proceed, .proceed, .nudge, .proceed, .proceed, .stalled]),
    ])
    func verdicts(calls: [(String, Int)], expected: [StallDetector.Verdict]) {
        var detector = StallDetector(repeats: 3)
        let verdicts = calls.map { detector.observe(tool: $0.0, input: ["n": .int(Int64($0.1))]) }
        #expect(verdicts == expected)
    }

    @Test func zeroRepeatsTurnsDetectionOff() {
        var detector = StallDetector(repeats: 0)
        let verdicts = (0..<10).map { _ in detector.observe(tool: "a", input: [:]) }
        #expect(verdicts.allSatisfy { $0 == .proceed })
    }

    @Test func keyOrderDoesNotMakeADifferentCall() throws {
        var detector = StallDetector(repeats: 2)
        _ = detector.observe(tool: "a", input: try JSONValue.parse(#"{"x":1,"y":2}"#))
        #expect(detector.observe(tool: "a", input: try JSONValue.parse(#"{"y":2,"x":1}"#)) == .nudge)
    }

    @Test func aWorkerRepeatingItselfIsNudgedOnceThenFailsAsStalled() async throws {
        let poll: JSONValue = ["path": "status.txt"]
        let model = LoopModel(Array(repeating: .toolUse(id: "c", name: "probe", input: poll), count: 6))
        let setup = WorkerLoopSetup(
            modelId: "m", system: "sys", tools: [ProbeTool()], submitSchema: WorkerBrief(task: "t").submitSchema,
            keepsStructuredResult: false,
            limits: WorkerLimits(timeoutSeconds: 60, maxSteps: 20, maxTokens: 100_000, maxCostUSD: 1),
            price: ModelPrice(input: 1, output: 5),
            toolContext: ToolContext(sessionId: "s", workerId: "w", workspaceRoot: "/tmp", permissions: ToolPermissions()))
        let loop = WorkerLoop(setup: setup, client: model, inbox: { [] }, report: { _ in })
        let outcome = try await loop.run(history: [.user("brief")])
        guard case .failed(let failure) = outcome else { Issue.record("expected stalled, got \(outcome)"); return }
        #expect(failure.code == .stalled)
        #expect(failure.message.contains("probe"))
        // Four model calls: the nudge came back with the third call's result, the fourth call ended it.
        let requests = model.requests
        #expect(requests.count == 4)
        let results = requests.compactMap { request -> String? in
            guard case .toolResult(_, let text, _) = request.messages.last?.content.first else { return nil }
            return text
        }
        #expect(results.count == 3)
        #expect(!results[1].contains("same input"))
        #expect(results[2].hasPrefix("unchanged") && results[2].contains("called probe 3 times in a row with exactly the same input"))
    }
}

private struct ProbeTool: WorkerTool {
    var spec: ToolSpec { ToolSpec(name: "probe", description: "Answers the same.", inputSchema: ["type": "object"]) }
    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput { ToolOutput(text: "unchanged") }
}

/// Replies with one tool call per request, in order, and keeps the requests.
private final class LoopModel: ModelClient {
    let providerName = "loop"
    private let replies: Mutex<[ContentBlock]>
    private let seen = Mutex([ModelRequest]())
    init(_ replies: [ContentBlock]) { self.replies = Mutex(replies) }
    var requests: [ModelRequest] { seen.withLock { $0 } }

    func complete(_ request: ModelRequest, progress: (@Sendable (ModelCallProgress) -> Void)?) async throws -> ModelReply {
        seen.withLock { $0.append(request) }
        let block = replies.withLock { $0.removeFirst() }
        return ModelReply(content: [block], stopReason: .toolUse, usage: Usage(inputTokens: 1, outputTokens: 1))
    }
}
