import BosunJSON
import BosunProtocol
import Foundation
import Testing
import TestSupport

@testable import MCPServer

/// A worker as a tool result (`spawn`, a `spawn` that waited, `tasks/result`) and in a
/// completed task (`tasks/get`): the worker is written as `spawn` answers it on bosun/1
/// (`Worker.writtenJSON`, the bytes `JSONEncoder` with sorted keys gives), its outcome
/// spliced from the text the session wrote when it ended; the text block holds the same
/// JSON as a string.
@Suite struct MCPWorkerResultTests {
    static func worker(_ state: WorkerState, result: Worker.Result? = nil, error: Worker.Failure? = nil) -> Worker {
        Worker(id: "w_1", role: "worker", model: "fast", state: state, task: "Task: \(ReferenceJSON.awkward)",
               createdAt: "2026-12-07T22:59:59.123Z", startedAt: "2026-12-07T23:00:00.000Z", endedAt: "2026-12-07T23:00:01.000Z",
               steps: 3, usage: WorkerUsage(inputTokens: 1200, outputTokens: 80, cacheReadTokens: 1100, cacheWriteTokens: 170,
                                            costUSD: 0.0016),
               result: result, error: error)
    }

    /// Each ended worker with a text of its outcome in an order writing it does not give
    /// (which only splicing shows), and with the text writing it gives.
    static let ended: [(worker: Worker, member: String, text: String)] = [
        (worker(.succeeded, result: Worker.Result(text: ReferenceJSON.awkward, structured: ["b": 1, "a": [true, nil]],
                                                  sources: ["a"])), "result",
         #"{"structured":{"b":1,"a":[true,null]},"sources":["a"],"text":"# + JSONValue.string(ReferenceJSON.awkward).jsonString() + "}"),
        (worker(.failed, error: Worker.Failure(code: .maxSteps, message: ReferenceJSON.awkward)), "error",
         #"{"message":"# + JSONValue.string(ReferenceJSON.awkward).jsonString() + #","code":"max_steps"}"#),
    ]

    @Test func aWorkerResultIsTheWorkerAsWrittenWithItsOutcomeAsItIs() throws {
        for (typed, member, given) in Self.ended {
            let expected = try ReferenceJSON.sortedEncoder.encode(typed)
            var worker = typed
            worker.writtenOutcome = WrittenOutcome((typed.result?.json ?? typed.error?.json)?.jsonString())
            for answer in [try MCPToolCall.workerResult(worker, meta: nil), try MCPToolCall.waitingResult(worker, asks: [])] {
                let raw = ReferenceJSON.text(answer.data)
                #expect(raw.contains(#""structuredContent":"# + ReferenceJSON.text(expected) + ","), "\(raw)")
                let parsed = try JSONValue.parse(answer.data)
                #expect(parsed["content"]?.arrayValue?.last?["text"]?.stringValue == ReferenceJSON.text(expected))
            }

            worker.writtenOutcome = WrittenOutcome(given)
            let answer = try MCPToolCall.workerResult(worker, meta: ["io.modelcontextprotocol/related-task": ["taskId": "w_1"]])
            let raw = ReferenceJSON.text(answer.data)
            #expect(raw.contains("\"\(member)\":\(given)"), "\(raw)")
            let parsed = try JSONValue.parse(answer.data)
            let block = try #require(parsed["content"]?.arrayValue?.last?["text"]?.stringValue)
            #expect(block.contains("\"\(member)\":\(given)") && block != ReferenceJSON.text(expected))
            // The same value as the typed worker, in the text block and as structured content.
            let value = try JSONValue.parse(expected)
            #expect(try JSONValue.parse(block) == value && parsed["structuredContent"] == value)
            #expect(parsed["isError"] == .bool(typed.state != .succeeded))
        }
    }

    /// `tasks/get` of a completed task: the tool result spliced as its `result` (the outcome's
    /// text as it is), among the task's members in sorted order; the same value as the
    /// task with the tool result parsed into it.
    @Test func aCompletedTaskCarriesTheToolResultAsWritten() throws {
        for (typed, member, given) in Self.ended {
            var worker = typed
            worker.writtenOutcome = WrittenOutcome(given)
            let task = MCPTasks.modern(try JSONValue(encoding: MCPTaskStatus.task(of: worker)), resultType: "complete",
                                       status: "completed")
            let result = try MCPToolCall.workerResult(worker, meta: nil)
            let answer = MCPTasks.completed(task, result: result)
            let raw = ReferenceJSON.text(answer.data)
            #expect(raw.contains(#""result":"# + ReferenceJSON.text(result.data) + ","), "\(raw)")
            #expect(raw.contains("\"\(member)\":\(given)"))
            var fields = try #require(task.objectValue)
            fields["result"] = try JSONValue.parse(result.data)
            #expect(try JSONValue.parse(answer.data) == .object(fields))
            let keys = try #require(JSONValue.parse(answer.data).objectValue).keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let order = keys.compactMap { raw.range(of: "\"\($0)\":")?.lowerBound }
            #expect(order == order.sorted() && order.count == keys.count, "\(raw)")
        }
    }
}
