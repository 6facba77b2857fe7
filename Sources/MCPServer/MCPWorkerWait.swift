import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC

/// A `spawn` that waits for its worker, on a connection where the client does not hear of
/// asks by itself (no form elicitation in 2025-11-25, and every 2026-07-28 client, to which
/// a server sends no requests): it waits until the worker ends or asks the client
/// something. An ask ends the call with the waiting worker: in 2026-07-28 to a client that
/// takes forms, as `input_required` with the asks as `elicitation/create` input requests and
/// the worker as `requestState`, so the client's retry answers them and waits on; otherwise
/// as the worker with its asks and the `answer` tool named. Cancelling the call cancels the
/// worker, as cancelling a waiting `spawn` does.
enum MCPWorkerWait {
    static func untilEndedOrAsked(_ workerId: String, elicitsForms: Bool, operations: any SessionOperations,
                                  state: MCPFrontEnd.State) async throws -> EncodedJSON {
        while true {
            let asked: Bool
            do {
                asked = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        _ = try await operations.awaitWorkers(AwaitParams(workers: [workerId]))
                        return false
                    }
                    group.addTask {
                        await state.asks.firstAsk(of: workerId)
                        return true
                    }
                    defer { group.cancelAll() }
                    return try await group.next() ?? false
                }
            } catch is CancellationError {
                _ = try? await operations.cancel(CancelParams(
                    workerId: workerId, reason: "The spawn request that waited for this worker was cancelled."))
                throw CancellationError()
            }
            let worker = try await MCPTasks.worker(workerId, operations: operations)
            let asks = state.asks.pending(of: workerId)
            // Ended, or the session stops (the wait returned with the worker still on).
            if worker.state.isTerminal || !asked { return try MCPToolCall.workerResult(worker, meta: nil) }
            guard !asks.isEmpty else { continue }  // answered meanwhile: wait on
            if elicitsForms && state.version == MCPStateless.version { return inputRequired(asks, workerId: workerId) }
            return try MCPToolCall.waitingResult(worker, asks: asks)
        }
    }

    /// A retried `spawn` (`requestState` names its worker): answers what `inputResponses`
    /// holds for the worker's pending asks, then waits again.
    static func resume(_ requestState: String, responses: JSONValue?, operations: any SessionOperations,
                       state: MCPFrontEnd.State) async throws -> EncodedJSON {
        let workerId: String
        do {
            workerId = try await MCPTasks.worker(requestState, operations: operations).id
        } catch let error as RPCError where error.code == RPCError.invalidParams {
            throw RPCError.invalidParams("""
                requestState "\(requestState)" names no worker of this session; send the requestState of the \
                input_required answer as it was
                """, field: "requestState")
        }
        try await answer(responses, asks: state.asks.pending(of: workerId), operations: operations, field: "inputResponses")
        return try await untilEndedOrAsked(workerId, elicitsForms: true, operations: operations, state: state)
    }

    /// Answers each of `asks` that `responses` (an `InputResponses` map, by ask id) has an
    /// `ElicitResult` for; other keys are ignored, as the specification says. A result that
    /// answers nothing, or an answer the ask refuses, is -32602 naming its key.
    static func answer(_ responses: JSONValue?, asks: [Ask], operations: any SessionOperations, field: String) async throws {
        guard let responses else { return }
        guard let entries = responses.objectValue else {
            throw RPCError.invalidParams("\(field) must be an object of responses by the inputRequests' keys", field: field)
        }
        for ask in asks {
            guard let result = entries[ask.askId] else { continue }
            do {
                _ = try await operations.answer(try MCPAskForm.answer(ask, result: result))
            } catch let error as MCPAskFormError {
                throw RPCError.invalidParams("\(field).\(ask.askId): \(error)", field: "\(field).\(ask.askId)")
            } catch let error as SessionError where error.code == SessionError.invalidParamsCode {
                throw RPCError.invalidParams("\(field).\(ask.askId): \(error.message)", field: "\(field).\(ask.askId)")
            } catch let error as SessionError where error.code == SessionError.invalidStateCode {
                continue  // answered meanwhile (another client, its time ran out): nothing waits for this one
            }
        }
    }

    /// MCP 2026-07-28's `InputRequiredResult`: the asks as form elicitations, keyed by ask id.
    /// `resultType` comes first, as `MCPStateless.complete` looks for it there.
    static func inputRequired(_ asks: [Ask], workerId: String) -> EncodedJSON {
        var out = Data(#"{"resultType":"input_required","inputRequests":"#.utf8)
        out.append(contentsOf: inputRequests(asks).jsonBytes())
        out.append(contentsOf: #","requestState":"#.utf8)
        out.append(contentsOf: JSONValue.string(workerId).jsonBytes())
        out.append(UInt8(ascii: "}"))
        return EncodedJSON(writtenJSON: out)
    }

    static func inputRequests(_ asks: [Ask]) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: asks.map { ask in
            (ask.askId, ["method": "elicitation/create", "params": MCPAskForm.request(ask)] as JSONValue)
        }))
    }
}
