import Foundation

/// How messages are delimited on the byte stream.
public enum Framing: String, Sendable, CaseIterable {
    /// The LSP base protocol: `Content-Length: N\r\n\r\n` then N bytes of JSON.
    case contentLength = "lsp"
    /// One JSON text per line (the MCP and ACP stdio framing).
    case newlineDelimited = "ndjson"

    /// The framing a client speaks, told by the first non-whitespace byte it sends.
    static func detect(firstByte: UInt8) -> Framing {
        firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[") ? .newlineDelimited : .contentLength
    }

    /// Wraps one JSON text in this framing.
    func frame(_ json: Data, into out: inout [UInt8]) {
        if self == .contentLength { out.append(contentsOf: "Content-Length: \(json.count)\r\n\r\n".utf8) }
        out.append(bytesOf: json)
        if self == .newlineDelimited { out.append(UInt8(ascii: "\n")) }
    }
}

/// What the decoder makes of the bytes it is fed.
public enum FrameEvent: Sendable, Equatable {
    /// One complete JSON text (not yet parsed).
    case message([UInt8])
    case error(FramingError)
}

/// A problem in the byte stream itself, before any JSON is read.
public enum FramingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A header line that is not `Name: value` (garbage); `sample` is its start, printable.
    case malformedHeader(sample: String)
    case missingContentLength
    case invalidContentLength(value: String)
    /// `size` is nil when a newline-delimited message passed the limit before its end arrived.
    case tooLarge(size: Int?, limit: Int)
    /// A header line longer than any real header; the stream cannot be trusted any more.
    case headerLineTooLong(limit: Int)

    /// Whether the connection can go on: every error but an endless header line can.
    public var isRecoverable: Bool {
        if case .headerLineTooLong = self { return false }
        return true
    }

    /// The error the client is sent, with the message id unknown (`null`).
    public var rpcError: RPCError {
        let expected = "expected \"Content-Length: N\" header lines, a blank line, then N bytes of JSON"
        switch self {
        case .malformedHeader(let sample):
            return RPCError(code: RPCError.parseError, message: "parse error: unreadable header line \"\(sample)\"; \(expected)")
        case .missingContentLength:
            return RPCError(code: RPCError.parseError, message: "parse error: a header block without Content-Length; \(expected)")
        case .invalidContentLength(let value):
            return RPCError(
                code: RPCError.parseError,
                message: "parse error: Content-Length \"\(value)\" is not a non-negative integer; \(expected)")
        case .tooLarge(let size, let limit):
            let what = size.map { "a message of \($0) bytes" } ?? "a message"
            return RPCError(
                code: RPCError.invalidRequest,
                message: "\(what) exceeds the limit of \(limit) bytes; send smaller messages or start bosun with a larger --max-message-bytes",
                data: ["limit": .int(Int64(limit))])
        case .headerLineTooLong(let limit):
            return RPCError(code: RPCError.parseError, message: "parse error: a header line longer than \(limit) bytes; closing the connection")
        }
    }

    public var description: String { rpcError.message }
}

extension [UInt8] {
    /// Appends `data`'s bytes in one copy (appended as a sequence, `Data` goes byte by byte).
    mutating func append(bytesOf data: Data) {
        data.withUnsafeBytes { append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }
}
