import BosunJSON
import Foundation
import Testing

/// `synthesize` over the real binary, the mock provider scripted to answer for the workers
/// and for the synthesizer (whose worker ids it cites as `$enum[N]`).
@Suite(.serialized) struct SynthesizeEndToEndTests {
    static func world(synthesis: String, extraRules: String = "") throws -> OrchestrationWorld {
        let script = """
            rules:
            \(synthesis)
            \(extraRules)
              - match: { lastMessage: "release date (source A)" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "The release is on 3 March." } }] }
              - match: { lastMessage: "release date (source B)" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "The release is on 10 March." } }] }
            """
        return try OrchestrationWorld(mockArguments: ["--latency-ms", "10", "--tool-steps", "1"], script: script)
    }

    static let conflictingSynthesis = """
          - match: { system: "bosun's synthesizer" }
            reply:
              toolCalls:
                - name: submit_result
                  input:
                    text: "The release date is unresolved: 3 March or 10 March."
                    sources: [{ workerId: "$enum[0]", claim: "3 March" }, { workerId: "$enum[1]", claim: "10 March" }]
                    conflicts: [{ topic: "release date", workers: ["$enum[0]", "$enum[1]"], summary: "3 March against 10 March" }]
                    gaps: []
        """

    @Test func aSynthesisThatSurfacesAConflict() async throws {
        let world = try Self.world(synthesis: Self.conflictingSynthesis)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let a = try await serve.spawn(["task": "Find the release date (source A)"])
        let b = try await serve.spawn(["task": "Find the release date (source B)"])
        let synthesis = try await serve.call("synthesize", ["workers": [.string(a.id), .string(b.id)],
                                                            "instruction": "Say when the release is."], timeout: .seconds(60))
        let conflict = synthesis["conflicts"]?.arrayValue?.first
        #expect(conflict?["topic"] == "release date")
        #expect(Set(conflict?["workers"]?.arrayValue?.compactMap { $0.stringValue } ?? []) == [a.id, b.id])
        #expect(synthesis["sources"]?.arrayValue?.count == 2)
        #expect(synthesis["gaps"] == [])
        let synthesizer = try await serve.worker(synthesis.id)
        #expect(synthesizer["role"] == "synthesizer")
        #expect(synthesizer.state == "succeeded")
        #expect(try await serve.stop() == 0)
    }

    @Test func aFailedWorkerIsAGapOrRefusedWithRequireAll() async throws {
        let world = try Self.world(synthesis: Self.conflictingSynthesis)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let a = try await serve.spawn(["task": "Find the release date (source A)"])
        let b = try await serve.spawn(["task": "Find the release date (source B)"])
        let doomed = try await serve.spawn(["task": "Run out of steps", "limits": ["maxSteps": 1]])
        let refused = try await serve.request("synthesize", ["workers": [.string(a.id), .string(doomed.id)],
                                                             "instruction": "Merge.", "requireAll": true], timeout: .seconds(60))
        #expect(refused["error"]?["code"] == -32011)
        #expect(refused["error"]?["message"]?.stringValue?.contains(doomed.id) == true)
        let synthesis = try await serve.call("synthesize", ["workers": [.string(a.id), .string(b.id), .string(doomed.id)],
                                                            "instruction": "Say when the release is."], timeout: .seconds(60))
        let gaps = synthesis["gaps"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(gaps.count == 1 && gaps[0].hasPrefix(doomed.id) && gaps[0].contains("max_steps"), "\(gaps)")
        #expect(try await serve.stop() == 0)
    }

    @Test func anInvalidSynthesisIsSentBack() async throws {
        // The first submission cites a conflict with one worker only; the schema refuses it
        // and the synthesizer, told why, submits again.
        let invalidFirst = """
              - match: { system: "bosun's synthesizer", turn: 0 }
                reply:
                  toolCalls:
                    - name: submit_result
                      input:
                        text: "Unresolved."
                        sources: []
                        conflicts: [{ topic: "release date", workers: ["$enum[0]"], summary: "one-sided" }]
                        gaps: []
            """
        let world = try Self.world(synthesis: invalidFirst + "\n" + Self.conflictingSynthesis)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let a = try await serve.spawn(["task": "Find the release date (source A)"])
        let b = try await serve.spawn(["task": "Find the release date (source B)"])
        let synthesis = try await serve.call("synthesize", ["workers": [.string(a.id), .string(b.id)],
                                                            "instruction": "Say when the release is."], timeout: .seconds(60))
        #expect(synthesis["conflicts"]?.arrayValue?.first?["workers"]?.arrayValue?.count == 2)
        // Two model calls: the refused submission, then the one that passed.
        let synthesizer = try await serve.worker(synthesis.id)
        #expect(synthesizer["steps"] == 2, "\(synthesizer)")
        #expect(try await serve.stop() == 0)
    }

    @Test func longInputsAreCutWithANotice() async throws {
        // The synthesizer's rule matches only when the notice reached its brief.
        let noticed = Self.conflictingSynthesis.replacingOccurrences(
            of: "match: { system: \"bosun's synthesizer\" }",
            with: "match: { system: \"bosun's synthesizer\", lastMessageRegex: \"characters of this result cut: the inputs exceed the synthesis budget of 20 characters\" }")
        let world = try Self.world(synthesis: noticed, extraRules: """
              - match: { system: "bosun's synthesizer" }
                reply: { toolCalls: [{ name: submit_result, input: { text: "no notice seen", sources: [], conflicts: [], gaps: [] } }] }
            """)
        defer { world.tearDown() }
        let serve = try world.serve()
        _ = try await serve.initialize(root: world.workspace)
        let a = try await serve.spawn(["task": "Find the release date (source A)"])
        let b = try await serve.spawn(["task": "Find the release date (source B)"])
        let synthesis = try await serve.call("synthesize", ["workers": [.string(a.id), .string(b.id)], "instruction": "Merge.",
                                                            "maxInputChars": 20], timeout: .seconds(60))
        #expect(synthesis["text"] == "The release date is unresolved: 3 March or 10 March.")
        #expect(try await serve.stop() == 0)
    }
}
