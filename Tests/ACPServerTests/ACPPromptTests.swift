import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Testing

@testable import ACPServer

/// A prompt's content blocks as `orchestrate`'s goal and inputs, and its result as the
/// agent's last message and stop reason.
@Suite struct ACPPromptTests {
    static func blocks(_ json: JSONValue) throws -> [ACPContentBlock] {
        try json.decode(as: [ACPContentBlock].self)
    }

    @Test func textIsTheGoalAndResourcesAreInputs() throws {
        let params = try ACPPrompt.orchestrateParams(try Self.blocks([
            ["type": "text", "text": "Review the parser."],
            ["type": "resource_link", "uri": "file:///work/src/parser.swift", "name": "parser.swift"],
            ["type": "resource", "resource": ["uri": "file:///work/notes.md", "text": "Be brief.", "mimeType": "text/markdown"]],
            ["type": "resource_link", "uri": "https://example.com/spec", "name": "spec"],
            ["type": "text", "text": "Then summarise."],
        ]), previous: nil)
        #expect(params.goal == "Review the parser.\n\nThen summarise.")
        #expect(params.inputs == ["/work/src/parser.swift", "The contents of /work/notes.md:\nBe brief.", "https://example.com/spec"])
    }

    @Test func theLastTurnIsContextForTheNext() throws {
        let params = try ACPPrompt.orchestrateParams([.text("Shorter, please.")],
                                                     previous: ACPPreviousTurn(goal: "Explain X", answer: "X is long."))
        let input = try #require(params.inputs?.first)
        #expect(input.contains("Explain X") && input.contains("X is long."))
    }

    @Test func promptsBosunCannotTakeAreInvalidParams() throws {
        #expect(throws: RPCError.invalidParams("""
            prompt[1] is a "image" block, which bosun does not take (its promptCapabilities say so): \
            send text, resource_link or resource blocks
            """, field: "prompt[1].type")) {
            try ACPPrompt.orchestrateParams(try Self.blocks([
                ["type": "text", "text": "Look"], ["type": "image", "data": "AAAA", "mimeType": "image/png"]]), previous: nil)
        }
        let empty = #expect(throws: RPCError.self) {
            try ACPPrompt.orchestrateParams([.text("  \n"), .resourceLink(uri: "file:///a", name: "a")], previous: nil)
        }
        #expect(empty?.code == -32602 && empty?.data == ["field": "prompt"])
    }

    static func result(_ state: OrchestrationState, outcomes: [SubtaskOutcome], synthesis: String?, gaps: [String] = [],
                       reason: String? = nil) -> OrchestrateResult {
        OrchestrateResult(
            id: "o_1", state: state, goal: "g", plan: nil, workers: [], verification: outcomes,
            synthesis: synthesis.map { SynthesizeResult(id: "w_s", text: $0, structured: nil, sources: [], conflicts: [], gaps: gaps,
                                                        usage: WorkerUsage()) },
            decisions: [], reason: reason, usage: WorkerUsage())
    }

    static func outcome(_ id: String, _ status: SubtaskStatus, _ reason: String? = nil) -> SubtaskOutcome {
        SubtaskOutcome(subtask: id, status: status, workerId: "w_\(id)", attempts: ["w_\(id)"],
                       verification: status == .passed ? .passed : .failed, reason: reason)
    }

    @Test func aSucceededTurnIsTheSynthesis() {
        let result = Self.result(.succeeded, outcomes: [Self.outcome("a", .passed)], synthesis: "The answer.")
        #expect(ACPPrompt.finalMessage(result) == "The answer.")
        #expect(ACPPrompt.stopReason(result) == .endTurn)
    }

    @Test func aTurnEndsWithItsConflictsAndSources() {
        var result = Self.result(.succeeded, outcomes: [Self.outcome("a", .passed), Self.outcome("b", .passed)], synthesis: "A is 1.")
        result.synthesis?.sources = [SynthesisSource(workerId: "w_a", claim: "A is 1", source: "https://a.example/facts"),
                                     SynthesisSource(workerId: "w_b", claim: "A is 1 too", source: "docs/a.md"),
                                     SynthesisSource(workerId: "w_b", claim: "again", source: "docs/a.md"),
                                     SynthesisSource(workerId: "w_a", claim: "no source")]
        result.synthesis?.conflicts = [SynthesisConflict(topic: "the value of B", workers: ["w_a", "w_b"], summary: "w_a says 2, w_b says 3")]
        #expect(ACPPrompt.finalMessage(result) == """
            A is 1.

            Unresolved conflicts:
            - the value of B (w_a vs w_b): w_a says 2, w_b says 3

            Sources:
            - https://a.example/facts
            - docs/a.md
            """)
    }

    @Test func aPartialOrFailedTurnSaysWhatWasAbandonedAndWhy() {
        let partial = Self.result(.partial, outcomes: [Self.outcome("a", .passed), Self.outcome("b", .abandoned, "it kept timing out")],
                                  synthesis: "Half an answer.",
                                  gaps: ["subtask b abandoned: it kept timing out", "b's benchmark figures"])
        #expect(ACPPrompt.finalMessage(partial) == """
            Half an answer.

            Partial result: 1 of 2 subtasks passed.

            Abandoned:
            - b: it kept timing out

            Not covered:
            - b's benchmark figures
            """)
        #expect(ACPPrompt.stopReason(partial) == .endTurn)

        let failed = Self.result(.failed, outcomes: [Self.outcome("a", .abandoned, "no source answered")], synthesis: nil,
                                 reason: "no subtask passed")
        #expect(ACPPrompt.finalMessage(failed) == """
            bosun could not finish this: no subtask passed.

            Abandoned:
            - a: no source answered
            """)
        #expect(ACPPrompt.stopReason(failed) == .endTurn)
        #expect(ACPPrompt.stopReason(Self.result(.cancelled, outcomes: [], synthesis: nil)) == .cancelled)
        #expect(ACPPrompt.stopReason(Self.result(.interrupted, outcomes: [], synthesis: nil)) == .cancelled)
    }

    @Test func longMessagesAreChunkedAfterNewlines() {
        let text = String(repeating: "a", count: 15) + "\n" + String(repeating: "b", count: 15)
        #expect(ACPPrompt.chunks(text, limit: 20) == [String(repeating: "a", count: 15) + "\n", String(repeating: "b", count: 15)])
        #expect(ACPPrompt.chunks(String(repeating: "c", count: 45), limit: 20).map(\.count) == [20, 20, 5])
        #expect(ACPPrompt.chunks("") == [])
        #expect(ACPPrompt.chunks(text, limit: 20).joined() == text)
    }

    @Test func theVersionIsNegotiated() {
        #expect(ACPVersion.negotiate(1) == 1)
        #expect(ACPVersion.negotiate(2) == 1)
        #expect(ACPVersion.negotiate(0) == 1)
    }
}
