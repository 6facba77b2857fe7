/// Reads the envelope of a JSON-RPC message in the same single pass that checks the whole
/// text is JSON: the fast path of `IncomingMessage.parse`, which then decodes nothing but the
/// params, from their own bytes.
///
/// It gives up (nil) on anything whose answer it would have to guess: a name or method
/// written with escapes, a byte outside ASCII, an escape that is half a surrogate pair, a
/// control character, deep nesting, a repeated envelope member, anything malformed, and any
/// message that is not a well-formed request, notification or response. `IncomingMessage`
/// then reads the message the thorough way (`JSONDecoder`), so every error, and every
/// message the thorough way reads, stays exactly as it was; what this accepts, that reads the
/// same (`ParamsCheck` holds the two to it).
struct MessageScanner {
    /// What the transport needs of a message; ranges index the scanned bytes.
    struct Envelope: Equatable {
        /// The raw text of `id` (a number or a string); nil when absent or `null`.
        var id: Range<Int>?
        /// `"id": null`: a request all the same, whose answer has a null id.
        var idIsNull = false
        var hasID: Bool { id != nil || idIsNull }
        /// The method's text, inside its quotes (no escapes).
        var method: Range<Int>?
        /// The raw text of `params`: an object, an array or `null`.
        var params: Range<Int>?
        var hasResultOrError = false
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// Deeper than this goes the thorough way, which says what is wrong with very deep text.
    static let maximumDepth = 64

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func envelope(of bytes: UnsafeBufferPointer<UInt8>) -> Envelope? {
        var scanner = MessageScanner(bytes)
        return scanner.message()
    }

    /// The ranges of the elements of a batch (a top-level array), checked as JSON in the same
    /// pass; nil when the scanner gives up on it.
    static func elements(of bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        var scanner = MessageScanner(bytes)
        var ranges: [Range<Int>] = []
        scanner.skipWhitespace()
        guard scanner.byte == UInt8(ascii: "[") else { return nil }
        scanner.index += 1
        scanner.skipWhitespace()
        if scanner.byte == UInt8(ascii: "]") {
            scanner.index += 1
        } else {
            while true {
                scanner.skipWhitespace()
                let start = scanner.index
                guard scanner.value(depth: 1) else { return nil }
                ranges.append(start..<scanner.index)
                scanner.skipWhitespace()
                guard let next = scanner.byte else { return nil }
                scanner.index += 1
                if next == UInt8(ascii: "]") { break }
                guard next == UInt8(ascii: ",") else { return nil }
            }
        }
        scanner.skipWhitespace()
        return scanner.index == bytes.count ? ranges : nil
    }

    /// Whether `bytes` are one JSON number and nothing else.
    static func isNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var scanner = MessageScanner(bytes)
        return scanner.number() && scanner.index == bytes.count
    }

    private static let names: [[UInt8]] = RawJSONText.envelopeNames.map { Array($0.utf8) }
    private static let jsonrpcValue = Array(#""2.0""#.utf8)

    private mutating func message() -> Envelope? {
        skipWhitespace()
        guard byte == UInt8(ascii: "{") else { return nil }
        index += 1
        var envelope = Envelope()
        var seen: UInt8 = 0
        var versionIsRight = false
        skipWhitespace()
        guard byte != UInt8(ascii: "}") else { return nil }
        while true {
            skipWhitespace()
            guard let key = plainString() else { return nil }
            skipWhitespace()
            guard byte == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace()
            let start = index
            guard value(depth: 1) else { return nil }
            let range = start..<index
            if let position = Self.names.firstIndex(where: { bytes[key].elementsEqual($0) }) {
                let bit: UInt8 = 1 << position
                guard seen & bit == 0 else { return nil }
                seen |= bit
                switch position {
                case 0: versionIsRight = bytes[range].elementsEqual(Self.jsonrpcValue)
                case 1:
                    switch bytes[start] {
                    case UInt8(ascii: "n"): envelope.idIsNull = true
                    case UInt8(ascii: "\""), UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): envelope.id = range
                    default: return nil
                    }
                case 2:
                    guard bytes[start] == UInt8(ascii: "\""), !bytes[range].contains(UInt8(ascii: "\\")) else { return nil }
                    envelope.method = (start + 1)..<(index - 1)
                case 3:
                    guard [UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: "n")].contains(bytes[start]) else { return nil }
                    envelope.params = range
                default: envelope.hasResultOrError = true
                }
            }
            skipWhitespace()
            guard let next = byte else { return nil }
            index += 1
            if next == UInt8(ascii: "}") { break }
            guard next == UInt8(ascii: ",") else { return nil }
        }
        skipWhitespace()
        guard index == bytes.count, versionIsRight else { return nil }
        guard envelope.method != nil || envelope.hasResultOrError && envelope.hasID else { return nil }
        return envelope
    }

    private var byte: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    /// One value of any kind, checked; false to give up.
    private mutating func value(depth: Int) -> Bool {
        guard let first = byte else { return false }
        switch first {
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "{"): return object(depth: depth + 1)
        case UInt8(ascii: "["): return array(depth: depth + 1)
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    private mutating func object(depth: Int) -> Bool {
        guard depth <= Self.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if byte == UInt8(ascii: "}") { index += 1; return true }
        while true {
            skipWhitespace()
            guard byte == UInt8(ascii: "\""), string() else { return false }
            skipWhitespace()
            guard byte == UInt8(ascii: ":") else { return false }
            index += 1
            skipWhitespace()
            guard value(depth: depth) else { return false }
            skipWhitespace()
            guard let next = byte else { return false }
            index += 1
            if next == UInt8(ascii: "}") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    private mutating func array(depth: Int) -> Bool {
        guard depth <= Self.maximumDepth else { return false }
        index += 1
        skipWhitespace()
        if byte == UInt8(ascii: "]") { index += 1; return true }
        while true {
            skipWhitespace()
            guard value(depth: depth) else { return false }
            skipWhitespace()
            guard let next = byte else { return false }
            index += 1
            if next == UInt8(ascii: "]") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// RFC 8259's number: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    private mutating func number() -> Bool {
        if byte == UInt8(ascii: "-") { index += 1 }
        if byte == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() else { return false }
        }
        if byte == UInt8(ascii: ".") {
            index += 1
            guard digits() else { return false }
        }
        if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            index += 1
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return false }
        }
        return true
    }

    private mutating func digits() -> Bool {
        let start = index
        while let digit = byte, digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }

    /// A string of printable ASCII with well-formed escapes, none of them half a surrogate pair.
    private mutating func string() -> Bool {
        index += 1
        while let next = byte {
            index += 1
            switch next {
            case UInt8(ascii: "\""): return true
            case UInt8(ascii: "\\"):
                guard let escaped = byte else { return false }
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                     UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard let scalar = hex4(), !(0xD800...0xDFFF).contains(scalar) else { return false }
                default: return false
                }
            case 0x20...0x7E: continue
            default: return false
            }
        }
        return false
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit = bytes[index]
            index += 1
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt32(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt32(digit - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = value << 4 | UInt32(digit - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
        return value
    }

    /// At a quote: the range of a name written without escapes, inside its quotes.
    private mutating func plainString() -> Range<Int>? {
        guard byte == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        guard string() else { return nil }
        let range = start..<(index - 1)
        return bytes[range].contains(UInt8(ascii: "\\")) ? nil : range
    }
}
