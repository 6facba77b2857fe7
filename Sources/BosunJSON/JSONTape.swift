import Foundation

/// JSON text checked in one pass and then read in place: an object's members are found by
/// their keys' bytes, and only the values read become Strings or numbers. A provider's stream
/// chunk (a few fields of each, read once) is read through it instead of a `JSONValue` tree,
/// whose dictionaries, arrays and strings were most of what a chunk cost the HTTP thread.
///
/// It accepts what `JSONValueParser` accepts (the same tokens, the same checks: integers of
/// 64 bits, no whole number with a fraction, no duplicate key, valid UTF-8, paired surrogates,
/// the same depth), less what it would have to work harder for: a key that is escaped or not
/// ASCII, an object of more than `maximumMembers` members. For all of that `read` returns nil,
/// and the caller takes the thorough way.
public struct JSONTape {
    /// One value of the text, in the order the text has them. An object's node is followed by
    /// its members, each a key node and then the value's nodes; an array's by its elements.
    struct Node {
        enum Kind: UInt8 { case object, array, string, int, double, bool, null }
        var kind: Kind
        /// The value's text: for a string, between its quotes; else the whole value.
        var start: Int32
        var end: Int32
        /// The index of the node after this value's nodes.
        var next: Int32
        /// An int's value, a bool's (0 or 1), an escaped string's place in `decoded` (-1: the
        /// string's text is plain ASCII and is its value).
        var payload: Int64
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var nodes: [Node] = []
    /// The strings that had escapes or bytes beyond ASCII, decoded (and checked) as they were scanned.
    private(set) var decoded: [String] = []

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // One allocation for a typical chunk: a node is never shorter than two bytes of text
        // except a one-digit number, and most are much longer.
        nodes.reserveCapacity(max(16, bytes.count / 6))
    }

    /// Above this an object goes the thorough way: the duplicate check compares each key with
    /// every other.
    static let maximumMembers = 32

    /// Scans `bytes` and hands `body` the top-level value; nil without calling it when the
    /// text is not one `JSONTape` reads (see the type's comment). The value must not escape
    /// `body`: it points into `bytes`.
    public static func read<R>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Value) throws -> R) rethrows -> R? {
        guard bytes.count < Int(Int32.max) else { return nil }
        var scanner = Scanner(parser: JSONValueParser(bytes), tape: JSONTape(bytes))
        do {
            scanner.parser.skipWhitespace()
            try scanner.value()
            scanner.parser.skipWhitespace()
            guard scanner.parser.index == bytes.count else { return nil }
        } catch {
            return nil
        }
        return try body(Value(tape: scanner.tape, index: 0))
    }

    /// One value of a tape.
    public struct Value {
        let tape: JSONTape
        let index: Int

        private var node: Node { tape.nodes[index] }

        public var isNull: Bool { node.kind == .null }
        public var isObject: Bool { node.kind == .object }

        /// A member of an object by its key; nil when absent or when this is not an object.
        public func member(_ key: String) -> Value? {
            guard node.kind == .object else { return nil }
            var key = key
            return key.withUTF8 { wanted in
                var position = index + 1
                let end = Int(node.next)
                while position < end {
                    let name = tape.nodes[position]
                    if Int(name.end - name.start) == wanted.count,
                       UnsafeBufferPointer(rebasing: tape.bytes[Int(name.start)..<Int(name.end)]).elementsEqual(wanted) {
                        return Value(tape: tape, index: position + 1)
                    }
                    position = Int(tape.nodes[position + 1].next)
                }
                return nil
            }
        }

        /// An array's elements; nil when this is not an array.
        public var elements: [Value]? {
            guard node.kind == .array else { return nil }
            var items: [Value] = []
            var position = index + 1
            while position < Int(node.next) {
                items.append(Value(tape: tape, index: position))
                position = Int(tape.nodes[position].next)
            }
            return items
        }

        /// A string's value; nil when this is not a string.
        public var string: String? {
            let node = self.node
            guard node.kind == .string else { return nil }
            if node.payload >= 0 { return tape.decoded[Int(node.payload)] }
            return String(decoding: UnsafeBufferPointer(rebasing: tape.bytes[Int(node.start)..<Int(node.end)]), as: UTF8.self)
        }

        /// An integer's value (a number without fraction or exponent); nil for anything else.
        public var int: Int64? {
            node.kind == .int ? node.payload : nil
        }

        /// The value as `JSONValue.parse` reads its text.
        public var json: JSONValue {
            let node = self.node
            // A string node's range leaves out its quotes.
            let quote = node.kind == .string ? 1 : 0
            let text = UnsafeBufferPointer(rebasing: tape.bytes[(Int(node.start) - quote)..<(Int(node.end) + quote)])
            // The scan accepted it, so the direct parser does too; JSONDecoder only in theory.
            return JSONValueParser.parse(text) ?? (try? JSONValue.parse(Data(text))) ?? .null
        }
    }

    /// Builds a tape with the direct parser's token readers.
    private struct Scanner {
        var parser: JSONValueParser
        var tape: JSONTape

        struct GiveUp: Error {}

        private mutating func append(_ kind: Node.Kind, start: Int, payload: Int64 = 0) -> Int {
            tape.nodes.append(Node(kind: kind, start: Int32(start), end: Int32(parser.index), next: Int32(tape.nodes.count + 1),
                                   payload: payload))
            return tape.nodes.count - 1
        }

        mutating func value() throws {
            let start = parser.index
            switch try parser.peek() {
            case UInt8(ascii: "{"): try object()
            case UInt8(ascii: "["): try array()
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try parser.literal("true"); _ = append(.bool, start: start, payload: 1)
            case UInt8(ascii: "f"): try parser.literal("false"); _ = append(.bool, start: start)
            case UInt8(ascii: "n"): try parser.literal("null"); _ = append(.null, start: start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                if case .int(let number) = try parser.number() {
                    _ = append(.int, start: start, payload: number)
                } else {
                    _ = append(.double, start: start)
                }
            default: throw GiveUp()
            }
        }

        /// A string value: plain ASCII is kept as its range; anything else is decoded (and so
        /// checked) by the direct parser now, and kept decoded.
        private mutating func string() throws {
            let start = parser.index + 1
            var position = start
            let bytes = parser.bytes
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
                position += 1
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "\"") {
                parser.index = position
                tape.nodes.append(Node(kind: .string, start: Int32(start), end: Int32(position), next: Int32(tape.nodes.count + 1),
                                       payload: -1))
                parser.index += 1
                return
            }
            let text = try parser.string()
            tape.decoded.append(text)
            tape.nodes.append(Node(kind: .string, start: Int32(start), end: Int32(parser.index - 1),
                                   next: Int32(tape.nodes.count + 1), payload: Int64(tape.decoded.count - 1)))
        }

        /// A key: plain ASCII without escapes, or the scan gives up.
        private mutating func key() throws {
            guard try parser.peek() == UInt8(ascii: "\"") else { throw GiveUp() }
            let start = parser.index + 1
            var position = start
            let bytes = parser.bytes
            while true {
                guard position < bytes.count else { throw GiveUp() }
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") { break }
                guard byte >= 0x20, byte < 0x80, byte != UInt8(ascii: "\\") else { throw GiveUp() }
                position += 1
            }
            tape.nodes.append(Node(kind: .string, start: Int32(start), end: Int32(position), next: Int32(tape.nodes.count + 1),
                                   payload: -1))
            parser.index = position + 1
        }

        private mutating func enter() throws {
            parser.depth += 1
            guard parser.depth <= JSONValueParser.maximumDepth else { throw GiveUp() }
            parser.index += 1
            parser.skipWhitespace()
        }

        private mutating func close(_ at: Int) {
            parser.index += 1
            parser.depth -= 1
            tape.nodes[at].end = Int32(parser.index)
            tape.nodes[at].next = Int32(tape.nodes.count)
        }

        private mutating func object() throws {
            let at = append(.object, start: parser.index)
            try enter()
            if try parser.peek() == UInt8(ascii: "}") { return close(at) }
            var members = 0
            while true {
                parser.skipWhitespace()
                let keyAt = tape.nodes.count
                try key()
                members += 1
                guard members <= JSONTape.maximumMembers, !isRepeated(keyAt, in: at) else { throw GiveUp() }
                parser.skipWhitespace()
                guard try parser.peek() == UInt8(ascii: ":") else { throw GiveUp() }
                parser.index += 1
                parser.skipWhitespace()
                try value()
                parser.skipWhitespace()
                switch try parser.peek() {
                case UInt8(ascii: ","): parser.index += 1
                case UInt8(ascii: "}"): return close(at)
                default: throw GiveUp()
                }
            }
        }

        /// Whether the key at `keyAt` is one of the earlier members' of the object at `object`
        /// (the direct parser gives up on a repeat: which one wins is JSONDecoder's business).
        private func isRepeated(_ keyAt: Int, in object: Int) -> Bool {
            let key = tape.nodes[keyAt]
            let length = Int(key.end - key.start)
            var position = object + 1
            while position < keyAt {
                let other = tape.nodes[position]
                if Int(other.end - other.start) == length,
                   parser.bytes[Int(other.start)..<Int(other.end)].elementsEqual(parser.bytes[Int(key.start)..<Int(key.end)]) {
                    return true
                }
                position = Int(tape.nodes[position + 1].next)
            }
            return false
        }

        private mutating func array() throws {
            let at = append(.array, start: parser.index)
            try enter()
            if try parser.peek() == UInt8(ascii: "]") { return close(at) }
            while true {
                parser.skipWhitespace()
                try value()
                parser.skipWhitespace()
                switch try parser.peek() {
                case UInt8(ascii: ","): parser.index += 1
                case UInt8(ascii: "]"): return close(at)
                default: throw GiveUp()
                }
            }
        }
    }
}
