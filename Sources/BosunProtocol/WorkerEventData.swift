import BosunJSON

/// The kind of a worker event (`EventKind` in protocol/bosun-1.schema.json): `kind` of
/// `worker/event` and of a `trace` entry. A terminal kind is the state the worker ended in.
public enum WorkerEventKind: String, Codable, Sendable, Hashable, CaseIterable {
    case queued
    case started
    /// A step: one model call.
    case modelCall = "model_call"
    /// A model call's answer arrived: that call's own tokens and cost (its latency is the
    /// time since its `model_call`).
    case modelReply = "model_reply"
    case text
    case toolCall = "tool_call"
    case toolResult = "tool_result"
    case retry
    case steered
    /// One round of `verify`'s checks on the worker.
    case verifyRound = "verify_round"
    /// `verify` moved the worker one model tier up.
    case escalated
    /// A `judge` check's evaluator call, with its usage.
    case judgeCall = "judge_call"
    /// A writing worker's layer gained files, or was applied or discarded: `{state, files}`.
    case changes
    /// The worker asked and waits (`waiting`): the ask, and who it went to.
    case asked
    /// An ask was answered (or ran out of time): the decision or text, who answered, how long it waited.
    case answered
    case succeeded
    case failed
    case cancelled
    case timedOut = "timed_out"
    case interrupted

    /// The state an event of this kind ends the worker in; nil for a kind that ends nothing.
    public var terminalState: WorkerState? {
        WorkerState(rawValue: rawValue).flatMap { $0.isTerminal ? $0 : nil }
    }
}

/// What a worker event says, one case per thing that happens (`data` of `worker/event`, as
/// docs/workers.md lists it). `json` is its wire form, written by hand because an event is
/// made on every step; `init(kind:json:)` reads it back from the trace store or the wire.
public enum WorkerEventData: Sendable, Hashable {
    /// Spawned: its place in the queue, the workers it runs after, and the caller's span
    /// (W3C `traceparent`) the worker's exported span links to.
    case queued(position: Int, priority: Int, after: [String], traceparent: String?)
    /// Back on the queue to resume its conversation (a steer, or a role's recovery).
    case requeued(position: Int, priority: Int)
    /// A parent that waits for its children gave its slot back (`awaiting` them).
    case parked(awaiting: [String])
    /// A run began; `resumed` when a parked parent got a slot again.
    case started(run: Int, resumed: Bool)
    /// A step: the provider's model id, the provider's name in the config and its API.
    case modelCall(step: Int, model: String, provider: String?, providerAPI: String?)
    /// That step's answer: the call's own tokens and cost.
    case modelReply(step: Int, inputTokens: Int, outputTokens: Int, cacheReadTokens: Int, cacheWriteTokens: Int, costUSD: Double)
    /// Text the model wrote alongside its tool calls.
    case text(String)
    case toolCall(id: String, name: String, input: JSONValue)
    /// `trace`: what the trace keeps beside the text (an MCP call's `mcp` detail); the model
    /// never saw it.
    case toolResult(id: String, name: String, isError: Bool, text: String, trace: [String: JSONValue])
    /// A provider retry inside one model call.
    case providerRetry(attempt: Int, delaySeconds: Double, error: String)
    /// A whole run again under the role's recovery settings, on the same model.
    case runRetry(reason: String, run: Int, attempt: Int, of: Int)
    /// A whole run again on the role's next fallback model.
    case fallback(reason: String, run: Int, model: String, previousModel: String)
    /// The worker read a steer message.
    case steered(message: String)
    case verifyRound(VerifyRound)
    case escalated(from: String, to: String, costUSDSoFar: Double)
    /// A `judge` check's model call, or its evaluator worker's usage (`evaluatorId`).
    case judgeCall(model: String, inputTokens: Int, outputTokens: Int, costUSD: Double, evaluatorId: String?)
    /// A writing worker's layer gained files, or was applied or discarded.
    case changes(Worker.Changes)
    /// The worker asked and now waits; `to` is who was asked. `again`: asked once more after
    /// the session was resumed, the ask still unanswered.
    case asked(Ask, to: AskRoute, again: Bool)
    /// An ask was answered and the worker goes on.
    case answered(AskAnswer)
    /// The worker ended: its state and what it left behind.
    case ended(Ending)

    /// A terminal event's data.
    public struct Ending: Sendable, Hashable {
        public var state: WorkerState
        public var steps: Int
        public var costUSD: Double
        public var result: Worker.Result?
        public var error: Worker.Failure?
        /// `result` or `error` as the session wrote it when the worker ended (what the
        /// terminal event's stored data holds as it is): a front end that sends the outcome
        /// on its own (ACP's `rawOutput`) writes this text rather than encoding it again.
        /// Not compared, as `Worker.writtenOutcome` is not.
        public var writtenOutcome: WrittenOutcome

        public init(state: WorkerState, steps: Int, costUSD: Double, result: Worker.Result?, error: Worker.Failure?,
                    writtenOutcome: WrittenOutcome = WrittenOutcome()) {
            self.state = state
            self.steps = steps
            self.costUSD = costUSD
            self.result = result
            self.error = error
            self.writtenOutcome = writtenOutcome
        }
    }

    public var kind: WorkerEventKind {
        switch self {
        case .queued, .requeued, .parked: return .queued
        case .started: return .started
        case .modelCall: return .modelCall
        case .modelReply: return .modelReply
        case .text: return .text
        case .toolCall: return .toolCall
        case .toolResult: return .toolResult
        case .providerRetry, .runRetry, .fallback: return .retry
        case .steered: return .steered
        case .verifyRound: return .verifyRound
        case .escalated: return .escalated
        case .judgeCall: return .judgeCall
        case .changes: return .changes
        case .asked: return .asked
        case .answered: return .answered
        case .ended(let ending): return WorkerEventKind(rawValue: ending.state.rawValue) ?? .failed
        }
    }

    public var json: JSONValue {
        switch self {
        case .queued(let position, let priority, let after, let traceparent):
            var data: [String: JSONValue] = ["position": .int(Int64(position)), "priority": .int(Int64(priority)),
                                             "after": .array(after.map(JSONValue.string))]
            data["traceparent"] = traceparent.map(JSONValue.string)
            return .object(data)
        case .requeued(let position, let priority):
            return ["position": .int(Int64(position)), "priority": .int(Int64(priority)), "resumed": true]
        case .parked(let awaiting):
            return ["awaiting": .array(awaiting.map(JSONValue.string))]
        case .started(let run, let resumed):
            return resumed ? ["run": .int(Int64(run)), "resumed": true] : ["run": .int(Int64(run))]
        case .modelCall(let step, let model, let provider, let providerAPI):
            var data: [String: JSONValue] = ["step": .int(Int64(step)), "model": .string(model)]
            data["provider"] = provider.map(JSONValue.string)
            data["providerAPI"] = providerAPI.map(JSONValue.string)
            return .object(data)
        case .modelReply(let step, let inputTokens, let outputTokens, let cacheReadTokens, let cacheWriteTokens, let costUSD):
            return ["step": .int(Int64(step)), "inputTokens": .int(Int64(inputTokens)), "outputTokens": .int(Int64(outputTokens)),
                    "cacheReadTokens": .int(Int64(cacheReadTokens)), "cacheWriteTokens": .int(Int64(cacheWriteTokens)),
                    "costUSD": .double(costUSD)]
        case .text(let text):
            return ["text": .string(text)]
        case .toolCall(let id, let name, let input):
            return ["id": .string(id), "name": .string(name), "input": input]
        case .toolResult(let id, let name, let isError, let text, let trace):
            let data: [String: JSONValue] = ["id": .string(id), "name": .string(name), "isError": .bool(isError), "text": .string(text)]
            return .object(trace.isEmpty ? data : data.merging(trace) { kept, _ in kept })
        case .providerRetry(let attempt, let delaySeconds, let error):
            return ["attempt": .int(Int64(attempt)), "delaySeconds": .double(delaySeconds), "error": .string(error)]
        case .runRetry(let reason, let run, let attempt, let of):
            return ["reason": .string(reason), "run": .int(Int64(run)), "attempt": .int(Int64(attempt)), "of": .int(Int64(of))]
        case .fallback(let reason, let run, let model, let previousModel):
            return ["reason": .string(reason), "run": .int(Int64(run)), "model": .string(model),
                    "previousModel": .string(previousModel)]
        case .steered(let message):
            return ["message": .string(message)]
        case .verifyRound(let round):
            guard case .object(var object) = (try? JSONValue(encoding: round)) ?? [:] else { return [:] }
            object["passed"] = .bool(round.passed)
            return .object(object)
        case .escalated(let from, let to, let costUSDSoFar):
            return ["from": .string(from), "to": .string(to), "costUSDSoFar": .double(costUSDSoFar)]
        case .judgeCall(let model, let inputTokens, let outputTokens, let costUSD, let evaluatorId):
            var data: [String: JSONValue] = ["model": .string(model), "inputTokens": .int(Int64(inputTokens)),
                                             "outputTokens": .int(Int64(outputTokens)), "costUSD": .double(costUSD)]
            data["evaluatorId"] = evaluatorId.map(JSONValue.string)
            return .object(data)
        case .changes(let changes):
            var data: [String: JSONValue] = ["state": .string(changes.state.rawValue), "files": .array(changes.files.map(JSONValue.string))]
            data["ignoredCount"] = changes.ignoredCount.map { .int(Int64($0)) }
            return .object(data)
        case .asked(let ask, let route, let again):
            var data: [String: JSONValue] = ["ask": ask.json, "to": .string(route.rawValue)]
            if again { data["again"] = true }
            return .object(data)
        case .answered(let answer):
            return answer.json
        case .ended(let ending):
            var data: [String: JSONValue] = ["state": .string(ending.state.rawValue), "steps": .int(Int64(ending.steps)),
                                             "costUSD": .double(ending.costUSD)]
            data["result"] = ending.result?.json
            data["error"] = ending.error?.json
            return .object(data)
        }
    }

    /// Reads an event's data back; throws `WorkerEventDataError` naming the field that does
    /// not fit the kind.
    public init(kind: WorkerEventKind, json: JSONValue) throws {
        let data = EventFields(kind: kind, json: json)
        switch kind {
        case .queued:
            if let awaiting = json["awaiting"] {
                self = .parked(awaiting: try data.strings(awaiting, "awaiting"))
            } else if json["resumed"]?.boolValue == true {
                self = .requeued(position: try data.int("position"), priority: try data.int("priority"))
            } else {
                self = .queued(position: try data.int("position"), priority: try data.int("priority"),
                               after: try json["after"].map { try data.strings($0, "after") } ?? [],
                               traceparent: json["traceparent"]?.stringValue)
            }
        case .started:
            self = .started(run: try data.int("run"), resumed: json["resumed"]?.boolValue ?? false)
        case .modelCall:
            self = .modelCall(step: try data.int("step"), model: try data.string("model"),
                              provider: json["provider"]?.stringValue, providerAPI: json["providerAPI"]?.stringValue)
        case .modelReply:
            self = .modelReply(step: try data.int("step"), inputTokens: try data.int("inputTokens"),
                               outputTokens: try data.int("outputTokens"), cacheReadTokens: try data.int("cacheReadTokens"),
                               // Absent from events stored before cache writes were counted.
                               cacheWriteTokens: try json["cacheWriteTokens"].map { _ in try data.int("cacheWriteTokens") } ?? 0,
                               costUSD: try data.double("costUSD"))
        case .text:
            self = .text(try data.string("text"))
        case .toolCall:
            self = .toolCall(id: try data.string("id"), name: try data.string("name"), input: json["input"] ?? .null)
        case .toolResult:
            let trace = (json.objectValue ?? [:]).filter { !["id", "name", "isError", "text"].contains($0.key) }
            self = .toolResult(id: try data.string("id"), name: try data.string("name"),
                               isError: json["isError"]?.boolValue ?? false, text: try data.string("text"), trace: trace)
        case .retry:
            if json["reason"] == nil {
                self = .providerRetry(attempt: try data.int("attempt"), delaySeconds: try data.double("delaySeconds"),
                                      error: try data.string("error"))
            } else if json["model"] != nil {
                self = .fallback(reason: try data.string("reason"), run: try data.int("run"), model: try data.string("model"),
                                 previousModel: try data.string("previousModel"))
            } else {
                self = .runRetry(reason: try data.string("reason"), run: try data.int("run"),
                                 attempt: try data.int("attempt"), of: try data.int("of"))
            }
        case .steered:
            self = .steered(message: try data.string("message"))
        case .verifyRound:
            do {
                self = .verifyRound(try json.decode(as: VerifyRound.self))
            } catch {
                throw WorkerEventDataError(kind: kind, field: "checks", problem: "is not a verify round: \(error)")
            }
        case .escalated:
            self = .escalated(from: try data.string("from"), to: try data.string("to"),
                              costUSDSoFar: try data.double("costUSDSoFar"))
        case .judgeCall:
            self = .judgeCall(model: try data.string("model"), inputTokens: try data.int("inputTokens"),
                              outputTokens: try data.int("outputTokens"), costUSD: try data.double("costUSD"),
                              evaluatorId: json["evaluatorId"]?.stringValue)
        case .changes:
            guard let state = json["state"]?.stringValue.flatMap(ChangesState.init(rawValue:)) else {
                throw WorkerEventDataError(kind: kind, field: "state", problem: "must be a changes state; got \(json["state"]?.typeName ?? "nothing")")
            }
            self = .changes(Worker.Changes(state: state, files: try data.strings(json["files"] ?? [], "files"),
                                           ignoredCount: json["ignoredCount"]?.intValue.map { Int($0) }))
        case .asked:
            guard let route = json["to"]?.stringValue.flatMap(AskRoute.init(rawValue:)) else {
                throw WorkerEventDataError(kind: kind, field: "to", problem: "must be parent, coordinator or client; got \(json["to"]?.typeName ?? "nothing")")
            }
            do {
                self = .asked(try (json["ask"] ?? .null).decode(as: Ask.self), to: route, again: json["again"]?.boolValue ?? false)
            } catch {
                throw WorkerEventDataError(kind: kind, field: "ask", problem: "is not an ask: \(error)")
            }
        case .answered:
            do {
                self = .answered(try json.decode(as: AskAnswer.self))
            } catch {
                throw WorkerEventDataError(kind: kind, field: "askId", problem: "is not an answer: \(error)")
            }
        case .succeeded, .failed, .cancelled, .timedOut, .interrupted:
            let state = kind.terminalState ?? .failed
            do {
                self = .ended(Ending(state: state, steps: try data.int("steps"), costUSD: try data.double("costUSD"),
                                     result: try json["result"]?.decode(as: Worker.Result.self),
                                     error: try json["error"]?.decode(as: Worker.Failure.self)))
            } catch let error as WorkerEventDataError {
                throw error
            } catch {
                throw WorkerEventDataError(kind: kind, field: json["result"] == nil ? "error" : "result", problem: "\(error)")
            }
        }
    }
}

/// Event data that does not fit its kind: which field, and what is wrong with it.
public struct WorkerEventDataError: Error, Sendable, Hashable, CustomStringConvertible {
    public var kind: WorkerEventKind
    public var field: String
    public var problem: String

    public var description: String { "a \(kind.rawValue) event's data.\(field) \(problem)" }
}

/// Required fields of one event's data, read with errors that name them.
private struct EventFields {
    let kind: WorkerEventKind
    let json: JSONValue

    func string(_ key: String) throws -> String {
        guard let value = json[key]?.stringValue else { throw missing(key, "a string") }
        return value
    }

    func int(_ key: String) throws -> Int {
        guard let value = json[key]?.intValue else { throw missing(key, "an integer") }
        return Int(value)
    }

    func double(_ key: String) throws -> Double {
        guard let value = json[key]?.doubleValue else { throw missing(key, "a number") }
        return value
    }

    func strings(_ value: JSONValue, _ key: String) throws -> [String] {
        guard let items = value.arrayValue?.compactMap(\.stringValue), items.count == value.arrayValue?.count else {
            throw missing(key, "an array of strings")
        }
        return items
    }

    private func missing(_ key: String, _ what: String) -> WorkerEventDataError {
        WorkerEventDataError(kind: kind, field: key, problem: "must be \(what); got \(json[key]?.typeName ?? "nothing")")
    }
}

extension Worker.Result {
    /// The wire form (`WorkerResult`), absent fields left out: the same JSON as `Codable`.
    public var json: JSONValue {
        var fields: [String: JSONValue] = ["text": .string(text)]
        fields["structured"] = structured
        fields["sources"] = sources.map { .array($0.map(JSONValue.string)) }
        fields["followUps"] = followUps.map { .array($0.map(JSONValue.string)) }
        return .object(fields)
    }
}

extension Worker.Failure {
    /// The wire form (`WorkerError`): the same JSON as `Codable`.
    public var json: JSONValue {
        ["code": .string(code.rawValue), "message": .string(message)]
    }
}
