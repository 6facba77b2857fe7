import Foundation

/// An `Encoder` that writes nothing: it walks a value's strings and arrays as encoding
/// would and throws the `SessionError` of the first one past its `InputBounds` limit. It
/// costs a walk of the params, no JSON, so it can run before every operation.
struct SizeCheckingEncoder: Encoder {
    /// What the walk has seen so far: shared by every container of one check.
    final class Walk {
        let bounds: InputBounds
        var totalLength = 0

        init(bounds: InputBounds) { self.bounds = bounds }

        func string(_ value: String, at path: [any CodingKey]) throws {
            try measure(value, at: path, limit: bounds.maxLength(at: Self.pattern(path)))
        }

        /// A key is text the client sent too (the property names of an output schema).
        func key(_ key: String, in path: [any CodingKey]) throws {
            try measure(key, at: path, limit: InputBounds.defaultMaxLength)
        }

        private func measure(_ value: String, at path: [any CodingKey], limit: Int) throws {
            let bytes = value.utf8.count
            totalLength += bytes
            // UTF-8 bytes bound the characters from above, so counting is needed only past the limit.
            if bytes > limit {
                let length = value.unicodeScalars.count
                if length > limit { throw InputBounds.tooLong(Self.field(path), length: length, limit: limit) }
            }
            if totalLength > InputBounds.maxTotalLength {
                throw InputBounds.tooMuch(path.first.map { Self.field([$0]) } ?? "params")
            }
        }

        func item(_ index: Int, of path: [any CodingKey]) throws {
            let limit = bounds.maxItems(at: Self.pattern(path))
            if index >= limit { throw InputBounds.tooMany(Self.field(path), limit: limit) }
        }

        /// `checks[].command`: keys joined by dots, every array index as `[]`.
        static func pattern(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if key is Index {
                    text += "[]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }

        /// `checks[0].command`: the field as a client names it.
        static func field(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key as? Index {
                    text += "[\(index.intValue ?? 0)]"
                } else {
                    text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return text
        }
    }

    /// An array position in a coding path.
    struct Index: CodingKey {
        let intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    let walk: Walk
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Keyed<Key>(walk: walk, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { Unkeyed(walk: walk, codingPath: codingPath) }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(walk: walk, codingPath: codingPath) }

    /// Encodes `value` at `path`: a string is measured, anything else is walked.
    static func visit<T: Encodable>(_ value: T, at path: [any CodingKey], walk: Walk) throws {
        if let string = value as? String {
            try walk.string(string, at: path)
        } else {
            try value.encode(to: SizeCheckingEncoder(walk: walk, codingPath: path))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let walk: Walk
        let codingPath: [any CodingKey]

        private func at(_ key: Key) throws -> [any CodingKey] {
            try walk.key(key.stringValue, in: codingPath)
            return codingPath + [key]
        }

        mutating func encode(_ value: String, forKey key: Key) throws { try walk.string(value, at: at(key)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try SizeCheckingEncoder.visit(value, at: at(key), walk: walk)
        }
        mutating func encodeNil(forKey key: Key) throws {}
        mutating func encode(_ value: Bool, forKey key: Key) throws {}
        mutating func encode(_ value: Double, forKey key: Key) throws {}
        mutating func encode(_ value: Float, forKey key: Key) throws {}
        mutating func encode(_ value: Int, forKey key: Key) throws {}
        mutating func encode(_ value: Int8, forKey key: Key) throws {}
        mutating func encode(_ value: Int16, forKey key: Key) throws {}
        mutating func encode(_ value: Int32, forKey key: Key) throws {}
        mutating func encode(_ value: Int64, forKey key: Key) throws {}
        mutating func encode(_ value: UInt, forKey key: Key) throws {}
        mutating func encode(_ value: UInt8, forKey key: Key) throws {}
        mutating func encode(_ value: UInt16, forKey key: Key) throws {}
        mutating func encode(_ value: UInt32, forKey key: Key) throws {}
        mutating func encode(_ value: UInt64, forKey key: Key) throws {}

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                            forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            KeyedEncodingContainer(Keyed<NestedKey>(walk: walk, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            Unkeyed(walk: walk, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> any Encoder { SizeCheckingEncoder(walk: walk, codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            SizeCheckingEncoder(walk: walk, codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let walk: Walk
        let codingPath: [any CodingKey]
        private(set) var count = 0

        init(walk: Walk, codingPath: [any CodingKey]) {
            self.walk = walk
            self.codingPath = codingPath
        }

        /// The next item's path, once the array's limit allows one more.
        private mutating func next() throws -> [any CodingKey] {
            try walk.item(count, of: codingPath)
            defer { count += 1 }
            return codingPath + [Index(count)]
        }

        mutating func encode(_ value: String) throws { try walk.string(value, at: next()) }
        mutating func encode<T: Encodable>(_ value: T) throws { try SizeCheckingEncoder.visit(value, at: next(), walk: walk) }
        mutating func encodeNil() throws { _ = try next() }
        mutating func encode(_ value: Bool) throws { _ = try next() }
        mutating func encode(_ value: Double) throws { _ = try next() }
        mutating func encode(_ value: Float) throws { _ = try next() }
        mutating func encode(_ value: Int) throws { _ = try next() }
        mutating func encode(_ value: Int8) throws { _ = try next() }
        mutating func encode(_ value: Int16) throws { _ = try next() }
        mutating func encode(_ value: Int32) throws { _ = try next() }
        mutating func encode(_ value: Int64) throws { _ = try next() }
        mutating func encode(_ value: UInt) throws { _ = try next() }
        mutating func encode(_ value: UInt8) throws { _ = try next() }
        mutating func encode(_ value: UInt16) throws { _ = try next() }
        mutating func encode(_ value: UInt32) throws { _ = try next() }
        mutating func encode(_ value: UInt64) throws { _ = try next() }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let path = codingPath + [Index(count)]
            count += 1
            return KeyedEncodingContainer(Keyed<NestedKey>(walk: walk, codingPath: path))
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let path = codingPath + [Index(count)]
            count += 1
            return Unkeyed(walk: walk, codingPath: path)
        }
        mutating func superEncoder() -> any Encoder {
            let path = codingPath + [Index(count)]
            count += 1
            return SizeCheckingEncoder(walk: walk, codingPath: path)
        }
    }

    struct Single: SingleValueEncodingContainer {
        let walk: Walk
        let codingPath: [any CodingKey]

        mutating func encode(_ value: String) throws { try walk.string(value, at: codingPath) }
        mutating func encode<T: Encodable>(_ value: T) throws { try SizeCheckingEncoder.visit(value, at: codingPath, walk: walk) }
        mutating func encodeNil() throws {}
        mutating func encode(_ value: Bool) throws {}
        mutating func encode(_ value: Double) throws {}
        mutating func encode(_ value: Float) throws {}
        mutating func encode(_ value: Int) throws {}
        mutating func encode(_ value: Int8) throws {}
        mutating func encode(_ value: Int16) throws {}
        mutating func encode(_ value: Int32) throws {}
        mutating func encode(_ value: Int64) throws {}
        mutating func encode(_ value: UInt) throws {}
        mutating func encode(_ value: UInt8) throws {}
        mutating func encode(_ value: UInt16) throws {}
        mutating func encode(_ value: UInt32) throws {}
        mutating func encode(_ value: UInt64) throws {}
    }
}
