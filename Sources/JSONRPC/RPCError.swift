import BosunJSON
import Foundation

/// A JSON-RPC error object: what the client gets back when a request cannot be answered.
///
/// Handlers throw it to choose the code themselves; every other error a handler throws is
/// mapped once, at the edge, to `requestFailed`.
public struct RPCError: Error, Sendable, Hashable, Encodable, CustomStringConvertible {
    public var code: Int
    /// Says what was wrong and what to do about it.
    public var message: String
    /// Machine-readable detail; for parameter errors `{"field": "path.to.field"}`.
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(code): \(message)" }

    enum CodingKeys: String, CodingKey { case code, message, data }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(data, forKey: .data)
    }
}

// MARK: - Codes

extension RPCError {
    /// The message is not JSON, or its frame could not be read.
    public static let parseError = -32700
    /// JSON, but not a valid JSON-RPC request object (or sent after `shutdown`).
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// LSP: a request arrived before `initialize`.
    public static let serverNotInitialized = -32002
    /// LSP: the request was cancelled with `$/cancelRequest`.
    public static let requestCancelled = -32800
    /// LSP: the request was well formed but could not be carried out.
    public static let requestFailed = -32803
}

// MARK: - Common errors

extension RPCError {
    /// A parameter error naming the offending field, as `data.field` and in the message.
    public static func invalidParams(_ message: String, field: String) -> RPCError {
        RPCError(code: invalidParams, message: message, data: ["field": .string(field)])
    }

    /// The -32602 error for params a `Decodable` type rejected, naming the field.
    public static func invalidParams(from error: DecodingError) -> RPCError {
        ParamsDecoding.rpcError(for: error)
    }

    /// For a handler that reads its params itself and found them unreadable: the -32602
    /// error naming the field that holds half a surrogate pair, when that is what is wrong.
    public static func loneSurrogate(inParamsOf message: Data) -> RPCError? {
        ParamsDecoding.loneSurrogateError(inParamsOf: message)
    }

    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(
            code: methodNotFound,
            message: "unknown method '\(method)'; the methods this server offers are listed in initialize's capabilities.methods")
    }

    public static func cancelled(_ method: String) -> RPCError {
        RPCError(code: requestCancelled, message: "request '\(method)' was cancelled")
    }
}
