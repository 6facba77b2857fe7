import BosunJSON
import Foundation

/// Finds the exact bytes of parts of a JSON text that is already known to be valid, without
/// decoding anything.
///
/// `JSONDecoder` turns `1.0` into the number 1 and cannot say how a number was written, so
/// an id read through it could not be echoed exactly (`1.0` would come back as `1` and
/// collide with a real `1`). And opening an object through it decodes every key, so a key
/// with a lone surrogate (`"\ud800"`) made an object look like no object at all. Reading the
/// raw text answers both without those detours.
enum RawJSONText {
    /// The byte range of the value at `path` (member names from the top-level object down),
    /// or nil when there is none. With duplicate names the last one counts.
    static func member(_ path: [String], in bytes: [UInt8]) -> Range<Int>? {
        var scanner = JSONTextScanner(bytes: bytes[...], index: 0)
        scanner.skipWhitespace()
        return scanner.find(path[...])
    }

    /// The members of a message's top-level object that the transport reads, found in one
    /// pass: the ranges of `id` and `params`, and the first of those names the object holds
    /// more than once. JSON leaves a repeated name to each reader, and `JSONDecoder` (the envelope,
    /// the params) keeps the first where this scanner would see the last, so the transport
    /// refuses such a message rather than let the two disagree.
    static func envelope(in bytes: [UInt8]) -> EnvelopeMembers {
        var scanner = JSONTextScanner(bytes: bytes[...], index: 0)
        scanner.skipWhitespace()
        return scanner.envelope()
    }

    /// The names of `envelope(in:)`: every member a JSON-RPC message is read by.
    static let envelopeNames = ["jsonrpc", "id", "method", "params", "result", "error"]

    struct EnvelopeMembers: Equatable {
        var id: Range<Int>?
        var params: Range<Int>?
        /// The first of `envelopeNames` that appears more than once.
        var repeated: String?
    }

    /// How deep objects and arrays nest in `bytes` (1 for a flat object), strings skipped;
    /// the scan stops early once the depth passes `limit`.
    static func nestingDepth(of bytes: ArraySlice<UInt8>, limit: Int = .max) -> Int {
        var scanner = JSONTextScanner(bytes: bytes, index: bytes.startIndex)
        var depth = 0, deepest = 0
        while let byte = scanner.peek, deepest <= limit {
            switch byte {
            case UInt8(ascii: "\""):
                guard scanner.string() != nil else { return deepest }
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            default: break
            }
            scanner.index += 1
        }
        return deepest
    }

    /// The byte ranges of the elements of the top-level array; nil when the text is no array.
    static func elements(in bytes: [UInt8]) -> [Range<Int>]? {
        var scanner = JSONTextScanner(bytes: bytes[...], index: 0)
        scanner.skipWhitespace()
        guard scanner.peek == UInt8(ascii: "[") else { return nil }
        scanner.index += 1
        var ranges: [Range<Int>] = []
        while true {
            scanner.skipWhitespace()
            guard let byte = scanner.peek else { return nil }
            if byte == UInt8(ascii: "]") { return ranges }
            if byte == UInt8(ascii: ",") { scanner.index += 1; continue }
            let start = scanner.index
            guard scanner.skipValue() else { return nil }
            ranges.append(start..<scanner.index)
        }
    }
}

/// A cursor over JSON text already known to be valid: it skips and finds, never decodes.
/// Public for a front end that reads a request's members itself (MCP's `tools/call`).
public struct JSONTextScanner {
    public let bytes: ArraySlice<UInt8>
    public var index: Int

    public init(bytes: ArraySlice<UInt8>, index: Int) {
        self.bytes = bytes
        self.index = index
    }

    /// At an object (after whitespace): calls `member` with each key's raw text (escapes
    /// undecoded) and its value's range, until it returns false; false if the text is not an
    /// object or `member` stopped.
    public mutating func members(_ member: (ArraySlice<UInt8>, Range<Int>) -> Bool) -> Bool {
        skipWhitespace()
        guard peek == UInt8(ascii: "{") else { return false }
        index += 1
        while true {
            skipWhitespace()
            guard let byte = peek else { return false }
            if byte == UInt8(ascii: "}") { index += 1; return true }
            if byte == UInt8(ascii: ",") { index += 1; continue }
            guard let key = string() else { return false }
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            let start = index
            guard skipValue(), member(bytes[key], start..<index) else { return false }
        }
    }

    public var peek: UInt8? { index < bytes.endIndex ? bytes[index] : nil }

    public mutating func skipWhitespace() {
        while let byte = peek, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { index += 1 }
    }

    /// At an object: the range of the value at `path` inside it.
    mutating func find(_ path: ArraySlice<String>) -> Range<Int>? {
        guard let name = path.first, peek == UInt8(ascii: "{") else { return nil }
        index += 1
        var found: Range<Int>?
        while true {
            skipWhitespace()
            guard let byte = peek else { return found }
            if byte == UInt8(ascii: "}") { return found }
            if byte == UInt8(ascii: ",") { index += 1; continue }
            guard let key = string() else { return found }
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return found }
            index += 1
            skipWhitespace()
            let start = index
            if keyMatches(key, name) {
                if path.count == 1 {
                    guard skipValue() else { return found }
                    found = start..<index
                } else {
                    var inner = JSONTextScanner(bytes: bytes, index: start)
                    if let range = inner.find(path.dropFirst()) { found = range }
                    guard skipValue() else { return found }
                }
            } else {
                guard skipValue() else { return found }
            }
        }
    }

    /// At an object: `RawJSONText.envelope(in:)`.
    mutating func envelope() -> RawJSONText.EnvelopeMembers {
        var members = RawJSONText.EnvelopeMembers()
        guard peek == UInt8(ascii: "{") else { return members }
        index += 1
        var seen: UInt8 = 0
        while true {
            skipWhitespace()
            guard let byte = peek, byte != UInt8(ascii: "}") else { return members }
            if byte == UInt8(ascii: ",") { index += 1; continue }
            guard let key = string() else { return members }
            skipWhitespace()
            guard peek == UInt8(ascii: ":") else { return members }
            index += 1
            skipWhitespace()
            let start = index
            guard skipValue() else { return members }
            guard let position = position(of: key, among: RawJSONText.envelopeNames) else { continue }
            let bit: UInt8 = 1 << position
            if seen & bit != 0, members.repeated == nil { members.repeated = RawJSONText.envelopeNames[position] }
            seen |= bit
            switch RawJSONText.envelopeNames[position] {
            case "id": members.id = start..<index
            case "params": members.params = start..<index
            default: break
            }
        }
    }

    /// Skips one value; false at malformed text.
    public mutating func skipValue() -> Bool {
        guard let byte = peek else { return false }
        switch byte {
        case UInt8(ascii: "\""):
            return string() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while let byte = peek {
                switch byte {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { index += 1; return true }
                default: break
                }
                index += 1
            }
            return false
        default:
            // A number or a literal: up to the next delimiter.
            while let byte = peek, !Self.delimiters.contains(byte) { index += 1 }
            return true
        }
    }

    private static let delimiters: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")]

    /// At a quote: the range of the string's content, escapes undecoded.
    public mutating func string() -> Range<Int>? {
        guard peek == UInt8(ascii: "\"") else { return nil }
        index += 1
        let start = index
        while let byte = peek {
            if byte == UInt8(ascii: "\\") {
                index += 2
            } else if byte == UInt8(ascii: "\"") {
                index += 1
                return start..<(index - 1)
            } else {
                index += 1
            }
        }
        return nil
    }

    /// Which of `names` a key is, reading its escapes once if it has any.
    private func position(of key: Range<Int>, among names: [String]) -> Int? {
        let raw = bytes[key]
        guard raw.contains(UInt8(ascii: "\\")) else { return names.firstIndex { raw.elementsEqual($0.utf8) } }
        let quoted = [UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]
        guard let name = (try? JSONValue.parse(Data(quoted)))?.stringValue else { return nil }
        return names.firstIndex(of: name)
    }

    /// A key as written may spell its name with escapes (`"\u0069d"` is `id`).
    private func keyMatches(_ key: Range<Int>, _ name: String) -> Bool {
        let raw = bytes[key]
        guard raw.contains(UInt8(ascii: "\\")) else { return raw.elementsEqual(name.utf8) }
        let quoted = [UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")]
        return (try? JSONValue.parse(Data(quoted)))?.stringValue == name
    }
}
