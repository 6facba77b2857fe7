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
        var walker = Walker(bytes: bytes, index: bytes.startIndex)
        return walker.value(at: "")
    }

    private struct Walker {
        let bytes: ArraySlice<UInt8>
        var index: Int

        var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
        }

        mutating func value(at field: String) -> Found? {
            skipWhitespace()
            switch peek {
            case UInt8(ascii: "{")?:
                index += 1
                while true {
                    skipWhitespace()
                    guard let byte = peek, byte != UInt8(ascii: "}") else { index += 1; return nil }
                    if byte == UInt8(ascii: ",") { index += 1; continue }
                    guard let key = string() else { return nil }
                    if let escape = Self.loneSurrogate(in: bytes[key]) {
                        return Found(field: field.isEmpty ? "params" : field, escape: escape, inKey: true)
                    }
                    skipWhitespace()
                    guard peek == UInt8(ascii: ":") else { return nil }
                    index += 1
                    let name = String(decoding: bytes[key], as: UTF8.self)
                    if let found = value(at: field.isEmpty ? name : "\(field).\(name)") { return found }
                }
            case UInt8(ascii: "[")?:
                index += 1
                var position = 0
                while true {
                    skipWhitespace()
                    guard let byte = peek, byte != UInt8(ascii: "]") else { index += 1; return nil }
                    if byte == UInt8(ascii: ",") { index += 1; continue }
                    if let found = value(at: "\(field.isEmpty ? "params" : field)[\(position)]") { return found }
                    position += 1
                }
            case UInt8(ascii: "\"")?:
                guard let text = string() else { return nil }
                return Self.loneSurrogate(in: bytes[text]).map { Found(field: field.isEmpty ? "params" : field, escape: $0, inKey: false) }
            case nil:
                return nil
            default:
                while let byte = peek, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(byte) { index += 1 }
                return nil
            }
        }

        /// At a quote: the string's content, escapes undecoded.
        mutating func string() -> Range<Int>? {
            index += 1
            let start = index
            while let byte = peek {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                index += 1
                if byte == UInt8(ascii: "\"") { return start..<(index - 1) }
            }
            return nil
        }

        /// The first escape in a string's content that is half of a surrogate pair alone.
        static func loneSurrogate(in text: ArraySlice<UInt8>) -> String? {
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
}
