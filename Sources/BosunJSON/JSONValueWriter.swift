/// Writes a `JSONValue` as compact JSON text, byte for byte what Foundation's `JSONEncoder`
/// with `[.sortedKeys, .withoutEscapingSlashes]` writes for it, without the Codable machinery
/// (which costs tens of microseconds per small value on Linux, and every provider request
/// body, tool input and stored value goes through here).
///
/// The same rules as `JSONEncoder`: keys sorted by their UTF-8 bytes; `"`, `\`, `\b`, `\f`,
/// `\n`, `\r`, `\t` escaped by name and other control characters as `\u00xx`; a whole double
/// loses its `.0`; a NaN or infinite double, or containers nested 512 deep, make the value
/// unencodable (`write` returns false) — unless `lenient`, which writes such a double as
/// `null` in its place and has no depth limit.
///
/// Public so that a caller can write a larger document piece by piece (a provider request
/// body around its messages and tools) with the same text as encoding it as one value.
public struct JSONValueWriter {
    public private(set) var bytes: [UInt8] = []
    private let lenient: Bool
    /// `JSONEncoder`'s nesting limit: a container at this depth fails.
    public static let nestingLimit = 512
    private let maximumDepth: Int
    /// The deepest container level written so far (1 for a top-level object or array).
    public private(set) var deepestLevel = 0

    public init(capacity: Int = 256, lenient: Bool = false) {
        bytes.reserveCapacity(capacity)
        self.lenient = lenient
        maximumDepth = lenient ? Int.max : Self.nestingLimit
    }

    /// Appends the value; false if `JSONEncoder` would have refused it.
    public mutating func write(_ value: JSONValue) -> Bool {
        write(value, depth: 0)
    }

    /// Appends the value as it would be written `depth` containers deep inside a larger value
    /// (which matters only to the nesting limit); false if `JSONEncoder` would have refused
    /// that larger value.
    public mutating func write(_ value: JSONValue, depth: Int) -> Bool {
        switch value {
        case .null:
            append("null")
        case .bool(let flag):
            append(flag ? "true" : "false")
        case .int(let number):
            append(String(number))
        case .double(let number):
            guard number.isFinite else {
                guard lenient else { return false }
                append("null")
                return true
            }
            var text = number.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            append(text)
        case .string(let text):
            writeString(text)
        case .array(let items):
            guard depth + 1 < maximumDepth else { return false }
            deepestLevel = max(deepestLevel, depth + 1)
            bytes.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                guard write(item, depth: depth + 1) else { return false }
            }
            bytes.append(UInt8(ascii: "]"))
        case .object(let fields):
            guard depth + 1 < maximumDepth else { return false }
            deepestLevel = max(deepestLevel, depth + 1)
            bytes.append(UInt8(ascii: "{"))
            let sorted = fields.count < 2 ? Array(fields) : fields.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (position, field) in sorted.enumerated() {
                if position > 0 { bytes.append(UInt8(ascii: ",")) }
                writeString(field.key)
                bytes.append(UInt8(ascii: ":"))
                guard write(field.value, depth: depth + 1) else { return false }
            }
            bytes.append(UInt8(ascii: "}"))
        }
        return true
    }

    private mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends JSON text as it is: punctuation, or a value this writer wrote before.
    public mutating func writeRaw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func writeRaw(_ json: [UInt8]) {
        bytes.append(contentsOf: json)
    }

    /// Appends JSON text written before (a stored value spliced into an answer) as it is.
    public mutating func writeRaw(contentsOf json: String) {
        var json = json
        json.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// Appends an integer, as `.int` writes it.
    public mutating func writeInt(_ number: Int) {
        append(String(number))
    }

    /// Appends a JSON string literal, escaped as `JSONEncoder` escapes it.
    public mutating func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var mark = 0
            var offset = 0
            while offset < utf8.count {
                // Eight bytes at a time past runs that need no escape (most of a request body).
                while utf8.count - offset >= 8,
                      !Self.mayNeedEscape(UnsafeRawPointer(utf8.baseAddress! + offset).loadUnaligned(as: UInt64.self)) {
                    offset += 8
                }
                guard offset < utf8.count else { break }
                let byte = utf8[offset]
                offset += 1
                let escape: UInt8
                switch byte {
                case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
                case 0x08: escape = UInt8(ascii: "b")
                case 0x0C: escape = UInt8(ascii: "f")
                case 0x0A: escape = UInt8(ascii: "n")
                case 0x0D: escape = UInt8(ascii: "r")
                case 0x09: escape = UInt8(ascii: "t")
                case 0x00..<0x20: escape = 0
                default: continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark..<offset - 1]))
                bytes.append(UInt8(ascii: "\\"))
                if escape == 0 {
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              Self.hexDigit(byte >> 4), Self.hexDigit(byte & 0xF)])
                } else {
                    bytes.append(escape)
                }
                mark = offset
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[mark...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Whether any of the eight bytes of `word` is below 0x20, `"` or `\\` (false means
    /// none is; true may be a false alarm only in the sense that the bytes are then looked
    /// at one by one). The "has a byte less than n" and "has a zero byte" word tricks.
    private static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highs != 0
        return hasControl || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
