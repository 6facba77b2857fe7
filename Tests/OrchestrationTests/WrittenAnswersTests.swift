import BosunJSON
import BosunProtocol
import Foundation
import Providers
import Synchronization
import Testing
import TestSupport
import Workers
@testable import Orchestration

/// `status` (the whole session and one worker) and `await` answer with each ended worker's
/// outcome spliced from the text the session wrote when it ended: the bytes are what
/// `JSONEncoder` with sorted keys makes of the typed answer (the wire's encoder writes the
/// same value, its keys in an order of its own each process), and the text goes out as it is.
@Suite struct WrittenAnswersTests {
    /// An object's text with its members in reverse order of their names: the same value, in
    /// a text that writing it does not give.
    static func reversed(_ value: JSONValue) -> String {
        let members = (value.objectValue ?? [:]).sorted { $1.key.utf8.lexicographicallyPrecedes($0.key.utf8) }
        let text = "{" + members.map { JSONValue.string($0.key).jsonString() + ":" + $0.value.jsonString() }
            .joined(separator: ",") + "}"
        #expect(members.count > 1 && text != value.jsonString() && (try? JSONValue.parse(text)) == value)
        return text
    }

    /// One worker's view in each phase, and ended with each outcome and each failure code:
    /// its answer is what the encoder writes of it.
    @Test func aWorkerInEveryPhaseIsWrittenAsTheEncoderWritesIt() throws {
        var outcomes = WorkerPhaseTests.outcomes
        outcomes.append(.succeeded(WorkerResult(text: ReferenceJSON.awkward, structured: [
            "why": .string(ReferenceJSON.awkward), "max": .int(Int64.max), "min": .int(Int64.min), "huge": 1e300, "tenth": 0.1,
            "beyond": 1.8446744073709552e19, "nested": ["z": [1, nil, true], "a": [:]], "ключ": "ü",
        ], sources: [ReferenceJSON.awkward], followUps: [])))
        for code in FailureCode.allCases {
            outcomes.append(.failed(WorkerFailure(code: code, message: "\(code): \(ReferenceJSON.awkward)")))
        }
        var phases: [WorkerPhase] = [.active(.queued), .active(.running), .active(.waiting)]
        for outcome in outcomes {
            let end = WorkerEnd(outcome, at: Date(timeIntervalSince1970: 1_765_000_000.5))
            phases += [.ending(end, from: .running), .ended(end)]
        }
        for phase in phases {
            var entry = WorkerPhaseTests.entry()
            entry.phase = phase
            entry.startedAt = Date(timeIntervalSince1970: 1_765_000_000)
            if phase.state == .waiting {
                entry.pendingAsks = [Ask(askId: "a_1", workerId: entry.id, kind: .question, input: ["q": .string(ReferenceJSON.awkward)],
                                         question: ReferenceJSON.awkward, options: [.init(id: "y", label: "Yes")],
                                         createdAt: "2026-12-07T23:00:00.000Z")]
                entry.waitedMs = 250
            }
            for view in [entry.view(queuePosition: 1, includeResult: true), entry.summary(queuePosition: 1)] {
                let written = try StatusResult.worker(view).writtenJSON().data
                let expected = try ReferenceJSON.sortedEncoder.encode(view)
                #expect(written == expected, "\(phase.state): \(ReferenceJSON.text(written))\n\(ReferenceJSON.text(expected))")
                #expect(view.writtenOutcome.json == phase.end?.json)
            }
        }
    }

    @Test func aSessionsAnswersAreWhatTheEncoderWritesAndCarryTheOutcomesAsWritten() async throws {
        let harness = try SessionHarness()
        let release = AsyncStream<Void>.makeStream()
        let blocked = Mutex(false)
        let client = FakeModelClient { request in
            let brief = "\(request.messages.first?.content ?? [])"
            if brief.contains("Count") {
                let input: JSONValue = ["count": .int(Int64.max), "why": .string(ReferenceJSON.awkward),
                                        "list": [1.5, nil, true, ["z": 1, "a": "x"]], "huge": 1e300]
                return ModelReply(content: [.toolUse(id: "s", name: "submit_result", input: input)],
                                  stopReason: .toolUse, usage: Usage(inputTokens: 7, outputTokens: 3))
            }
            if brief.contains("Fail") {
                return ModelReply(content: [.text(ReferenceJSON.awkward)], stopReason: .endTurn, usage: Usage())
            }
            if brief.contains("Stall") {
                try await Task.sleep(for: .seconds(60)) // a model call that never ends: the timeout ends the worker
                throw CancellationError()
            }
            blocked.withLock { $0 = true }
            for await _ in release.stream { break }
            return ModelReply(content: [.toolUse(id: "s", name: "submit_result", input: ["text": "released"])],
                              stopReason: .toolUse, usage: Usage())
        }
        let session = try await harness.open(client, cap: 1)
        let schema: JSONValue = ["type": "object", "properties": ["count": ["type": "integer"]], "required": ["count"]]
        let succeeded = try await session.spawn(SpawnParams(task: "Count", output: .init(schema: schema), wait: true))
        let failed = try await session.spawn(SpawnParams(task: "Fail \(ReferenceJSON.awkward)", limits: LimitOverrides(maxSteps: 1), wait: true))
        let timedOut = try await session.spawn(SpawnParams(task: "Stall", limits: LimitOverrides(timeoutSeconds: 0.2), wait: true))
        let running = try await session.spawn(SpawnParams(task: "Block"))
        let queued = try await session.spawn(SpawnParams(task: "Wait", priority: 2))
        let cancelled = try await session.spawn(SpawnParams(task: "Drop"))
        _ = try await session.cancel(CancelParams(workerId: cancelled.id, reason: ReferenceJSON.awkward))
        #expect(try await waitUntil { blocked.withLock { $0 } }, "the running worker's model call started")
        #expect([succeeded.state, failed.state, timedOut.state] == [.succeeded, .failed, .timedOut])
        // A spawn that waited answers with the ended worker, its outcome's text as the session
        // wrote it, and every front end writes it as `status` does (`EncodedJSON(answering:)`).
        for worker in [succeeded, failed, timedOut] {
            #expect(worker.writtenOutcome.json == (worker.result?.json ?? worker.error?.json)?.jsonString())
            let written = try EncodedJSON(answering: worker).data
            #expect(written == (try ReferenceJSON.sortedEncoder.encode(worker)), "spawn: \(ReferenceJSON.text(written))")
        }
        let ids = [succeeded.id, failed.id, timedOut.id, running.id, queued.id, cancelled.id]
        let ended = [succeeded.id, failed.id, timedOut.id, cancelled.id]

        // Nothing changes from here until the release: each answer and its typed value show one state.
        func expectWrittenAsEncoded(_ when: String) async throws {
            for params in [StatusParams()] + ids.map({ StatusParams(workerId: $0) }) {
                let written = try await session.statusJSON(params).data
                let expected = try ReferenceJSON.sortedEncoder.encode(try await session.status(params))
                #expect(written == expected, "\(when), status \(params.workerId ?? "session"): \(ReferenceJSON.text(written))")
            }
            for params in [AwaitParams(workers: ended), AwaitParams(workers: ids, timeoutSeconds: 0)] {
                let written = try await BosunOperations.awaitWorkers.call(session, params, context: OperationContext()).data
                let expected = try ReferenceJSON.sortedEncoder.encode(try await session.awaitWorkers(params))
                #expect(written == expected, "\(when), await: \(ReferenceJSON.text(written))")
            }
        }
        try await expectWrittenAsEncoded("live")

        // Each ended worker's outcome goes out as the text the session holds: given texts
        // that writing the typed outcome would not give (keys in another order), the answers
        // carry those texts.
        let texts = [succeeded.id: Self.reversed(try #require(succeeded.result).json),
                     failed.id: Self.reversed(try #require(failed.error).json)]
        for (id, text) in texts {
            await session.giveOutcomeText(of: id, text)
        }
        let one = ReferenceJSON.text(try await session.statusJSON(StatusParams(workerId: succeeded.id)).data)
        #expect(one.contains("\"result\":\(texts[succeeded.id]!)"), "\(one)")
        let whole = ReferenceJSON.text(try await session.statusJSON(StatusParams()).data)
        #expect(whole.contains("\"error\":\(texts[failed.id]!)"), "\(whole)")
        let awaited = ReferenceJSON.text(try await BosunOperations.awaitWorkers.call(session, AwaitParams(workers: ended),
                                                                             context: OperationContext()).data)
        #expect(awaited.contains("\"result\":\(texts[succeeded.id]!)") && awaited.contains("\"error\":\(texts[failed.id]!)"),
                "\(awaited)")

        release.continuation.finish()
        _ = try await session.awaitAll()
        let sessionId = session.id
        await session.close()

        // Read back from the store, each outcome is written again from its typed value.
        let resumed = try await harness.open(client, resume: sessionId)
        for id in ids {
            let written = try await resumed.statusJSON(StatusParams(workerId: id)).data
            #expect(written == (try ReferenceJSON.sortedEncoder.encode(try await resumed.status(StatusParams(workerId: id)))))
        }
        await resumed.close()
        await harness.cleanUp()
    }
}

extension Session {
    /// Gives an ended worker's outcome another text, as if it had been written that way.
    func giveOutcomeText(of workerId: String, _ json: String) {
        guard var entry = entries[workerId], let end = entry.phase.end else { return }
        entry.phase = .ended(WorkerEnd(outcome: end.outcome, at: end.at, json: json))
        entries[workerId] = entry
    }
}
