import BosunJSON
import Foundation

/// A JSON-RPC request id, echoed back exactly as the client wrote it.
///
/// A number keeps its own text: `1`, `1.0` and `1e0` are three different ids, and an integer
/// of any size keeps every digit. A string is a different id from the number with the same
/// digits (`1` and `"1"`).
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    /// A JSON number, as its exact text.
    case number(String)
    case string(String)

    /// Reads the id from its exact JSON text; nil for anything but a number or a string.
    init?(jsonText bytes: ArraySlice<UInt8>) {
        guard let first = bytes.first else { return nil }
        switch first {
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            // JSONDecoder lets `007` through; echoed as written it would not be JSON.
            guard Self.isJSONNumber(bytes) else { return nil }
            self = .number(String(decoding: bytes, as: UTF8.self))
        case UInt8(ascii: "\""):
            guard case .string(let value)? = try? JSONValue.parse(Data(bytes)) else { return nil }
            self = .string(value)
        default:
            return nil
        }
    }

    /// RFC 8259's number, nothing before or after it.
    static func isJSONNumber(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withUnsafeBufferPointer(MessageScanner.isNumber)
    }

    /// The id as JSON text, for the response.
    var jsonBytes: [UInt8] {
        switch self {
        case .number(let text): return Array(text.utf8)
        case .string(let value): return JSONValue.string(value).jsonBytes()
        }
    }

    public var description: String {
        switch self {
        case .number(let text): return text
        case .string(let value): return "\"\(value)\""
        }
    }
}
