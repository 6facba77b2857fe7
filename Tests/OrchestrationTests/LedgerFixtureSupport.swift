import BosunJSON
import BosunProtocol
import Foundation
import Orchestration
import Providers
import TraceStore

/// Orchestration ledgers as earlier bosun versions stored them, under `Fixtures/`, and a
/// model that plays every part of the orchestration they describe.
enum LedgerFixture {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Stores `ledgerJSON` as orchestration `id` of a new stored session, as a process that
    /// stopped would have left it, and returns the session's id.
    static func store(_ ledgerJSON: String, id: String, goal: String, state: String, in store: TraceStore,
                      workspaceRoot: String) async throws -> String {
        let session = try await store.openSession(id: nil, workspaceRoot: workspaceRoot, maxConcurrentWorkers: 4).session
        try await store.saveOrchestration(OrchestrationRecord(id: id, sessionId: session.id, goal: goal, state: state,
                                                              ledgerJSON: ledgerJSON, createdAt: Date(), endedAt: nil))
        try await store.releaseSession(id: session.id)
        return session.id
    }

    /// Every role of a guide-writing orchestration: the planner plans an outline and a body
    /// after it (or answers "What is 2+2?" itself), the coordinator retries, the outline's first
    /// run fails and its retry runs until cancelled (`outlineBlocks`), the rest answer at once.
    static func model(outlineBlocks: Bool) -> FakeModelClient {
        FakeModelClient { request in
            let said = request.messages.flatMap(\.content).compactMap { block -> String? in
                switch block {
                case .text(let text): text
                case .toolResult(_, let content, _): content
                case .toolUse: nil
                }
            }.joined(separator: "\n")
            let usage = Usage(inputTokens: 100, outputTokens: 20)
            func submit(_ input: JSONValue) -> ModelReply {
                ModelReply(content: [.toolUse(id: "call_\(request.messages.count)", name: "submit_result", input: input)],
                           stopReason: .toolUse, usage: usage)
            }
            if request.system.contains("bosun's planner") {
                if said.contains("What is 2+2") { return submit(["subtasks": [], "answer": "4"]) }
                return submit(["subtasks": [
                    ["id": "outline", "role": "writer", "brief": ["task": "Write the outline of the guide", "doNot": "invent facts"],
                     "checks": [["kind": "files", "exist": ["outline.md"]]]],
                    ["id": "body", "role": "writer", "brief": ["task": "Write the body of the guide", "inputs": ["the outline"]],
                     "after": ["outline"]],
                ]])
            }
            if request.system.contains("bosun's coordinator") {
                return submit(["kind": "retry", "reason": "The failure looks transient.", "feedback": "Try the outline again."])
            }
            if request.system.contains("bosun's synthesizer") {
                return submit(["text": "The guide.", "sources": [], "conflicts": [], "gaps": []])
            }
            if said.contains("Write the outline") {
                if !said.contains("Try the outline again") { throw ModelFixtureError.firstOutlineFails }
                if outlineBlocks { try await Task.sleep(for: .seconds(600)) } // a call that never ends: the run is stopped mid-outline
                return submit(["text": "1. Setup 2. Use"])
            }
            return submit(["text": "The body."])
        }
    }

    enum ModelFixtureError: Error { case firstOutlineFails }
}
