import BosunJSON
import Foundation
import Testing

/// Write claims between two `bosun serve` processes that share one trace store file.
@Suite(.serialized) struct ClaimsAcrossProcessesTests {
    /// The first write claims the file and then takes a few seconds to finish; a write that
    /// is refused reports the conflict at once.
    static let script = """
        rules:
          - match: { lastMessage: "is claimed by worker" }
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "conflict reported" } }
          - match: { lastMessage: "claimed by this worker" }
            latencyMs: 3000
            reply:
              toolCalls:
                - { name: submit_result, input: { text: "written" } }
          - match: { turn: 0 }
            reply:
              toolCalls:
                - { name: write_file, input: { path: "src/shared.swift", content: "let owner = 1\\n" } }
        """

    @Test func aSecondProcessSharingTheStoreGetsAClearClaimError() async throws {
        // Claims keep apart writers that write the workspace itself: a layer would keep them apart anyway.
        let world = try OrchestrationWorld(mockArguments: [], script: Self.script, sessionYAML: """
            roles:
              coder: { model: worker, tools: [write_file], permissions: [write], isolation: none }
            """)
        defer { world.tearDown() }
        let first = try world.serve()
        let second = try world.serve()
        _ = try await first.initialize(root: world.workspace)
        _ = try await second.initialize(root: world.workspace)

        let holder = try await first.spawn(["task": "Write src/shared.swift", "role": "coder", "tools": ["write_file"]])
        let holderWrite = try #require(await first.firstWorkerEvent(kind: "tool_result", of: holder.id))
        #expect(holderWrite["data"]?["isError"] == false, "\(holderWrite)")

        let rival = try await second.spawn(["task": "Write src/shared.swift too", "role": "coder", "tools": ["write_file"]])
        let rivalDone = try await second.awaitAll([rival.id])["finished"]?.arrayValue?.first
        #expect(rivalDone?.state == "succeeded")
        #expect(rivalDone?["result"]?["text"] == "conflict reported")
        let refusal = try await second.trace().first { $0["workerId"]?.stringValue == rival.id && $0["kind"] == "tool_result" }
        let refusalText = refusal?["data"]?["text"]?.stringValue ?? ""
        #expect(refusal?["data"]?["isError"] == true)
        #expect(refusalText.contains("src/shared.swift is claimed by worker \(holder.id)"), "\(refusalText)")
        #expect(try String(contentsOfFile: world.workspace + "/src/shared.swift", encoding: .utf8) == "let owner = 1\n")

        // When the holder ends, its claim goes, and the other process can write.
        let holderDone = try await first.awaitAll([holder.id])["finished"]?.arrayValue?.first
        #expect(holderDone?.state == "succeeded")
        let successor = try await second.spawn(["task": "Write src/shared.swift now", "role": "coder", "tools": ["write_file"]])
        let successorWrite = try await second.awaitAll([successor.id])
        #expect(successorWrite["finished"]?.arrayValue?.first?["result"]?["text"] == "written")
        #expect(try await first.stop() == 0)
        #expect(try await second.stop() == 0)
    }
}
