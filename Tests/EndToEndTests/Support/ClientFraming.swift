import Foundation

/// The client side of the two framings, written apart from the server's own code so the
/// tests check the server against an independent reading of the protocol.
public enum WireFraming: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `Content-Length: N\r\n\r\n` then N bytes (LSP).
    case lsp
    /// One JSON text per line (MCP / ACP stdio).
    case ndjson

    public var description: String { rawValue }

    public func frame(_ json: Data) -> Data {
        switch self {
        case .lsp: return Data("Content-Length: \(json.count)\r\n\r\n".utf8) + json
        case .ndjson: return json + Data("\n".utf8)
        }
    }
}

/// Splits the server's output into JSON texts; anything not exactly framed is an error,
/// because the server must never write anything but protocol messages to stdout.
struct ClientFrameSplitter {
    let framing: WireFraming
    private var buffer = Data()

    init(framing: WireFraming) { self.framing = framing }

    struct Garbage: Error, CustomStringConvertible {
        let bytes: Data
        var description: String { "unframed output on stdout: \(String(decoding: bytes.prefix(200), as: UTF8.self))" }
    }

    mutating func feed(_ chunk: Data) throws -> [Data] {
        buffer.append(chunk)
        var messages: [Data] = []
        while true {
            switch framing {
            case .ndjson:
                guard let newline = buffer.firstIndex(of: 0x0A) else { return messages }
                messages.append(Data(buffer[buffer.startIndex..<newline]))
                buffer = Data(buffer[(newline + 1)...])
            case .lsp:
                let separator = Data("\r\n\r\n".utf8)
                guard let end = buffer.range(of: separator) else {
                    if buffer.count > 64, !buffer.starts(with: Data("Content-Length: ".utf8)) { throw Garbage(bytes: buffer) }
                    return messages
                }
                let header = String(decoding: buffer[buffer.startIndex..<end.lowerBound], as: UTF8.self)
                guard header.hasPrefix("Content-Length: "), let length = Int(header.dropFirst("Content-Length: ".count)) else {
                    throw Garbage(bytes: buffer)
                }
                guard buffer.count - (end.upperBound - buffer.startIndex) >= length else { return messages }
                messages.append(Data(buffer[end.upperBound..<end.upperBound + length]))
                buffer = Data(buffer[(end.upperBound + length)...])
            }
        }
    }
}
