import BosunJSON
import Foundation
import Synchronization

/// The requests the server sent to the client (MCP's `roots/list`) that await an answer,
/// by the id the server gave them. Ids are strings (`"bosun-1"`, …) so they can never be
/// mistaken for the integers most clients use for their own requests.
final class OutgoingRequests: Sendable {
    private struct Table {
        var next = 0
        var waiting: [RequestID: CheckedContinuation<JSONValue, any Error>] = [:]
        /// Once the connection closed, new requests fail at once instead of waiting forever.
        var closed = false
    }

    private let table = Mutex(Table())

    /// A fresh id, and a wait for its answer registered before the request is written, so an
    /// answer that comes back at once still finds its waiter. `send` writes the request.
    func perform(method: String, send: (RequestID) -> Void) async throws -> JSONValue {
        let id: RequestID = table.withLock { table in
            table.next += 1
            return .string("bosun-\(table.next)")
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let accepted = table.withLock { table -> Bool in
                    guard !table.closed, !Task.isCancelled else { return false }
                    table.waiting[id] = continuation
                    return true
                }
                guard accepted else {
                    if Task.isCancelled { return continuation.resume(throwing: CancellationError()) }
                    return continuation.resume(throwing: RPCError(
                        code: RPCError.requestFailed, message: "the connection closed before '\(method)' could be sent"))
                }
                send(id)
            }
        } onCancel: {
            table.withLock { $0.waiting.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Hands a response from the client to its waiter: the `result`, or the `error` thrown as
    /// an `RPCError`. False when nobody waits for this id.
    func deliver(id: RequestID?, message: Data) -> Bool {
        guard let id, let continuation = table.withLock({ $0.waiting.removeValue(forKey: id) }) else { return false }
        let envelope: JSONValue
        do {
            envelope = try JSONValue.parse(message)
        } catch {
            continuation.resume(throwing: RPCError(code: RPCError.parseError, message: "the client's answer is not JSON: \(error)"))
            return true
        }
        if let error = envelope["error"] {
            continuation.resume(throwing: RPCError(
                code: Int(error["code"]?.intValue ?? Int64(RPCError.internalError)),
                message: error["message"]?.stringValue ?? "the client answered with an error", data: error["data"]))
        } else {
            continuation.resume(returning: envelope["result"] ?? .null)
        }
        return true
    }

    /// Fails every request still waiting, and every later one: the client will not answer.
    func closeAll() {
        let waiting = table.withLock { table in
            table.closed = true
            defer { table.waiting = [:] }
            return Array(table.waiting.values)
        }
        for continuation in waiting {
            continuation.resume(throwing: RPCError(code: RPCError.requestFailed, message: "the connection closed before the client answered"))
        }
    }
}
