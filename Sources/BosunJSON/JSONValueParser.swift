/// The fast path of `JSONValue.parse`: a direct parser for plain RFC 8259 JSON in UTF-8,
/// about ten times cheaper than decoding `JSONValue` through `JSONDecoder` (whose Codable
/// path tries each case in turn for every value). Provider stream chunks, tool inputs and
/// request bodies all come through here.
///
/// It gives up (returns nil) on anything whose meaning it would have to guess: malformed
/// text, numbers with a fraction or exponent that are whole, integers beyond 64 bits,
/// duplicate keys, invalid UTF-8, lone surrogates, deep nesting. `JSONValue.parse` then
/// asks `JSONDecoder`, so results and errors stay exactly what they always were.
struct JSONValueParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    /// Fields of the objects being read, innermost last (see `object()`).
    private var pendingFields: [(String, JSONValue)] = []

    private struct GiveUp: Error {}

    /// Deeper than this goes to `JSONDecoder` (which has its own limit).
    static let maximumDepth = 256

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        var parser = JSONValueParser(bytes)
        do {
            parser.skipWhitespace()
            let value = try parser.value()
            parser.skipWhitespace()
            // `JSONValue?.none`, not `nil`: JSONValue is nil-literal-expressible, so a bare nil here would be `.null`.
            guard parser.index == bytes.count else { return JSONValue?.none }
            return value
        } catch {
            return JSONValue?.none
        }
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func peek() throws -> UInt8 {
        guard index < bytes.count else { throw GiveUp() }
        return bytes[index]
    }

    private mutating func value() throws -> JSONValue {
        switch try peek() {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw GiveUp()
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { throw GiveUp() }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw GiveUp() }
        index += count
    }

    private mutating func object() throws -> JSONValue {
        depth += 1
        guard depth <= Self.maximumDepth else { throw GiveUp() }
        index += 1
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object([:])
        }
        // The fields wait on `pendingFields` until the object is closed, so its dictionary is
        // made once at its final size rather than grown (and rehashed) field by field.
        let base = pendingFields.count
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw GiveUp() }
            let key = try string()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw GiveUp() }
            index += 1
            skipWhitespace()
            let value = try value()
            pendingFields.append((key, value))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                depth -= 1
                var fields = [String: JSONValue](minimumCapacity: pendingFields.count - base)
                for position in base..<pendingFields.count {
                    let (key, value) = pendingFields[position]
                    // Which duplicate wins is JSONDecoder's business.
                    guard fields.updateValue(value, forKey: key) == nil else { throw GiveUp() }
                }
                pendingFields.removeSubrange(base...)
                return .object(fields)
            default: throw GiveUp()
            }
        }
    }

    private mutating func array() throws -> JSONValue {
        depth += 1
        guard depth <= Self.maximumDepth else { throw GiveUp() }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try value())
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                depth -= 1
                return .array(items)
            default: throw GiveUp()
            }
        }
    }

    /// Integers that fit 64 bits become `.int`; other numbers `.double` unless they are whole
    /// (`JSONDecoder` may read those as integers: its call).
    mutating func number() throws -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        let integerStart = index
        try digits()
        if bytes[integerStart] == UInt8(ascii: "0"), index - integerStart > 1 { throw GiveUp() }
        var isInteger = true
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            try digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            try digits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger {
            guard let value = Int64(text) else { throw GiveUp() }
            return .int(value)
        }
        guard let value = Double(text), value.isFinite, value.rounded() != value else { throw GiveUp() }
        return .double(value)
    }

    private mutating func digits() throws {
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        guard index > start else { throw GiveUp() }
    }

    mutating func string() throws -> String {
        index += 1
        let start = index
        // The common case: no escapes, so the bytes between the quotes are the string.
        var allBits: UInt8 = 0
        var allWordBits: UInt64 = 0
        while index < bytes.count {
            // Eight bytes at a time past plain text (no quote, backslash or control byte).
            while bytes.count - index >= 8 {
                let word = UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self)
                guard !Self.mayEndOrEscape(word) else { break }
                allWordBits |= word
                index += 8
            }
            guard index < bytes.count else { break }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let utf8 = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                // ASCII is valid UTF-8 as it stands: `String(decoding:)` takes it without the
                // generic validation that `String(validating:)` runs (which showed in profiles).
                let ascii = allBits < 0x80 && allWordBits & 0x8080_8080_8080_8080 == 0
                return ascii ? String(decoding: utf8, as: UTF8.self) : try Self.validated(utf8)
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw GiveUp() }
            allBits |= byte
            index += 1
        }
        var unescaped = Array(bytes[start..<index])
        while true {
            let byte = try peek()
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return try unescaped.withUnsafeBufferPointer { utf8 in
                    utf8.allSatisfy { $0 < 0x80 } ? String(decoding: utf8, as: UTF8.self) : try Self.validated(utf8)
                }
            case UInt8(ascii: "\\"):
                try escape(into: &unescaped)
            case 0..<0x20:
                throw GiveUp()
            default:
                unescaped.append(byte)
            }
        }
    }

    /// Whether any of the eight bytes of `word` may be `"`, `\\` or below 0x20 (false means
    /// none is): the "has a byte less than n" and "has a zero byte" word tricks.
    private static func mayEndOrEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highs != 0
        return hasControl || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    private static func validated(_ utf8: UnsafeBufferPointer<UInt8>) throws -> String {
        guard let text = String(validating: utf8, as: UTF8.self) else { throw GiveUp() }
        return text
    }

    private mutating func escape(into out: inout [UInt8]) throws {
        let byte = try peek()
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard try peek() == UInt8(ascii: "\\") else { throw GiveUp() }
                index += 1
                guard try peek() == UInt8(ascii: "u") else { throw GiveUp() }
                index += 1
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw GiveUp() }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw GiveUp()
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw GiveUp() }
            out.append(contentsOf: UTF8.encode(unicode)!)
        default:
            throw GiveUp()
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - index >= 4 else { throw GiveUp() }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw GiveUp()
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
