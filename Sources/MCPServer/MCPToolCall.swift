import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Synchronization

/// `tools/call` for every entry of `BosunOperations`, the same way: check the arguments
/// against the tool's input schema, decode the operation's params, call it, and answer
/// with `structuredContent` and the same JSON as one text block. A failure of the tool
/// itself (bad arguments, an unknown worker, a spent budget, a worker that ended without
/// success) is a result with `isError: true` whose text says what to do; only an unknown
/// tool or a malformed request is a JSON-RPC error.
enum MCPToolCall {
    static func answer(_ params: MCPCallToolParams, state: MCPFrontEnd.State) async throws -> EncodedJSON {
        guard let operation = BosunOperations.named(params.name) else {
            let names = BosunOperations.all.map(\.info.name).joined(separator: ", ")
            throw RPCError.invalidParams("unknown tool '\(params.name)'; bosun's tools are \(names) (tools/list describes them)",
                                         field: "name")
        }
        return try await run(operation, params, state: state)
    }

    /// The answer a call has ready without waiting, for the reader thread to write at once: a
    /// tool whose operation may have one (`status` while the session is unchanged), called
    /// without arguments, on a session already open; nil sends the call to `answer`.
    static func answerAtOnce(_ params: MCPCallToolParams, state: MCPFrontEnd.State) -> EncodedJSON? {
        guard params.task == nil, params.requestState == nil, params.arguments?.objectValue?.isEmpty ?? (params.arguments == nil),
              let operation = BosunOperations.named(params.name), operation.answersAtOnce,
              let handle = state.slot.openedSession else { return nil }
        return ready(operation, handle.operations, state: state)
    }

    private static func ready<Operation: SessionOperation>(_ operation: Operation, _ session: any SessionOperations,
                                                          state: MCPFrontEnd.State) -> EncodedJSON? {
        guard let params = try? MCPEmptyParams.value(Operation.Params.self, for: operation.info.name),
              let encoded = operation.answerAtOnce(session, params) else { return nil }
        return state.lastResult.wrap(encoded.data)
    }

    private static func run<Operation: SessionOperation>(
        _ operation: Operation, _ params: MCPCallToolParams, state: MCPFrontEnd.State
    ) async throws -> EncodedJSON {
        let name = operation.info.name
        let asTask = params.task != nil
        if asTask && !(MCPVersion.hasTasks(state.version) && MCPToolCatalog.makesWorkers(operation)) {
            let taskTools = BosunOperations.all.filter { MCPToolCatalog.makesWorkers($0) }.map(\.info.name)
            throw RPCError(code: RPCError.methodNotFound, message: """
                '\(name)' does not run as a task (its execution.taskSupport is forbidden); call it without "task". \
                Tools that do: \(taskTools.joined(separator: ", ")).
                """, data: ["field": "task"])
        }
        // A refusal of the tool: an `isError` result, or for a task (whose answer can only be a
        // task) the JSON-RPC error with the same message.
        func refuse(_ message: String, code: Int = RPCError.invalidParams, data: JSONValue? = nil) throws -> EncodedJSON {
            if asTask { throw RPCError(code: code, message: message, data: data ?? ["field": "arguments"]) }
            return failure(message)
        }
        guard case .object(var arguments) = params.arguments ?? [:] else {
            return try refuse("The arguments of \(name) must be a JSON object; tools/list has its input schema.")
        }
        let checked = MCPToolCatalog.inputSchemas[name] ?? CheckedSchema([:])
        let schema = checked.schema
        if let violation = JSONSchemaValidator.validate(.object(arguments), against: checked).first {
            let field = fieldName(violation)
            return try refuse("""
                Invalid argument \(field) for \(name): \(violation.message). Fix \(field) and call \(name) again \
                (its input schema is in tools/list).
                """, data: ["field": .string(field)])
        }
        // A task is the wait: a worker spawned as a task returns at once, whatever `wait` said.
        if asTask, schema["properties"]?["wait"] != nil { arguments["wait"] = false }
        var decoded: Operation.Params
        do {
            decoded = arguments.isEmpty
                ? try MCPEmptyParams.value(Operation.Params.self, for: name)
                : try JSONValue.object(arguments).decode(as: Operation.Params.self)
        } catch let error as DecodingError {
            let rpc = RPCError.invalidParams(from: error)
            return try refuse("Invalid arguments for \(name): \(rpc.message). Fix them and call \(name) again.")
        }
        // A spawn that waits, where the client does not hear of asks by itself, waits here
        // instead: until the worker ends or asks the client something (`MCPWorkerWait`).
        let waitsHere = !asTask && !state.asks.asksInBand && (decoded as? SpawnParams)?.wait == true
        if waitsHere, var spawn = decoded as? SpawnParams {
            spawn.wait = false
            if let unwaited = spawn as? Operation.Params { decoded = unwaited }
        }
        let handle: any SessionHandle
        do {
            handle = try await state.slot.session()
        } catch let error as SessionError {
            return try refuse("bosun could not open its session: \(error.message)", code: error.code, data: error.data)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return try refuse("bosun could not open its session: \(error). Check `bosun config check` and the server's log.")
        }
        let result: Operation.Result
        do {
            result = try await operation.call(handle.operations, decoded,
                                              context: OperationContext(progressToken: params.progressToken,
                                                                        traceparent: params.traceparent))
        } catch let error as SessionError {
            return try refuse(error.message, code: error.code, data: error.data)
        }
        if waitsHere, let worker = result as? Worker {
            return try await MCPWorkerWait.untilEndedOrAsked(worker.id, elicitsForms: params.elicitsForms,
                                                             operations: handle.operations, state: state)
        }
        if let worker = result as? Worker {
            state.logger.debug("\(name): worker \(worker.id) is \(worker.state.rawValue)\(asTask ? ", as a task" : "")")
            if asTask {
                state.events.track(task: worker)
                return try EncodedJSON(encoding: ["task": MCPTaskStatus.task(of: worker)])
            }
            if worker.state.isTerminal && worker.state != .succeeded {
                return try workerResult(worker, meta: nil)
            }
        }
        if let encoded = result as? EncodedJSON { return state.lastResult.wrap(encoded.data) }
        return success(try EncodedJSON(answering: result).data, meta: nil)
    }

    // MARK: - Results

    /// `{"content":[{"type":"text","text":<json>}],"structuredContent":<json>,"isError":false}`,
    /// spliced from the result's bytes without parsing them again.
    static func success(_ json: Data, meta: JSONValue?) -> EncodedJSON {
        result(texts: [], json: json, isError: false, meta: meta)
    }

    /// A tool failure the caller can act on: the message only.
    static func failure(_ message: String) -> EncodedJSON {
        var out = Data(#"{"content":[{"type":"text","text":"#.utf8)
        out.append(contentsOf: JSONValue.string(message).jsonBytes())
        out.append(contentsOf: #"}],"isError":true}"#.utf8)
        return EncodedJSON(writtenJSON: out)
    }

    /// A worker as a tool result: a success if it succeeded, otherwise an error that says
    /// why it ended and what to do, with the worker as structured content all the same.
    /// The worker is written as `spawn` answers it (`Worker.writtenJSON`), its outcome as
    /// the session wrote it when the worker ended.
    static func workerResult(_ worker: Worker, meta: JSONValue?) throws -> EncodedJSON {
        let json = try worker.writtenJSON().data
        guard worker.state != .succeeded else { return success(json, meta: meta) }
        return result(texts: [MCPWorkerAdvice.explain(worker)], json: json, isError: true, meta: meta)
    }

    /// A worker waiting for answers to its asks, for a client that answers them with the
    /// `answer` tool: what each ask wants, how to answer it, and how to wait on.
    static func waitingResult(_ worker: Worker, asks: [Ask]) throws -> EncodedJSON {
        let json = try worker.writtenJSON().data
        return result(texts: [MCPWorkerAdvice.waiting(worker, asks: asks)], json: json, isError: false, meta: nil)
    }

    private static func result(texts: [String], json: Data, isError: Bool, meta: JSONValue?) -> EncodedJSON {
        var out = Data(#"{"content":["#.utf8)
        for text in texts {
            out.append(contentsOf: #"{"type":"text","text":"#.utf8)
            out.append(contentsOf: JSONValue.string(text).jsonBytes())
            out.append(contentsOf: "},".utf8)
        }
        out.append(contentsOf: #"{"type":"text","text":"#.utf8)
        out.append(contentsOf: JSONValue.string(String(decoding: json, as: UTF8.self)).jsonBytes())
        out.append(contentsOf: #"}],"structuredContent":"#.utf8)
        out.append(json)
        out.append(contentsOf: isError ? #","isError":true"#.utf8 : #","isError":false"#.utf8)
        if let meta {
            out.append(contentsOf: #","_meta":"#.utf8)
            out.append(contentsOf: meta.jsonBytes())
        }
        out.append(UInt8(ascii: "}"))
        return EncodedJSON(writtenJSON: out)
    }

    /// `/limits/maxSteps` → `limits.maxSteps`, `/inputs/2` → `inputs[2]`; a missing required
    /// property is named itself.
    static func fieldName(_ violation: SchemaViolation) -> String {
        var parts: [String] = violation.path.split(separator: "/", omittingEmptySubsequences: true).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        let missing = "missing required property \""
        if violation.message.hasPrefix(missing) {
            parts.append(String(violation.message.dropFirst(missing.count).prefix { $0 != "\"" }))
        }
        var field = ""
        for part in parts {
            if Int(part) != nil { field += "[\(part)]" } else { field += field.isEmpty ? part : ".\(part)" }
        }
        return field.isEmpty ? "arguments" : field
    }
}

/// Each operation's params decoded from `{}`, once: a call without arguments (`status`,
/// `roles`, polled in loops) then skips the decoder.
enum MCPEmptyParams {
    private static let cache = Mutex<[String: any Sendable]>([:])

    static func value<Params: Decodable & Sendable>(_ type: Params.Type, for name: String) throws -> Params {
        if let cached = cache.withLock({ $0[name] }) as? Params { return cached }
        let value = try JSONDecoder().decode(Params.self, from: Data("{}".utf8))
        cache.withLock { $0[name] = value }
        return value
    }
}

/// The last already-encoded result and its `tools/call` answer. `status` answers the same
/// cached bytes while the session is unchanged, so a client polling it gets the answer
/// without escaping the JSON into a text block again.
final class MCPLastResult: Sendable {
    private let last = Mutex<(json: Data, answer: EncodedJSON)?>(nil)

    func wrap(_ json: Data) -> EncodedJSON {
        if let last = last.withLock({ $0 }), last.json == json { return last.answer }
        let answer = MCPToolCall.success(json, meta: nil)
        last.withLock { $0 = (json, answer) }
        return answer
    }
}

/// What a calling model should do about a worker that ended without success, or that waits.
enum MCPWorkerAdvice {
    /// How to answer a waiting worker's asks with the `answer` tool, and then wait on.
    static func waiting(_ worker: Worker, asks: [Ask]) -> String {
        let answer = BosunOperations.answer.info.name
        let lines = asks.map { ask -> String in
            let example: String
            switch ask.kind {
            case .permission:
                let decisions = ask.offeredDecisions.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
                example = #"{"askId": "\#(ask.askId)", "decision": \#(decisions)}"#
            case .question:
                let choices = ask.options.map { " (one of: \($0.map(\.id).joined(separator: ", ")))" } ?? ""
                example = #"{"askId": "\#(ask.askId)", "text": "…"}"# + choices + #", or {"askId": "\#(ask.askId)", "decision": "deny"} to decline"#
            }
            return "- \(ask.askId) (\(ask.kind.rawValue)\(ask.tool.map { " for \($0)" } ?? "")): \(ask.question)\n  Answer: \(answer) \(example)"
        }
        return """
            Worker \(worker.id) is waiting for an answer and does nothing until it gets one (or \
            limits.maxWaitSeconds passes, which denies). Ask the user, then call the \(answer) tool:
            \(lines.joined(separator: "\n"))
            Then call \(BosunOperations.awaitWorkers.info.name) with {"workers": ["\(worker.id)"]} for its result.
            """
    }

    static func explain(_ worker: Worker) -> String {
        let reason = worker.error.map { "\($0.code): \($0.message)" } ?? "no reason was recorded"
        let what = "Worker \(worker.id) ended \(worker.state.rawValue) (\(reason))."
        switch worker.error?.code {
        case .maxSteps?:
            return what + " Narrow the task, or steer it (it resumes its own conversation) after spawning with a higher limits.maxSteps."
        case .maxTokens?:
            return what + " Spawn again with a higher limits.maxTokens, or a narrower task."
        case .maxCost?:
            return what + " Spawn again with a higher limits.maxCostUSD, or a cheaper role or model."
        case .timeout?:
            return what + " Spawn again with a higher limits.timeoutSeconds, or split the task."
        case .providerError?:
            return what + " The model provider refused or failed; check its configuration and key (`bosun config check`)."
        case .dependencyFailed?:
            return what + " A worker it ran after did not succeed; fix or re-run that one first."
        case .interrupted?:
            return what + " bosun stopped while it ran; steer it with a message to resume it."
        case .cancelled?:
            return what + " It was cancelled; spawn it again if the work is still needed."
        default:
            return what + " Read its trace (the trace tool with workerId) to see what went wrong, then steer it or spawn again."
        }
    }
}
