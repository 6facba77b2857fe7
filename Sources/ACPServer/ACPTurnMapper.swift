import BosunJSON
import BosunProtocol
import Foundation

/// A worker as a tool call's title and kind need it: what `status` says of it.
struct ACPWorkerInfo: Sendable, Hashable {
    var role: String
    var task: String
}

/// One `session/update` to send, and whether the writer may drop it for a client that is not
/// reading (a step of a running worker, superseded by the next one).
struct ACPMappedUpdate: Sendable, Hashable {
    var update: ACPSessionUpdate
    var droppable: Bool = false
}

/// Turns one prompt turn's session events into ACP `session/update`s: the orchestration's
/// plan and its subtasks' progress become `plan` updates, every worker (planner, subtasks,
/// coordinator, synthesizer) one tool call with its status, and the orchestrator's decisions
/// and replans thought chunks. Pure: the caller looks a new worker up (`unknownWorker`) and
/// sends what `map` returns, in order.
struct ACPTurnMapper: Sendable {
    private struct Entry {
        var subtask: String
        var content: String
        var priority: ACPPlanEntryPriority
        var status: ACPPlanEntryStatus
        var abandoned: String?

        var wire: ACPPlanEntry {
            ACPPlanEntry(content: abandoned.map { "\(content) (abandoned: \($0))" } ?? content,
                         priority: priority, status: status)
        }
    }

    private struct ToolCallState {
        var status: ACPToolCallStatus
        /// The progress line it shows, so the same line is not sent twice.
        var line: String?
        /// The files a writing worker changed, shown after the line: every update that sets
        /// the content carries them, since content replaces content.
        var diffs: [ACPDiff]?
    }

    /// The orchestration this turn runs, from its first event.
    private(set) var orchestrationId: String?
    private var entries: [Entry] = []
    private var sentPlan: [ACPPlanEntry]?
    private var toolCalls: [String: ToolCallState] = [:]
    /// Workers of earlier turns: a late event of theirs is not this turn's.
    private let ignored: Set<String>

    /// The longest title and plan entry, in characters; the full text is in `rawInput`.
    static let titleLength = 100
    static let entryLength = 200
    /// The most of a worker's result shown in its tool call.
    static let resultLength = 4000

    init(ignoring workers: Set<String> = []) {
        ignored = workers
    }

    /// Every worker this turn announced as a tool call.
    var workers: Set<String> { Set(toolCalls.keys) }

    /// The worker this event announces for the first time, which the caller looks up
    /// (`status`) before `map`, so its tool call has a title.
    func unknownWorker(in event: SessionEvent) -> String? {
        guard case .worker(let event) = event, toolCalls[event.workerId] == nil, !ignored.contains(event.workerId) else {
            return nil
        }
        return event.workerId
    }

    /// The worker whose changed files the caller reads (`ACPFileDiffs`) before `map`: its layer
    /// gained files, or it ended after it had (a later edit of a file it already changed
    /// sends no `changes` event).
    func changedWorker(in event: SessionEvent) -> String? {
        guard case .worker(let event) = event, !ignored.contains(event.workerId) else { return nil }
        if case .changes(let changes) = event.data {
            let reviewable = changes.state == .pending || changes.state == .conflicted
            return reviewable && !changes.files.isEmpty ? event.workerId : nil
        }
        return event.terminalState != nil && toolCalls[event.workerId]?.diffs != nil ? event.workerId : nil
    }

    /// The updates this event makes; `info` describes the worker `unknownWorker` named
    /// (nil when it could not be looked up), `diffs` the files of the one `changedWorker` named.
    mutating func map(_ event: SessionEvent, info: ACPWorkerInfo? = nil, diffs: [ACPDiff]? = nil) -> [ACPMappedUpdate] {
        switch event {
        case .worker(let event): return map(worker: event, info: info, diffs: diffs)
        case .orchestration(let event): return map(orchestration: event)
        case .progress: return []
        }
    }

    // MARK: - Orchestration events

    private mutating func map(orchestration event: OrchestrationEvent) -> [ACPMappedUpdate] {
        if orchestrationId == nil { orchestrationId = event.orchestrationId }
        guard event.orchestrationId == orchestrationId else { return [] }
        switch OrchestrationEventKind(rawValue: event.kind) {
        case .plan?:
            guard let plan = try? event.data["plan"]?.decode(as: OrchestrationPlan.self) else { return [] }
            setPlan(plan)
            return planUpdate()
        case .subtask?:
            guard let move = try? event.data.decode(as: SubtaskMove.self),
                  let index = entries.firstIndex(where: { $0.subtask == move.subtask }) else { return [] }
            let status = move.status
            switch status {
            case .pending: entries[index].status = .pending
            case .running: entries[index].status = .inProgress
            case .passed: entries[index].status = .completed
            case .abandoned:
                // A plan entry has no failed status: it is done, and says it was abandoned and why.
                entries[index].status = .completed
                entries[index].abandoned = move.reason ?? "no reason was given"
            }
            if status != .abandoned { entries[index].abandoned = nil }
            return planUpdate()
        case .replan?:
            let reason = event.data["reason"]?.stringValue ?? "the plan changes"
            let subtask = event.data["subtask"]?.stringValue.map { " (\($0))" } ?? ""
            return [ACPMappedUpdate(update: .agentThoughtChunk("Replanning\(subtask): \(reason)\n"))]
        case .decision?:
            guard let kind = event.data["kind"]?.stringValue, let subtask = event.data["subtask"]?.stringValue else { return [] }
            let reason = event.data["reason"]?.stringValue ?? ""
            return [ACPMappedUpdate(update: .agentThoughtChunk("Subtask \(subtask) failed; decided to \(kind): \(reason)\n"))]
        case .started?, .synthesis?, nil:
            // The planner and synthesizer show as their workers' tool calls; the end of the
            // orchestration is the prompt's answer.
            return []
        }
    }

    private mutating func setPlan(_ plan: OrchestrationPlan) {
        let before = Dictionary(entries.map { ($0.subtask, $0) }, uniquingKeysWith: { first, _ in first })
        let needed = Set(plan.subtasks.flatMap { $0.after ?? [] })
        entries = plan.subtasks.map { subtask in
            var entry = Entry(subtask: subtask.id, content: Self.clip(Self.firstLine(subtask.brief.task), Self.entryLength),
                              priority: needed.contains(subtask.id) ? .high : .medium, status: .pending)
            // A replan keeps what its subtasks had already reached.
            if let old = before[subtask.id] {
                entry.status = old.status
                entry.abandoned = old.abandoned
            }
            return entry
        }
    }

    /// The whole plan, unless the client already has exactly this one (a subtask reported
    /// running again when its worker starts).
    private mutating func planUpdate() -> [ACPMappedUpdate] {
        let plan = entries.map(\.wire)
        guard plan != sentPlan else { return [] }
        sentPlan = plan
        return [ACPMappedUpdate(update: .plan(plan))]
    }

    // MARK: - Worker events

    private mutating func map(worker event: WorkerEvent, info: ACPWorkerInfo?, diffs fresh: [ACPDiff]?) -> [ACPMappedUpdate] {
        let id = event.workerId
        guard !ignored.contains(id) else { return [] }
        let terminal = event.terminalState
        let diffs = fresh.flatMap { $0.isEmpty ? nil : $0 }
        guard let state = toolCalls[id] else {
            // Its first event: the tool call, in the state this event puts it in.
            var call = ACPToolCall(toolCallId: id, title: Self.title(id: id, info: info), kind: Self.kind(of: info?.role),
                                   status: terminal.map(Self.status(of:)) ?? (event.kind == .queued ? .pending : .inProgress))
            if let info { call.rawInput = ["workerId": .string(id), "role": .string(info.role), "task": .string(info.task)] }
            if terminal != nil { Self.describeEnd(event, into: &call) }
            call.diffs = diffs
            toolCalls[id] = ToolCallState(status: call.status ?? .pending, diffs: diffs)
            return [ACPMappedUpdate(update: .toolCall(call))]
        }
        if let diffs { toolCalls[id]?.diffs = diffs }
        if let terminal {
            var call = ACPToolCall(toolCallId: id, status: Self.status(of: terminal), diffs: toolCalls[id]?.diffs)
            Self.describeEnd(event, into: &call)
            toolCalls[id]?.status = call.status ?? state.status
            return [ACPMappedUpdate(update: .toolCallUpdate(call))]
        }
        switch event.data {
        case .queued, .requeued, .parked:
            return setStatus(id, .pending, from: state)
        case .started:
            return setStatus(id, .inProgress, from: state)
        case .toolCall(_, let name, let input):
            let text = "Running \(name)\(Self.argument(of: input).map { " \($0)" } ?? "")"
            guard state.line != text else { return [] }
            toolCalls[id]?.line = text
            return [content(id, text, droppable: true)]
        case .providerRetry:
            return [content(id, "Retrying: a provider error", droppable: true)]
        case .runRetry(let reason, _, _, _), .fallback(let reason, _, _, _):
            return [content(id, "Retrying: \(reason)", droppable: true)]
        case .asked(let ask, _, _):
            // The question stays in the tool call while the worker waits (its permission
            // request, when it goes to the client, shows it too).
            toolCalls[id]?.status = .pending
            toolCalls[id]?.line = "Waiting for an answer: \(ask.question)"
            return [ACPMappedUpdate(update: .toolCallUpdate(ACPToolCall(toolCallId: id, status: .pending, text: toolCalls[id]?.line,
                                                                      diffs: toolCalls[id]?.diffs)))]
        case .answered(let answer):
            let what = answer.decision.map(\.rawValue) ?? answer.text ?? "no answer"
            toolCalls[id]?.status = .inProgress
            toolCalls[id]?.line = "Answered (\(answer.answeredBy)): \(what)"
            return [ACPMappedUpdate(update: .toolCallUpdate(ACPToolCall(toolCallId: id, status: .inProgress, text: toolCalls[id]?.line,
                                                                      diffs: toolCalls[id]?.diffs)))]
        case .changes:
            // Not droppable: the client keeps the last content it got, and this is what the worker wrote.
            guard diffs != nil else { return [] }
            return [content(id, toolCalls[id]?.line)]
        default:
            return []
        }
    }

    /// An update of the tool call's content: `text`, then its files' diffs.
    private func content(_ id: String, _ text: String?, droppable: Bool = false) -> ACPMappedUpdate {
        ACPMappedUpdate(update: .toolCallUpdate(ACPToolCall(toolCallId: id, text: text, diffs: toolCalls[id]?.diffs)),
                        droppable: droppable)
    }

    /// At the end of the turn, every tool call still pending or running fails with `why`: a
    /// cancelled orchestration may answer before its workers' ends reach the client, and
    /// events after the answer belong to no turn.
    mutating func closeOpenToolCalls(_ why: String) -> [ACPMappedUpdate] {
        let open = toolCalls.filter { $0.value.status == .pending || $0.value.status == .inProgress }.keys.sorted()
        return open.map { id in
            toolCalls[id]?.status = .failed
            return ACPMappedUpdate(update: .toolCallUpdate(ACPToolCall(toolCallId: id, status: .failed, text: why,
                                                                      diffs: toolCalls[id]?.diffs)))
        }
    }

    private mutating func setStatus(_ id: String, _ status: ACPToolCallStatus, from state: ToolCallState) -> [ACPMappedUpdate] {
        guard state.status != status else { return [] }
        toolCalls[id]?.status = status
        return [ACPMappedUpdate(update: .toolCallUpdate(ACPToolCall(toolCallId: id, status: status)))]
    }

    /// A worker's end in its tool call: the result's text, or what went wrong; the outcome
    /// itself as `rawOutput`.
    private static func describeEnd(_ event: WorkerEvent, into call: inout ACPToolCall) {
        guard case .ended(let ending) = event.data else { return }
        if let result = ending.result {
            call.text = clip(result.text, resultLength)
            call.rawOutput = rawOutput(ending.writtenOutcome, else: result.json)
        } else {
            let message = ending.error?.message ?? "no reason was recorded"
            call.text = "\(event.kind.rawValue): \(message)"
            call.rawOutput = ending.error.map { rawOutput(ending.writtenOutcome, else: $0.json) }
        }
    }

    /// The outcome's text as the session wrote it when the worker ended, or the typed value
    /// written now when nobody wrote it (an event made elsewhere than the worker's end).
    private static func rawOutput(_ written: WrittenOutcome, else typed: @autoclosure () -> JSONValue) -> EncodedJSON {
        EncodedJSON(writtenJSON: written.json.map { Data($0.utf8) } ?? typed().jsonData())
    }

    static func status(of state: WorkerState) -> ACPToolCallStatus {
        switch state {
        // A waiting worker waits for an answer to its ask, as a call awaiting approval does.
        case .queued, .waiting: return .pending
        case .running: return .inProgress
        case .succeeded: return .completed
        case .failed, .timedOut, .cancelled, .interrupted: return .failed
        }
    }

    static func title(id: String, info: ACPWorkerInfo?) -> String {
        guard let info else { return "worker \(id)" }
        return clip("\(info.role): \(firstLine(info.task))", titleLength)
    }

    /// The icon a client shows: by what the role does.
    static func kind(of role: String?) -> ACPToolKind {
        switch role {
        case "coder"?: return .edit
        case "researcher"?: return .search
        case "planner"?, "coordinator"?, "analyst"?, "synthesizer"?: return .think
        default: return .other
        }
    }

    /// What a tool call inside a worker works on, for its progress line.
    private static func argument(of input: JSONValue?) -> String? {
        for key in ["path", "url", "pattern", "query", "command"] {
            if let value = input?[key]?.stringValue { return clip(firstLine(value), 80) }
        }
        return nil
    }

    static func firstLine(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? trimmed
    }

    static func clip(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}
