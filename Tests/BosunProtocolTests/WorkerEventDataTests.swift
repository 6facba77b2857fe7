import BosunJSON
import BosunProtocol
import Testing

/// Worker event data and failure codes are typed, and their JSON is what the schema says.
@Suite struct WorkerEventDataTests {
    static let samples: [WorkerEventData] = [
        .queued(position: 2, priority: 1, after: ["w_a"], traceparent: nil),
        .queued(position: 1, priority: 0, after: [], traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        .requeued(position: 1, priority: 0),
        .parked(awaiting: ["w_child"]),
        .started(run: 1, resumed: false),
        .started(run: 2, resumed: true),
        .modelCall(step: 3, model: "claude-haiku-4-5", provider: "anthropic", providerAPI: "anthropic"),
        .modelCall(step: 1, model: "m", provider: nil, providerAPI: nil),
        .modelReply(step: 3, inputTokens: 1200, outputTokens: 80, cacheReadTokens: 0, cacheWriteTokens: 0, costUSD: 0.0016),
        .modelReply(step: 4, inputTokens: 30, outputTokens: 80, cacheReadTokens: 1100, cacheWriteTokens: 170, costUSD: 0.0009),
        .text("Reading the README."),
        .toolCall(id: "c1", name: "read_file", input: ["path": "README.md"]),
        .toolResult(id: "c1", name: "read_file", isError: false, text: "# bosun", trace: [:]),
        .toolResult(id: "c2", name: "mcp__tools__add", isError: false, text: "5",
                    trace: ["mcp": ["server": "tools", "tool": "add", "durationMs": 1.5, "bytes": 1]]),
        .providerRetry(attempt: 1, delaySeconds: 0.5, error: "overloaded_error"),
        .runRetry(reason: "timed_out", run: 1, attempt: 1, of: 2),
        .fallback(reason: "provider_error", run: 1, model: "mid", previousModel: "fast"),
        .steered(message: "Also count the tests."),
        .verifyRound(VerifyRound(round: 1, model: "fast", checks: [CheckOutcome(kind: "files", passed: true, summary: "all there")])),
        .escalated(from: "fast", to: "mid", costUSDSoFar: 0.01),
        .judgeCall(model: "claude-sonnet-4-5", inputTokens: 100, outputTokens: 20, costUSD: 0.0006, evaluatorId: nil),
        .judgeCall(model: "claude-haiku-4-5", inputTokens: 900, outputTokens: 80, costUSD: 0.0013, evaluatorId: "w_eval"),
        .changes(Worker.Changes(state: .pending, files: ["src/a.swift", "README.md"])),
        .ended(.init(state: .succeeded, steps: 2, costUSD: 0.002, result: Worker.Result(text: "done", structured: ["n": 3]), error: nil)),
        .ended(.init(state: .timedOut, steps: 4, costUSD: 0, result: nil, error: Worker.Failure(code: .timeout, message: "Too slow."))),
        .ended(.init(state: .interrupted, steps: 0, costUSD: 0, result: nil, error: Worker.Failure(code: .interrupted, message: "Stopped."))),
    ]

    @Test func everyPayloadIsValidForItsKindAndReadsBackTheSame() throws {
        let schema = ProtocolSchema.shared.standalone("worker/event.params")
        for data in Self.samples {
            let event = WorkerEvent(workerId: "w_1", seq: 1, at: "2026-01-01T00:00:00.000Z", data: data)
            #expect(JSONSchemaValidator.validate(event.json, against: schema).isEmpty, "\(event.json)")
            // Codable writes the same JSON as the hand-written form (compared as text read back: a
            // whole-valued double is written as an integer).
            #expect(try JSONValue(encoding: event) == JSONValue.parse(event.json.jsonString()))
            #expect(try event.json.decode(as: WorkerEvent.self) == event)
            #expect(try WorkerEventData(kind: data.kind, json: data.json) == data)
        }
    }

    @Test func dataThatDoesNotFitItsKindIsRefusedByTheSchemaAndByTheReader() throws {
        let schema = ProtocolSchema.shared.standalone("worker/event.params")
        let wrong: JSONValue = ["workerId": "w_1", "seq": 1, "kind": "tool_call", "at": "2026-01-01T00:00:00.000Z",
                                "data": ["id": "c1"]]
        #expect(!JSONSchemaValidator.validate(wrong, against: schema).isEmpty)
        #expect(throws: WorkerEventDataError.self) { try WorkerEventData(kind: .toolCall, json: ["id": "c1"]) }
        do {
            _ = try WorkerEventData(kind: .modelCall, json: ["step": "one", "model": "m"])
            Issue.record("a string step was read")
        } catch let error as WorkerEventDataError {
            #expect(error.field == "step" && error.description.contains("integer"))
        }
    }

    @Test func kindsAndFailureCodesAreTheSchemasClosedSets() throws {
        let definitions = ProtocolSchema.shared.definitions
        let kinds = try #require(definitions["EventKind"]?["enum"]?.arrayValue).compactMap(\.stringValue)
        #expect(Set(kinds) == Set(WorkerEventKind.allCases.map(\.rawValue)))
        let codes = try #require(definitions["FailureCode"]?["enum"]?.arrayValue).compactMap(\.stringValue)
        #expect(codes == FailureCode.allCases.map(\.rawValue))
        #expect(definitions["WorkerError"]?["properties"]?["code"] == ["$ref": "#/$defs/FailureCode"])
        // A message that interpolates a code spells it as the wire does.
        #expect("\(FailureCode.maxSteps)" == "max_steps" && "\(FailureCode.timeout)" == "timeout")
        #expect(try JSONValue(encoding: Worker.Failure(code: .dependencyFailed, message: "m")) == ["code": "dependency_failed", "message": "m"])
    }
}
