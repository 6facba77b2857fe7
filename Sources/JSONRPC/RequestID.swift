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

    /// RFC 8259's number: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    static func isJSONNumber(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        func at(_ range: ClosedRange<UInt8>) -> Bool { index < bytes.endIndex && range.contains(bytes[index]) }
        func at(_ byte: UInt8) -> Bool { index < bytes.endIndex && bytes[index] == byte }
        func digits() -> Bool {
            let start = index
            while at(UInt8(ascii: "0")...UInt8(ascii: "9")) { index += 1 }
            return index > start
        }
        if at(UInt8(ascii: "-")) { index += 1 }
        if at(UInt8(ascii: "0")) {
            index += 1
        } else if !at(UInt8(ascii: "1")...UInt8(ascii: "9")) || !digits() {
            return false
        }
        if at(UInt8(ascii: ".")) {
            index += 1
            guard digits() else { return false }
        }
        if at(UInt8(ascii: "e")) || at(UInt8(ascii: "E")) {
            index += 1
            if at(UInt8(ascii: "+")) || at(UInt8(ascii: "-")) { index += 1 }
            guard digits() else { return false }
        }
        return index == bytes.endIndex
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
