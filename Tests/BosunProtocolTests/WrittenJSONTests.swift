import BosunJSON
import Foundation
import Testing
import TestSupport
@testable import BosunProtocol

/// `status` and `await` answers are written by hand with each ended worker's outcome spliced
/// from the text written when it ended: the bytes must be what `JSONEncoder` (with sorted
/// keys, the one order it writes the same way every time) makes of the typed value, and the
/// outcome's text must go out as it is, not encoded again.
@Suite struct WrittenJSONTests {
    static let structured: JSONValue = [
        "text": .string(ReferenceJSON.awkward), "max": .int(Int64.max), "min": .int(Int64.min), "huge": 1e300,
        "tiny": .double(Double.leastNonzeroMagnitude),
        "tenth": 0.1, "negative": -2.5, "whole": 3.0, "beyondInt64": 1.8446744073709552e19,
        "list": [1, nil, true, false, "x", [], [:]], "nested": ["z": ["y": ["x": "deep"]], "A": 1, "a": 2],
        "": "an empty key", "ключ": "a key beyond ASCII", "key \"quoted\"\n": 0,
    ]

    static let ask = Ask(askId: "a_1", workerId: "w_3", kind: .permission, tool: "run_command",
                         input: ["argv": ["rm", "-rf", "/tmp/x"], "why": .string(ReferenceJSON.awkward)],
                         question: "May I? \(ReferenceJSON.awkward)",
                         options: AskDecision.permissionOptions, createdAt: "2026-12-07T23:00:00.000Z")

    static func worker(_ id: String, _ state: WorkerState, result: Worker.Result? = nil, error: Worker.Failure? = nil,
                       configure: (inout Worker) -> Void = { _ in }) -> Worker {
        var worker = Worker(id: id, role: "worker", model: "fast", state: state, task: "Task \(id): \(ReferenceJSON.awkward)",
                            createdAt: "2026-12-07T22:59:59.123Z", steps: 3,
                            usage: WorkerUsage(inputTokens: 1200, outputTokens: 80, cacheReadTokens: 1100,
                                               cacheWriteTokens: 170, costUSD: 0.0016),
                            result: result, error: error)
        configure(&worker)
        return worker
    }

    /// A worker in every state, and an ended one with every kind of failure.
    static let workers: [Worker] = [
        worker("w_q", .queued) { $0.queuePosition = 2; $0.after = ["w_a", "w_b"]; $0.priority = -1; $0.parent = "o_1" },
        worker("w_r", .running) { $0.startedAt = "2026-12-07T23:00:00.000Z"; $0.verification = .failed },
        worker("w_w", .waiting) { $0.startedAt = "2026-12-07T23:00:00.000Z"; $0.asks = [ask]; $0.waitedMs = 1500 },
        worker("w_s", .succeeded, result: Worker.Result(text: ReferenceJSON.awkward, structured: structured, sources: ["a.swift", "https://x/y"],
                                                       followUps: ["more", ReferenceJSON.awkward])) {
            $0.startedAt = "2026-12-07T23:00:00.000Z"; $0.endedAt = "2026-12-07T23:00:01.999Z"; $0.verification = .passed
            $0.changes = Worker.Changes(state: .pending, files: ["Sources/a.swift", "ü/b c"], ignoredCount: 2)
        },
        worker("w_t", .succeeded, result: Worker.Result(text: "plain")),
        worker("w_e", .succeeded, result: Worker.Result(text: "", structured: nil, sources: [])),
    ] + FailureCode.allCases.map { code in
        let state: WorkerState = code == .cancelled ? .cancelled : code == .timeout ? .timedOut
            : code == .interrupted ? .interrupted : .failed
        return worker("w_\(code.rawValue)", state, error: Worker.Failure(code: code, message: "Ended: \(code). \(ReferenceJSON.awkward)")) {
            $0.endedAt = "2026-12-07T23:00:02.000Z"
        }
    }

    /// The worker with its outcome written as the session writes it when the worker ends.
    static func ended(_ worker: Worker) -> Worker {
        var worker = worker
        let json = worker.result?.json ?? worker.error?.json
        worker.writtenOutcome = WrittenOutcome(json.map { $0.jsonString(nonFiniteAsNull: true) })
        return worker
    }

    /// `orchestrate`'s answer, every member set, with every worker ended.
    static let orchestration = OrchestrateResult(
        id: "o_1", state: .partial, goal: ReferenceJSON.awkward,
        plan: OrchestrationPlan(subtasks: [PlanSubtask(id: "a", role: "researcher",
                                                       brief: SubtaskBrief(task: ReferenceJSON.awkward, inputs: ["x/y"]),
                                                       after: ["b"])], answer: ReferenceJSON.awkward),
        workers: workers.map(ended),
        verification: [SubtaskOutcome(subtask: "a", status: .passed, workerId: "w_s", attempts: ["w_t", "w_s"],
                                      verification: .passed, reason: ReferenceJSON.awkward)],
        synthesis: SynthesizeResult(id: "w_syn", text: ReferenceJSON.awkward, structured: structured,
                                    sources: [SynthesisSource(workerId: "w_s", claim: ReferenceJSON.awkward, source: "https://x/y")],
                                    conflicts: [SynthesisConflict(topic: "t", workers: ["w_s", "w_t"], summary: ReferenceJSON.awkward)],
                                    gaps: ["g", ReferenceJSON.awkward],
                                    usage: WorkerUsage(inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4,
                                                       costUSD: 0.1)),
        decisions: [OrchestrationDecision(at: "2026-12-07T23:00:00.000Z", kind: .retry, subtask: "a", reason: ReferenceJSON.awkward)],
        reason: ReferenceJSON.awkward,
        usage: WorkerUsage(inputTokens: 9, outputTokens: 8, cacheReadTokens: 7, cacheWriteTokens: 6, costUSD: 2.5e-5),
        verified: VerifiedShare(passed: 1, verified: 1, optedOut: true),
        changes: OrchestrationChanges(applied: ["a.swift"], conflicts: [], pending: ["w_s"], superseded: ["w_t"]))


    /// One worker as `status {workerId}` answers it, and as `spawn` does (every front end
    /// writes an operation's result with `EncodedJSON(answering:)`).
    @Test(arguments: workers)
    func oneWorkerIsWhatTheEncoderWrites(_ worker: Worker) throws {
        let expected = try ReferenceJSON.sortedEncoder.encode(worker)
        for worker in [worker, Self.ended(worker)] {
            for written in [try StatusResult.worker(worker).writtenJSON().data, try EncodedJSON(answering: worker).data] {
                #expect(written == expected, "\(ReferenceJSON.text(written))\n\(ReferenceJSON.text(expected))")
                // The wire's own encoder writes the same value, its keys in an order of its own.
                #expect(try JSONValue.parse(written) == JSONValue.parse(EncodedJSON(encoding: worker).data))
            }
        }
    }

    /// `orchestrate`'s answer carries its workers with their results: they are written as
    /// `status` writes them, and the whole is what the encoder writes, with every optional
    /// member set and with none.
    @Test func anOrchestrationIsWhatTheEncoderWrites() throws {
        var bare = Self.orchestration
        bare.plan = nil
        bare.workers = []
        bare.synthesis = nil
        bare.reason = nil
        bare.changes = nil
        for result in [Self.orchestration, bare] {
            let written = try EncodedJSON(answering: result).data
            let expected = try ReferenceJSON.sortedEncoder.encode(result)
            #expect(written == expected, "\(ReferenceJSON.text(written))\n\(ReferenceJSON.text(expected))")
        }
    }

    @Test func theSessionAndAnAwaitAreWhatTheEncoderWrites() throws {
        let workers = Self.workers.map(Self.ended)
        var summaries = workers
        for index in summaries.indices { summaries[index].result = nil }
        let status = SessionStatus(
            session: .init(id: "s_1", maxConcurrentWorkers: 5,
                           counts: Dictionary(uniqueKeysWithValues: WorkerState.allCases.map { ($0.rawValue, 1) }),
                           maxCostUSD: 2.5),
            usage: WorkerUsage(inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWriteTokens: 4, costUSD: 1e-7),
            workers: summaries,
            orchestrations: [
                OrchestrationSummary(id: "o_1", goal: ReferenceJSON.awkward, state: .partial, subtasks: ["passed": 2, "abandoned": 1],
                                     decisions: 3, createdAt: "2026-12-07T23:00:00.000Z", endedAt: "2026-12-07T23:01:00.000Z",
                                     answeredBy: "w_s"),
                OrchestrationSummary(id: "o_2", goal: "g", state: .planning, subtasks: [:], decisions: 0,
                                     createdAt: "2026-12-07T23:00:00.000Z", endedAt: nil),
            ])
        let answers: [(written: Data, expected: Data)] = [
            (try StatusResult.session(status).writtenJSON().data, try ReferenceJSON.sortedEncoder.encode(status)),
            (try StatusResult.session(SessionStatus(session: status.session, usage: WorkerUsage(), workers: [])).writtenJSON().data,
             try ReferenceJSON.sortedEncoder.encode(SessionStatus(session: status.session, usage: WorkerUsage(), workers: []))),
            (try AwaitResult(finished: workers, pending: ["w_x", ReferenceJSON.awkward]).writtenJSON().data,
             try ReferenceJSON.sortedEncoder.encode(AwaitResult(finished: workers, pending: ["w_x", ReferenceJSON.awkward]))),
            (try AwaitResult(finished: [], pending: []).writtenJSON().data,
             try ReferenceJSON.sortedEncoder.encode(AwaitResult(finished: [], pending: []))),
        ]
        for (written, expected) in answers {
            #expect(written == expected, "\(ReferenceJSON.text(written))\n\(ReferenceJSON.text(expected))")
        }
    }

    /// The byte comparisons above cover a member only where a fixture sets it: every stored
    /// property of each type written by hand is one of its `CodingKeys` (so `Codable` and the
    /// writer see the same members), and some fixture sets each.
    @Test func theFixturesSetEveryMemberOfEveryTypeWrittenByHand() {
        let all = Self.workers + [Self.ended(Self.workers[3])]
        expectCovered(all, keys: Worker.CodingKeys.allCases, besides: ["writtenOutcome"])
        expectCovered(all.map(\.usage), keys: WorkerUsage.CodingKeys.allCases)
        expectCovered(all.compactMap(\.changes), keys: Worker.Changes.CodingKeys.allCases)
        let summary = SessionStatus.Summary(id: "s", maxConcurrentWorkers: 1, counts: [:], maxCostUSD: 1)
        expectCovered([summary], keys: SessionStatus.Summary.CodingKeys.allCases)
        let orchestration = OrchestrationSummary(id: "o", goal: "g", state: .running, subtasks: [:], decisions: 0,
                                                 createdAt: "t", endedAt: "t", answeredBy: "w")
        expectCovered([orchestration], keys: OrchestrationSummary.CodingKeys.allCases)
        expectCovered([SessionStatus(session: summary, usage: WorkerUsage(), workers: [], orchestrations: [orchestration])],
                      keys: SessionStatus.CodingKeys.allCases)
        expectCovered([AwaitResult(finished: [], pending: [])], keys: AwaitResult.CodingKeys.allCases)
        expectCovered([Self.orchestration], keys: OrchestrateResult.CodingKeys.allCases)
    }

    private func expectCovered<Value, Key: CodingKey>(_ values: [Value], keys: [Key], besides: Set<String> = [],
                                                      sourceLocation: SourceLocation = #_sourceLocation) {
        let names = Set(keys.map(\.stringValue))
        var set: Set<String> = []
        for value in values {
            let members = Mirror(reflecting: value).children
            #expect(Set(members.compactMap(\.label)).subtracting(besides) == names,
                    "\(Value.self)'s stored properties are not its CodingKeys", sourceLocation: sourceLocation)
            for member in members {
                let inner = Mirror(reflecting: member.value)
                if let label = member.label, !(inner.displayStyle == .optional && inner.children.isEmpty) { set.insert(label) }
            }
        }
        #expect(names.subtracting(set).isEmpty, "no fixture sets \(names.subtracting(set).sorted()) of \(Value.self)",
                sourceLocation: sourceLocation)
    }

    /// The outcome goes out as the text it was written as: here texts whose keys are in an
    /// order the writer does not use, which only splicing can show. The answer is the same
    /// value as the typed one.
    @Test func theWrittenOutcomeGoesOutAsItIs() throws {
        let outcomes: [(Worker, String)] = [
            (Self.worker("w_1", .succeeded, result: Worker.Result(text: "x", sources: ["a"])),
             #"{"text":"x","sources":["a"]}"#),
            (Self.worker("w_2", .failed, error: Worker.Failure(code: .maxSteps, message: "m")),
             #"{"message":"m","code":"max_steps"}"#),
        ]
        for (typed, text) in outcomes {
            var worker = typed
            worker.writtenOutcome = WrittenOutcome(text)
            let member = typed.result == nil ? "error" : "result"
            var orchestration = Self.orchestration
            orchestration.workers = [worker]
            var typedOrchestration = Self.orchestration
            typedOrchestration.workers = [typed]
            let answers = [
                (try StatusResult.worker(worker).writtenJSON().data, try ReferenceJSON.sortedEncoder.encode(typed)),
                (try AwaitResult(finished: [worker], pending: []).writtenJSON().data,
                 try ReferenceJSON.sortedEncoder.encode(AwaitResult(finished: [typed], pending: []))),
                (try EncodedJSON(answering: worker).data, try ReferenceJSON.sortedEncoder.encode(typed)),
                (try EncodedJSON(answering: orchestration).data, try ReferenceJSON.sortedEncoder.encode(typedOrchestration)),
            ]
            for (written, encoded) in answers {
                #expect(ReferenceJSON.text(written).contains("\"\(member)\":\(text)"), "\(ReferenceJSON.text(written))")
                #expect(written != encoded)
                #expect(try JSONValue.parse(written) == JSONValue.parse(encoded))
            }
        }
    }

    /// A value `JSONEncoder` refuses (a cost that is not a number) is refused the same way.
    @Test func aValueTheEncoderRefusesIsRefused() {
        let worker = Self.worker("w_nan", .running) { $0.usage.costUSD = .nan }
        #expect(throws: EncodingError.self) { try StatusResult.worker(worker).writtenJSON() }
        #expect(throws: EncodingError.self) { try AwaitResult(finished: [worker], pending: []).writtenJSON() }
        #expect(throws: EncodingError.self) { try EncodedJSON(answering: worker) }
        var orchestration = Self.orchestration
        orchestration.workers = [worker]
        #expect(throws: EncodingError.self) { try EncodedJSON(answering: orchestration) }
        orchestration.workers = []
        orchestration.synthesis?.usage.costUSD = .infinity
        #expect(throws: EncodingError.self) { try EncodedJSON(answering: orchestration) }
    }
}
