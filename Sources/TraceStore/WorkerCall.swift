import Foundation

/// One model call or tool call of a worker, read from its events: a model call lasts from
/// its `model_call` to its `model_reply` (or, in a trace written before replies were
/// recorded, to the worker's next event), a tool call from its `tool_call` to its
/// `tool_result`, and a wait for an answer from its `asked` to its `answered`. The timeline
/// draws them and the OpenTelemetry export makes them spans.
struct WorkerCall: Equatable {
    enum Kind: String { case model, tool, wait }

    /// A model call's own tokens and cost, from its `model_reply`.
    struct Usage: Equatable {
        var inputTokens: Int
        var outputTokens: Int
        var cacheReadTokens: Int
        var cacheWriteTokens: Int
        var costUSD: Double
    }

    var kind: Kind
    var start: Date
    var end: Date
    /// The seq of the event that opened the call: it orders calls begun at the same instant
    /// and names the call's span.
    var seq: Int
    /// Whether its ending event was seen (false: it was cut off, or still runs).
    var answered = false
    /// A model call's step (from 1 in its run), the provider's model id, the configured
    /// provider's name and its API (`anthropic`, `openai`).
    var step: Int?
    var model: String?
    var provider: String?
    var providerAPI: String?
    var usage: Usage?
    /// Provider retries inside the model call.
    var retries = 0
    /// A tool call's name, its id in the conversation, its input (JSON text), its result.
    var toolName: String?
    var toolCallId: String?
    var inputJSON: String?
    var resultText: String?
    var isError = false
    /// A wait's ask, and who answered it.
    var askId: String?
    var answeredBy: String?

    var label: String {
        switch kind {
        case .model: return "model call" + (step.map { " \($0)" } ?? "") + (model.map { " · \($0)" } ?? "")
        case .tool: return "tool \(toolName ?? "call")"
        case .wait: return "waiting for an answer" + (answeredBy.map { " · answered by \($0)" } ?? "")
        }
    }

    var duration: TimeInterval { max(end.timeIntervalSince(start), 0) }

    /// The worker's calls in the order they began. A call still open when the events end (a
    /// running worker, or one cut off) lasts until `end`.
    static func calls(in events: [EventRecord], end: Date) -> [WorkerCall] {
        var calls: [WorkerCall] = []
        var openModel: WorkerCall?
        var openTools: [String: WorkerCall] = [:]
        var toolOrder: [String] = []
        var openWaits: [String: WorkerCall] = [:]
        func closeWaits(at time: Date) {
            calls += openWaits.values.map { wait in
                var closed = wait
                closed.end = time
                return closed
            }
            openWaits = [:]
        }
        func closeModel(at time: Date, answered: Bool = false) {
            guard var call = openModel else { return }
            call.end = time
            call.answered = answered
            calls.append(call)
            openModel = nil
        }
        func closeTool(_ id: String, at time: Date, result: [String: Any]? = nil) {
            guard var call = openTools.removeValue(forKey: id) else { return }
            call.end = time
            if let result {
                call.answered = true
                call.resultText = result["text"] as? String
                call.isError = result["isError"] as? Bool ?? false
            }
            calls.append(call)
        }
        for event in events {
            let data = (try? JSONSerialization.jsonObject(with: Data(event.dataJSON.utf8))) as? [String: Any] ?? [:]
            switch event.kind {
            case "model_call":
                closeModel(at: event.at)
                var call = WorkerCall(kind: .model, start: event.at, end: event.at, seq: event.seq)
                call.step = (data["step"] as? NSNumber)?.intValue
                call.model = data["model"] as? String
                call.provider = data["provider"] as? String
                call.providerAPI = data["providerAPI"] as? String
                openModel = call
            case "model_reply":
                openModel?.usage = Usage(inputTokens: (data["inputTokens"] as? NSNumber)?.intValue ?? 0,
                                         outputTokens: (data["outputTokens"] as? NSNumber)?.intValue ?? 0,
                                         cacheReadTokens: (data["cacheReadTokens"] as? NSNumber)?.intValue ?? 0,
                                         cacheWriteTokens: (data["cacheWriteTokens"] as? NSNumber)?.intValue ?? 0,
                                         costUSD: (data["costUSD"] as? NSNumber)?.doubleValue ?? 0)
                closeModel(at: event.at, answered: true)
            case "retry" where openModel != nil:
                openModel?.retries += 1
            case "tool_call":
                closeModel(at: event.at)
                let id = data["id"] as? String ?? "#\(event.seq)"
                var call = WorkerCall(kind: .tool, start: event.at, end: event.at, seq: event.seq)
                call.toolName = data["name"] as? String
                call.toolCallId = data["id"] as? String
                call.inputJSON = data["input"].flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
                    .map { String(decoding: $0, as: UTF8.self) }
                openTools[id] = call
                toolOrder.append(id)
            case "tool_result":
                closeTool(data["id"] as? String ?? "", at: event.at, result: data)
            case "asked":
                let askId = (data["ask"] as? [String: Any])?["askId"] as? String ?? "#\(event.seq)"
                var wait = WorkerCall(kind: .wait, start: event.at, end: event.at, seq: event.seq)
                wait.askId = askId
                openWaits[askId] = openWaits[askId] ?? wait
            case "answered":
                if var wait = openWaits.removeValue(forKey: data["askId"] as? String ?? "") {
                    wait.end = event.at
                    wait.answered = true
                    wait.answeredBy = data["answeredBy"] as? String
                    calls.append(wait)
                }
            case _ where WorkerRecord.terminalStates.contains(event.kind):
                closeModel(at: event.at)
                for id in toolOrder { closeTool(id, at: event.at) }
                closeWaits(at: event.at)
            default:
                closeModel(at: event.at)
            }
        }
        closeModel(at: end)
        for id in toolOrder { closeTool(id, at: end) }
        closeWaits(at: end)
        return calls.sorted { ($0.start, $0.seq) < ($1.start, $1.seq) }
    }
}
