/// Finds a string in JSON text that is not valid Unicode: a `\ud800`–`\udbff` escape not
/// followed by a `\udc00`–`\udfff` one, or the second without the first.
///
/// `JSONDecoder` refuses such text with no more than "not valid JSON", which tells a client
/// neither what nor where; this names both, for the -32602 answer.
enum LoneSurrogates {
    struct Found: Equatable {
        /// Where, as `ParamsDecoding` names fields (`clientInfo.name`, `inputs[2]`; `params` at the top).
        var field: String
        /// The offending escape as written, e.g. `\ud800`.
        var escape: String
        /// The string is an object key, not a value.
        var inKey: Bool
    }

    /// The first lone surrogate in the JSON value that `bytes` holds, in document order.
    static func first(in bytes: ArraySlice<UInt8>) -> Found? {
        var scanner = JSONTextScanner(bytes: bytes, index: bytes.startIndex)
        return first(from: &scanner, at: "params")
    }

    /// Walks one value; `field` is where it sits.
    private static func first(from scanner: inout JSONTextScanner, at field: String) -> Found? {
        scanner.skipWhitespace()
        switch scanner.peek {
        case UInt8(ascii: "{")?:
            scanner.index += 1
            while true {
                scanner.skipWhitespace()
                guard let byte = scanner.peek, byte != UInt8(ascii: "}") else { scanner.index += 1; return nil }
                if byte == UInt8(ascii: ",") { scanner.index += 1; continue }
                guard let key = scanner.string() else { return nil }
                if let escape = loneSurrogate(in: scanner.bytes[key]) { return Found(field: field, escape: escape, inKey: true) }
                scanner.skipWhitespace()
                guard scanner.peek == UInt8(ascii: ":") else { return nil }
                scanner.index += 1
                let name = String(decoding: scanner.bytes[key], as: UTF8.self)
                if let found = first(from: &scanner, at: field == "params" ? name : "\(field).\(name)") { return found }
            }
        case UInt8(ascii: "[")?:
            scanner.index += 1
            var position = 0
            while true {
                scanner.skipWhitespace()
                guard let byte = scanner.peek, byte != UInt8(ascii: "]") else { scanner.index += 1; return nil }
                if byte == UInt8(ascii: ",") { scanner.index += 1; continue }
                if let found = first(from: &scanner, at: "\(field)[\(position)]") { return found }
                position += 1
            }
        case UInt8(ascii: "\"")?:
            guard let text = scanner.string() else { return nil }
            return loneSurrogate(in: scanner.bytes[text]).map { Found(field: field, escape: $0, inKey: false) }
        default:
            _ = scanner.skipValue()
            return nil
        }
    }

    /// The first escape in a string's content that is half of a surrogate pair alone.
    private static func loneSurrogate(in text: ArraySlice<UInt8>) -> String? {
        var index = text.startIndex
        var pendingHigh: String?
        while index < text.endIndex {
            guard text[index] == UInt8(ascii: "\\"), index + 1 < text.endIndex else {
                if let pendingHigh { return pendingHigh }
                index += 1
                continue
            }
            guard text[index + 1] == UInt8(ascii: "u"), index + 6 <= text.endIndex,
                  let unit = UInt32(String(decoding: text[(index + 2)..<(index + 6)], as: UTF8.self), radix: 16) else {
                if let pendingHigh { return pendingHigh }
                index += 2
                continue
            }
            let escape = String(decoding: text[index..<(index + 6)], as: UTF8.self)
            switch unit {
            case 0xD800..<0xDC00:
                if let pendingHigh { return pendingHigh }
                pendingHigh = escape
            case 0xDC00..<0xE000:
                if pendingHigh == nil { return escape }
                pendingHigh = nil
            default:
                if let pendingHigh { return pendingHigh }
            }
            index += 6
        }
        return pendingHigh
    }
}
