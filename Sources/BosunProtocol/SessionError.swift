import BosunJSON
import Foundation

/// A refusal of a session operation, with bosun/1's error code for it. Every front end maps
/// it once, at its edge: bosun/1 answers it as the JSON-RPC error with the same code, MCP as
/// a tool result with `isError`. Every message says what was wrong and what to do;
/// `data.field` names the parameter.
public struct SessionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(code): \(message)" }

    public static let invalidParamsCode = -32602
    public static let unknownWorkerCode = -32010
    public static let invalidStateCode = -32011
    public static let unknownNameCode = -32012
    public static let budgetExhaustedCode = -32013
    /// A request that was valid but could not be carried out (the configuration, the store).
    public static let requestFailedCode = -32803
    public static let internalErrorCode = -32603

    public static func invalidParams(_ field: String, _ message: String) -> SessionError {
        SessionError(code: invalidParamsCode, message: message, data: ["field": .string(field)])
    }

    public static func unknownWorker(_ id: String, field: String = "workerId") -> SessionError {
        SessionError(code: unknownWorkerCode,
                     message: "There is no worker \(id) in this session. Call status to list the session's workers.",
                     data: ["field": .string(field), "workerId": .string(id)])
    }

    public static func unknownOrchestration(_ id: String) -> SessionError {
        SessionError(code: unknownWorkerCode,
                     message: "There is no orchestration \(id) in this session. Call status to list the session's orchestrations.",
                     data: ["field": "orchestrationId", "orchestrationId": .string(id)])
    }

    public static func invalidState(_ id: String, state: WorkerState, action: String, hint: String) -> SessionError {
        SessionError(code: invalidStateCode, message: "Worker \(id) is \(state.rawValue), so it cannot \(action). \(hint)",
                     data: ["field": "workerId", "workerId": .string(id), "state": .string(state.rawValue)])
    }

    public static func unknownName(_ field: String, kind: String, name: String, known: [String], hint: String = "") -> SessionError {
        let list = known.sorted().joined(separator: ", ")
        let tail = hint.isEmpty ? "" : " \(hint)"
        return SessionError(code: unknownNameCode, message: "Unknown \(kind) \"\(name)\"; known: \(list).\(tail)",
                            data: ["field": .string(field), "known": .array(known.sorted().map { .string($0) })])
    }

    public static func budgetExhausted(_ limit: String, _ message: String) -> SessionError {
        SessionError(code: budgetExhaustedCode, message: message, data: ["field": .string(limit)])
    }
}
