import BosunJSON
import BosunProtocol
import Foundation
import Testing

@testable import ACPServer

/// An orchestration's events as ACP `session/update`s: the plan with its entries' status,
/// one tool call per worker, decisions and replans as thoughts.
@Suite struct ACPTurnMapperTests {
    static let plan = OrchestrationPlan(subtasks: [
        PlanSubtask(id: "a", role: "researcher", brief: SubtaskBrief(task: "Find the facts\nwith sources")),
        PlanSubtask(id: "b", role: "coder", brief: SubtaskBrief(task: "Fix the parser")),
        PlanSubtask(id: "c", role: "writer", brief: SubtaskBrief(task: "Write the report"), after: ["a", "b"]),
    ])

    static func orchestration(_ kind: String, _ data: JSONValue, id: String = "o_1", seq: Int = 1) -> SessionEvent {
        .orchestration(OrchestrationEvent(orchestrationId: id, seq: seq, kind: kind, at: "2026-12-02T18:00:00.000Z", data: data))
    }

    static func worker(_ id: String, _ data: WorkerEventData) -> SessionEvent {
        .worker(WorkerEvent(workerId: id, seq: 1, at: "2026-12-02T18:00:00.000Z", data: data))
    }

    static func ended(_ state: WorkerState, result: String? = nil, error: Worker.Failure? = nil) -> WorkerEventData {
        .ended(.init(state: state, steps: 1, costUSD: 0, result: result.map { Worker.Result(text: $0) }, error: error))
    }

    /// A `rawOutput` written from its typed value, as for an end whose text nobody wrote.
    static func raw(_ json: JSONValue) -> EncodedJSON { EncodedJSON(writtenJSON: json.jsonData()) }

    static let queued = WorkerEventData.queued(position: 1, priority: 0, after: [], traceparent: nil)
    static let started = WorkerEventData.started(run: 1, resumed: false)

    static func planEntries(_ updates: [ACPMappedUpdate]) -> [ACPPlanEntry]? {
        guard case .plan(let entries)? = updates.last?.update else { return nil }
        return entries
    }

    @Test func thePlanAndItsSubtasksBecomePlanEntriesWithTheirStatus() throws {
        var mapper = ACPTurnMapper()
        #expect(mapper.map(Self.orchestration("started", ["goal": "g"])).isEmpty)
        #expect(mapper.orchestrationId == "o_1")
        let planned = try #require(Self.planEntries(mapper.map(Self.orchestration("plan", [
            "plan": try JSONValue(encoding: Self.plan), "attempt": 1]))))
        #expect(planned.map(\.content) == ["Find the facts", "Fix the parser", "Write the report"])
        // What others wait for comes first.
        #expect(planned.map(\.priority) == [.high, .high, .medium])
        #expect(planned.allSatisfy { $0.status == .pending })

        #expect(mapper.map(Self.orchestration("subtask", ["subtask": "a", "status": "running", "workerId": "w_a"])).count == 1)
        // The same status again changes nothing the client shows: no update.
        #expect(mapper.map(Self.orchestration("subtask", ["subtask": "a", "status": "running", "workerId": "w_a"])).isEmpty)
        _ = mapper.map(Self.orchestration("subtask", ["subtask": "b", "status": "running", "workerId": "w_b"]))
        _ = mapper.map(Self.orchestration("subtask", ["subtask": "a", "status": "passed", "workerId": "w_a"]))
        let last = try #require(Self.planEntries(mapper.map(Self.orchestration("subtask", [
            "subtask": "b", "status": "abandoned", "reason": "the tests kept failing"]))))
        #expect(last.map(\.status) == [.completed, .completed, .pending])
        #expect(last[1].content == "Fix the parser (abandoned: the tests kept failing)")

        // A replanned plan keeps what its subtasks reached.
        var changed = Self.plan
        changed.subtasks[2].brief.task = "Write a short report"
        let replanned = try #require(Self.planEntries(mapper.map(Self.orchestration("plan", [
            "plan": try JSONValue(encoding: changed), "attempt": 2]))))
        #expect(replanned.map(\.status) == [.completed, .completed, .pending])
        #expect(replanned[2].content == "Write a short report")
        // Another orchestration's events (a later turn's) do not touch this plan.
        #expect(mapper.map(Self.orchestration("subtask", ["subtask": "c", "status": "running"], id: "o_2")).isEmpty)
        #expect(mapper.map(Self.orchestration("subtask", ["subtask": "nope", "status": "running"])).isEmpty)
    }

    @Test func decisionsAndReplansAreThoughts() {
        var mapper = ACPTurnMapper()
        let decision = mapper.map(Self.orchestration("decision", [
            "at": "2026-12-02T18:00:00.000Z", "kind": "retry", "subtask": "b", "reason": "the check failed"]))
        #expect(decision.map(\.update) == [.agentThoughtChunk("Subtask b failed; decided to retry: the check failed\n")])
        let replan = mapper.map(Self.orchestration("replan", ["reason": "the plan had a cycle", "replans": 1]))
        #expect(replan.map(\.update) == [.agentThoughtChunk("Replanning: the plan had a cycle\n")])
    }

    @Test func eachWorkerIsOneToolCallFollowedToItsEnd() throws {
        var mapper = ACPTurnMapper()
        let queued = Self.worker("w_1", Self.queued)
        #expect(mapper.unknownWorker(in: queued) == "w_1")
        let first = mapper.map(queued, info: ACPWorkerInfo(role: "researcher", task: "Find the facts\nin detail"))
        #expect(first.map(\.update) == [.toolCall(ACPToolCall(
            toolCallId: "w_1", title: "researcher: Find the facts", kind: .search, status: .pending,
            rawInput: ["workerId": "w_1", "role": "researcher", "task": "Find the facts\nin detail"]))])
        #expect(mapper.unknownWorker(in: Self.worker("w_1", Self.started)) == nil)

        #expect(mapper.map(Self.worker("w_1", Self.started)).map(\.update)
                == [.toolCallUpdate(ACPToolCall(toolCallId: "w_1", status: .inProgress))])
        #expect(mapper.map(Self.worker("w_1", .modelCall(step: 1, model: "m", provider: nil, providerAPI: nil))).isEmpty)
        let step = mapper.map(Self.worker("w_1", .toolCall(id: "c1", name: "read_file", input: ["path": "README.md"])))
        #expect(step == [ACPMappedUpdate(update: .toolCallUpdate(ACPToolCall(toolCallId: "w_1", text: "Running read_file README.md")),
                                         droppable: true)])
        #expect(mapper.map(Self.worker("w_1", .toolCall(id: "c2", name: "read_file", input: ["path": "README.md"]))).isEmpty)
        let ended = mapper.map(Self.worker("w_1", Self.ended(.succeeded, result: "The facts.")))
        #expect(ended.map(\.update) == [.toolCallUpdate(ACPToolCall(
            toolCallId: "w_1", status: .completed, text: "The facts.", rawOutput: Self.raw(["text": "The facts."])))])
        #expect(ended.allSatisfy { !$0.droppable })

        // Steered after its end, it runs again: the same tool call goes back to work.
        #expect(mapper.map(Self.worker("w_1", Self.queued)).map(\.update)
                == [.toolCallUpdate(ACPToolCall(toolCallId: "w_1", status: .pending))])
        #expect(mapper.workers == ["w_1"])

        // At the end of a cancelled turn, what is still open fails; what ended stays as it is.
        _ = mapper.map(Self.worker("w_2", Self.started), info: ACPWorkerInfo(role: "coder", task: "Fix it"))
        _ = mapper.map(Self.worker("w_3", Self.ended(.succeeded, result: "ok")), info: nil)
        #expect(mapper.closeOpenToolCalls("cancelled").map(\.update) == [
            .toolCallUpdate(ACPToolCall(toolCallId: "w_1", status: .failed, text: "cancelled")),
            .toolCallUpdate(ACPToolCall(toolCallId: "w_2", status: .failed, text: "cancelled")),
        ])
        #expect(mapper.closeOpenToolCalls("cancelled").isEmpty)
    }

    @Test func aWritingWorkersToolCallShowsTheDiffsOfItsFilesToItsEnd() throws {
        var mapper = ACPTurnMapper()
        _ = mapper.map(Self.worker("w_1", Self.started), info: ACPWorkerInfo(role: "coder", task: "Fix it"))
        let write = Self.worker("w_1", .toolCall(id: "c1", name: "write_file", input: ["path": "a.txt"]))
        #expect(mapper.changedWorker(in: write) == nil)
        _ = mapper.map(write)
        let gained = Self.worker("w_1", .changes(Worker.Changes(state: .pending, files: ["a.txt"])))
        #expect(mapper.changedWorker(in: gained) == "w_1")
        let diff = ACPDiff(path: "/ws/a.txt", oldText: "old\n", newText: "new\n")
        let shown = mapper.map(gained, diffs: [diff])
        #expect(shown == [ACPMappedUpdate(update: .toolCallUpdate(ACPToolCall(
            toolCallId: "w_1", text: "Running write_file a.txt", diffs: [diff])))])

        // Content replaces content: a later progress line keeps the diffs.
        let step = mapper.map(Self.worker("w_1", .toolCall(id: "c2", name: "run_command", input: ["command": "make test"])))
        #expect(step.map(\.update) == [.toolCallUpdate(ACPToolCall(toolCallId: "w_1", text: "Running run_command make test", diffs: [diff]))])

        // Its end is read again (a file changed twice sends one changes event) and shown with the result.
        let end = Self.worker("w_1", Self.ended(.succeeded, result: "Fixed."))
        #expect(mapper.changedWorker(in: end) == "w_1")
        let again = ACPDiff(path: "/ws/a.txt", oldText: "old\n", newText: "newer\n")
        #expect(mapper.map(end, diffs: [again]).map(\.update) == [.toolCallUpdate(ACPToolCall(
            toolCallId: "w_1", status: .completed, text: "Fixed.", diffs: [again], rawOutput: Self.raw(["text": "Fixed."])))])

        // Applied or discarded changes, and workers without any, are not read.
        #expect(mapper.changedWorker(in: Self.worker("w_1", .changes(Worker.Changes(state: .applied, files: ["a.txt"])))) == nil)
        _ = mapper.map(Self.worker("w_2", Self.started), info: ACPWorkerInfo(role: "researcher", task: "Look"))
        #expect(mapper.changedWorker(in: Self.worker("w_2", Self.ended(.succeeded, result: "Seen."))) == nil)
    }

    @Test func aWorkerThatFailsOrIsUnknownStillShows() {
        var mapper = ACPTurnMapper(ignoring: ["w_old"])
        #expect(mapper.unknownWorker(in: Self.worker("w_old", Self.ended(.cancelled))) == nil)
        #expect(mapper.map(Self.worker("w_old", Self.ended(.cancelled))).isEmpty)

        let failed = mapper.map(Self.worker("w_2", Self.ended(.failed, error: Worker.Failure(code: .maxSteps, message: "Too many steps."))))
        #expect(failed.map(\.update) == [.toolCall(ACPToolCall(
            toolCallId: "w_2", title: "worker w_2", kind: .other, status: .failed, text: "failed: Too many steps.",
            rawOutput: Self.raw(["code": "max_steps", "message": "Too many steps."])))])
        #expect(ACPTurnMapper.kind(of: "planner") == .think && ACPTurnMapper.kind(of: "coder") == .edit)
        #expect(ACPTurnMapper.status(of: .timedOut) == .failed && ACPTurnMapper.status(of: .cancelled) == .failed)
    }

    @Test func aWorkersOutcomeIsSentAsTheSessionWroteItWhenTheWorkerEnded() throws {
        // Spaced and with its keys out of order, so that writing the typed value again would show.
        let result = #"{ "text" : "Done \u00e9 </a>", "structured" : {"z": 1.50, "a": [true, null]} }"#
        let error = #"{"message": "Too many steps.", "code": "max_steps"}"#
        var mapper = ACPTurnMapper()
        _ = mapper.map(Self.worker("w_1", Self.started), info: ACPWorkerInfo(role: "writer", task: "Write"))
        _ = mapper.map(Self.worker("w_2", Self.started), info: ACPWorkerInfo(role: "coder", task: "Fix"))
        let typed = Worker.Result(text: "Done é </a>", structured: ["z": 1.5, "a": [true, nil]])
        let succeeded = mapper.map(Self.worker("w_1", .ended(.init(
            state: .succeeded, steps: 1, costUSD: 0, result: typed, error: nil, writtenOutcome: WrittenOutcome(result)))))
        let failure = Worker.Failure(code: .maxSteps, message: "Too many steps.")
        let failed = mapper.map(Self.worker("w_2", .ended(.init(
            state: .failed, steps: 1, costUSD: 0, result: nil, error: failure, writtenOutcome: WrittenOutcome(error)))))

        for (updates, text, typed) in [(succeeded, result, typed.json), (failed, error, failure.json)] {
            let update = try #require(updates.first?.update)
            guard case .toolCallUpdate(let call) = update else { Issue.record("\(update)"); continue }
            #expect(call.rawOutput == EncodedJSON(writtenJSON: Data(text.utf8)))
            // On the wire: the text as it is, inside a notification equal as JSON to the encoded one.
            let notification = ACPSessionNotification(sessionId: "s_1", update: update)
            let written = try #require(try notification.writtenJSON())
            #expect(String(decoding: written.data, as: UTF8.self).contains(#","rawOutput":\#(text)}}"#))
            var bare = call
            bare.rawOutput = nil
            guard case .object(var expected) = try JSONValue(encoding: ACPSessionUpdate.toolCallUpdate(bare)) else {
                Issue.record("not an object"); continue
            }
            expected["rawOutput"] = typed
            #expect(try JSONValue.parse(written.data) == ["sessionId": "s_1", "update": .object(expected)])
            #expect(try JSONValue.parse(written.data) == JSONValue(encoding: notification))
        }

        // An update without a worker's outcome is encoded as it is.
        let plain = ACPSessionNotification(sessionId: "s_1", update: .toolCallUpdate(ACPToolCall(toolCallId: "w_1", status: .failed)))
        #expect(try plain.writtenJSON() == nil)
        #expect(try ACPSessionNotification(sessionId: "s_1", update: .agentMessageChunk("Hi")).writtenJSON() == nil)
    }

    @Test func updatesEncodeAsTheSpecSaysTheyLook() throws {
        let call = try JSONValue(encoding: ACPSessionNotification(sessionId: "s_1", update: .toolCall(ACPToolCall(
            toolCallId: "w_1", title: "writer: Write", kind: .other, status: .completed, text: "Done."))))
        #expect(call == ["sessionId": "s_1", "update": [
            "sessionUpdate": "tool_call", "toolCallId": "w_1", "title": "writer: Write", "kind": "other", "status": "completed",
            "content": [["type": "content", "content": ["type": "text", "text": "Done."]]]]])
        let plan = try JSONValue(encoding: ACPSessionUpdate.plan([ACPPlanEntry(content: "x", priority: .high, status: .inProgress)]))
        #expect(plan == ["sessionUpdate": "plan", "entries": [["content": "x", "priority": "high", "status": "in_progress"]]])
        let chunk = try JSONValue(encoding: ACPSessionUpdate.agentMessageChunk("Hello"))
        #expect(chunk == ["sessionUpdate": "agent_message_chunk", "content": ["type": "text", "text": "Hello"]])
        let diffs = try JSONValue(encoding: ACPSessionUpdate.toolCallUpdate(ACPToolCall(toolCallId: "w_1", text: "Done.", diffs: [
            ACPDiff(path: "/ws/new.txt", oldText: nil, newText: "hi\n"), ACPDiff(path: "/ws/a.txt", oldText: "a\n", newText: "b\n")])))
        #expect(diffs == ["sessionUpdate": "tool_call_update", "toolCallId": "w_1", "content": [
            ["type": "content", "content": ["type": "text", "text": "Done."]],
            ["type": "diff", "path": "/ws/new.txt", "oldText": nil, "newText": "hi\n"],
            ["type": "diff", "path": "/ws/a.txt", "oldText": "a\n", "newText": "b\n"]]])
        let update = try JSONValue(encoding: ACPSessionUpdate.toolCallUpdate(ACPToolCall(toolCallId: "w_1", status: .failed)))
        #expect(update == ["sessionUpdate": "tool_call_update", "toolCallId": "w_1", "status": "failed"])
    }
}
