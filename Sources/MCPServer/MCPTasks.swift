import BosunJSON
import BosunProtocol
import BosunServer
import Foundation
import JSONRPC

/// MCP tasks over bosun's workers: a task's id is its worker's id, and its state is the
/// worker's, read from the session (and so from the trace store when the session was
/// resumed after a crash). Every worker of the session is a task, whether or not it was
/// spawned as one. Unknown task ids, bad cursors and cancelling a task that ended are
/// -32602, as the specification says.
enum MCPTasks {
    /// Tasks per `tasks/list` page.
    static let pageSize = 100

    static func get(_ params: MCPTaskParams, state: MCPFrontEnd.State) async throws -> MCPTask {
        MCPTaskStatus.task(of: try await worker(params.taskId, state: state))
    }

    /// Blocks until the worker has ended, then answers what a `tools/call` that waited for it
    /// would have, tagged with the task. Cancelling this request stops the wait, not the task.
    static func result(_ params: MCPTaskParams, state: MCPFrontEnd.State) async throws -> EncodedJSON {
        let operations = try await session(state).operations
        _ = try await worker(params.taskId, state: state)
        _ = try await refusals { try await operations.awaitWorkers(AwaitParams(workers: [params.taskId])) }
        let ended = try await worker(params.taskId, state: state)
        return try MCPToolCall.workerResult(ended, meta: ["io.modelcontextprotocol/related-task": ["taskId": .string(params.taskId)]])
    }

    static func list(_ params: MCPListParams, state: MCPFrontEnd.State) async throws -> JSONValue {
        var offset = 0
        if let cursor = params.cursor {
            guard cursor.hasPrefix("after:"), let value = Int(cursor.dropFirst("after:".count)), value >= 0 else {
                throw RPCError.invalidParams("cursor \"\(cursor)\" is not one bosun gave; send the nextCursor of the last tasks/list as it was",
                                             field: "cursor")
            }
            offset = value
        }
        let operations = try await session(state).operations
        guard case .session(let status) = try await refusals({ try await operations.status(StatusParams()) }) else {
            throw RPCError(code: RPCError.internalError, message: "the session answered status with one worker")
        }
        let workers = status.workers
        let page = workers.dropFirst(offset).prefix(pageSize)
        var result: [String: JSONValue] = ["tasks": try JSONValue(encoding: page.map(MCPTaskStatus.task(of:)))]
        if offset + page.count < workers.count { result["nextCursor"] = .string("after:\(offset + page.count)") }
        return .object(result)
    }

    /// Cancels the worker and answers its task, now `cancelled`; a task that already ended
    /// cannot be cancelled.
    static func cancel(_ params: MCPTaskParams, state: MCPFrontEnd.State) async throws -> MCPTask {
        let current = try await worker(params.taskId, state: state)
        guard !current.state.isTerminal else { throw ended(current) }
        let operations = try await session(state).operations
        do {
            _ = try await operations.cancel(CancelParams(workerId: params.taskId, reason: "tasks/cancel"))
        } catch let error as SessionError where error.code == SessionError.invalidStateCode {
            throw ended(try await worker(params.taskId, state: state))
        } catch let error as SessionError {
            throw RPCError(error)
        }
        return MCPTaskStatus.task(of: try await worker(params.taskId, state: state))
    }

    // MARK: - The tasks extension of MCP 2026-07-28

    /// `tasks/get`'s answer: the task with what its status carries. A worker that ended
    /// (but cancelled) is `completed` with what the `tools/call` would have answered,
    /// `isError` when it did not succeed: the extension keeps `failed` for JSON-RPC errors.
    /// A worker waiting for the client's answers is `input_required` with its asks as form
    /// elicitations (`inputRequests`, keyed by ask id), when this request's client takes
    /// forms; to one that does not it stays `working`, its message naming the `answer` tool.
    static func detailed(_ taskId: String, elicitsForms: Bool, state: MCPFrontEnd.State) async throws -> EncodedJSON {
        let worker = try await worker(taskId, state: state)
        let task = try JSONValue(encoding: MCPTaskStatus.task(of: worker))
        if worker.state == .waiting {
            let asks = state.asks.pending(of: taskId)
            guard elicitsForms, !asks.isEmpty, case .object(var fields) = modern(task, resultType: "complete") else {
                return EncodedJSON(writtenJSON: modern(task, resultType: "complete", status: "working").jsonData())
            }
            fields["inputRequests"] = MCPWorkerWait.inputRequests(asks)
            return EncodedJSON(writtenJSON: JSONValue.object(fields).jsonData())
        }
        if worker.state.isTerminal && worker.state != .cancelled {
            return completed(modern(task, resultType: "complete", status: "completed"),
                             result: try MCPToolCall.workerResult(worker, meta: nil))
        }
        return EncodedJSON(writtenJSON: modern(task, resultType: "complete").jsonData())
    }

    /// The task with the tool result as its `result`, spliced as it was written (the worker's
    /// outcome as the session wrote it when the worker ended) rather than parsed and written
    /// again; the task's members around it in the writer's order, their keys sorted.
    static func completed(_ task: JSONValue, result: EncodedJSON) -> EncodedJSON {
        guard case .object(var fields) = task else { return EncodedJSON(writtenJSON: task.jsonData()) }
        fields["result"] = nil
        let keys = (Array(fields.keys) + ["result"]).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var writer = JSONValueWriter(capacity: result.data.count + 256, lenient: true)
        writer.writeRaw("{")
        for (position, key) in keys.enumerated() {
            if position > 0 { writer.writeRaw(",") }
            writer.writeString(key)
            writer.writeRaw(":")
            if let value = fields[key] {
                _ = writer.write(value, depth: 1)
            } else {
                writer.writeRaw([UInt8](result.data))
            }
        }
        writer.writeRaw("}")
        return EncodedJSON(writtenJSON: Data(writer.bytes))
    }

    /// `tasks/update`: answers the task's pending asks that `inputResponses` (by ask id) has
    /// a response for. Other keys are ignored, as the extension says; a response that answers
    /// nothing, or one the ask refuses, is -32602 naming its key.
    static func update(_ taskId: String, responses: JSONValue?, state: MCPFrontEnd.State) async throws {
        let operations = try await session(state).operations
        _ = try await worker(taskId, operations: operations)
        guard let responses else {
            throw RPCError.invalidParams("inputResponses is required: the responses to the task's inputRequests, by their keys",
                                         field: "inputResponses")
        }
        try await MCPWorkerWait.answer(responses, asks: state.asks.pending(of: taskId), operations: operations,
                                       field: "inputResponses")
    }

    /// `tasks/cancel` in the extension: acknowledged for any task of the session, since
    /// cancelling is cooperative; a task that already ended stays as it ended.
    static func cancelQuietly(_ taskId: String, state: MCPFrontEnd.State) async throws {
        let current = try await worker(taskId, state: state)
        guard !current.state.isTerminal else { return }
        let operations = try await session(state).operations
        do {
            _ = try await operations.cancel(CancelParams(workerId: taskId, reason: "tasks/cancel"))
        } catch let error as SessionError where error.code == SessionError.invalidStateCode {
            return
        } catch let error as SessionError {
            throw RPCError(error)
        }
    }

    /// A task of 2025-11-25's shape in the extension's: `ttlMs` and `pollIntervalMs`, with `resultType`.
    static func modern(_ task: JSONValue, resultType: String, status: String? = nil) -> JSONValue {
        guard case .object(var fields) = task else { return task }
        fields["ttlMs"] = fields.removeValue(forKey: "ttl") ?? .null
        fields["pollIntervalMs"] = fields.removeValue(forKey: "pollInterval")
        fields["resultType"] = .string(resultType)
        if let status { fields["status"] = .string(status) }
        return .object(fields)
    }

    // MARK: - Helpers

    private static func ended(_ worker: Worker) -> RPCError {
        RPCError.invalidParams("""
            task \(worker.id) already ended (\(MCPTaskStatus.of(worker.state))); only a working task can be cancelled
            """, field: "taskId")
    }

    private static func session(_ state: MCPFrontEnd.State) async throws -> any SessionHandle {
        do {
            return try await state.slot.session()
        } catch let error as SessionError {
            throw RPCError(code: RPCError.internalError, message: "bosun could not open its session: \(error.message)")
        }
    }

    /// The open session's operations, or the JSON-RPC error saying why it could not open.
    static func operations(_ state: MCPFrontEnd.State) async throws -> any SessionOperations {
        try await session(state).operations
    }

    /// The task's worker; an id the session does not know is -32602 on `taskId`.
    private static func worker(_ taskId: String, state: MCPFrontEnd.State) async throws -> Worker {
        try await worker(taskId, operations: try await session(state).operations)
    }

    static func worker(_ taskId: String, operations: any SessionOperations) async throws -> Worker {
        let answer: StatusResult
        do {
            answer = try await operations.status(StatusParams(workerId: taskId))
        } catch let error as SessionError where error.code == SessionError.unknownWorkerCode {
            throw RPCError.invalidParams("""
                there is no task \(taskId) in this session (a task of another session needs \
                `bosun serve --session` with that session's id)
                """, field: "taskId")
        } catch let error as SessionError {
            throw RPCError(error)
        }
        guard case .worker(let worker) = answer else {
            throw RPCError(code: RPCError.internalError, message: "the session answered status for \(taskId) with the whole session")
        }
        return worker
    }

    /// Runs a session call, answering its refusal as the JSON-RPC error it stands for.
    private static func refusals<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SessionError {
            throw RPCError(error)
        }
    }
}

/// The `workers` of a whole-session `status`, which is all `tasks/list` reads.
