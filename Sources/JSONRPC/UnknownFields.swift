import BosunJSON
import Foundation
import Spelling

/// Decodes `P` and refuses the fields it does not have: a misspelt `wiat` or `limit` would
/// otherwise be dropped without a word, and the request would run without them.
///
/// The fields a type has are the ones its decoding asks for: `RecordingDecoder` notes, for
/// every JSON object the type reads with a keyed container, each key it asks about (a
/// synthesized `Decodable` asks about every field, present or not) beside the keys the
/// object holds. A key nobody asked about is unknown. An object the type enumerates
/// (`allKeys`: a dictionary, an open `JSONValue`) takes any key, and keys that start with
/// `_` are extensions (`_meta`) the protocol lets through.
struct KnownFieldsOnly<P: Decodable>: Decodable {
    var value: P

    init(from decoder: Decoder) throws {
        let ledger = FieldLedger()
        value = try P(from: RecordingDecoder(inner: decoder, ledger: ledger))
        if let error = ledger.unknownFieldsError() { throw error }
    }
}

/// What one decode learned about the objects it read, by the field path of each.
final class FieldLedger {
    private struct Object {
        var present: [String]
        var asked: Set<String> = []
        var open = false
    }

    private var objects: [String: Object] = [:]

    func opened(at path: [CodingKey], present: [String]) {
        let key = ParamsDecoding.fieldPath(path)
        if objects[key] == nil { objects[key] = Object(present: present) }
    }

    func asked(_ field: String, at path: [CodingKey]) {
        objects[ParamsDecoding.fieldPath(path), default: Object(present: [])].asked.insert(field)
    }

    func enumerated(at path: [CodingKey]) {
        objects[ParamsDecoding.fieldPath(path), default: Object(present: [])].open = true
    }

    /// -32602 naming every unknown field, each with the known one it is closest to, or nil.
    func unknownFieldsError() -> RPCError? {
        var named: [(field: String, hint: String)] = []
        for (path, object) in objects.sorted(by: { $0.key < $1.key }) where !object.open {
            let known = object.asked.sorted()
            for key in object.present.sorted() where !object.asked.contains(key) && !key.hasPrefix("_") {
                let field = Self.join(path, key)
                let hint = Spelling.closest(to: key, among: known).map { " (did you mean '\(Self.join(path, $0))'?)" }
                    ?? " (the fields\(path == "params" ? "" : " of '\(path)'") are \(known.joined(separator: ", ")))"
                named.append((field, hint))
            }
        }
        guard let first = named.first else { return nil }
        let list = named.map { "'\($0.field)'\($0.hint)" }.joined(separator: "; ")
        return .invalidParams("unknown field\(named.count == 1 ? "" : "s") \(list)", field: first.field)
    }

    private static func join(_ path: String, _ key: String) -> String { path == "params" ? key : "\(path).\(key)" }
}

/// Any key an object holds, to list them all.
private struct AnyFieldKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Values read whole, which hold no fields of a params type: decoded by the inner decoder.
private func isLeaf<T>(_ type: T.Type) -> Bool {
    type == JSONValue.self || type == String.self || type == Bool.self || type == Int.self || type == Double.self
        || type == Int64.self || type == [String].self
}

/// A `Decoder` that hands every request to `inner` and notes in the ledger what was asked.
private struct RecordingDecoder: Decoder {
    let inner: any Decoder
    let ledger: FieldLedger

    var codingPath: [CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { inner.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let container = try inner.container(keyedBy: type)
        ledger.opened(at: codingPath, present: try inner.container(keyedBy: AnyFieldKey.self).allKeys.map(\.stringValue))
        return KeyedDecodingContainer(RecordingKeyedContainer(inner: container, ledger: ledger))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        RecordingUnkeyedContainer(inner: try inner.unkeyedContainer(), ledger: ledger)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        RecordingSingleValueContainer(inner: try inner.singleValueContainer(), decoder: self)
    }
}

private struct RecordingKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let inner: KeyedDecodingContainer<Key>
    let ledger: FieldLedger

    var codingPath: [CodingKey] { inner.codingPath }

    var allKeys: [Key] {
        ledger.enumerated(at: codingPath)
        return inner.allKeys
    }

    func contains(_ key: Key) -> Bool {
        ledger.asked(key.stringValue, at: codingPath)
        return inner.contains(key)
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        ledger.asked(key.stringValue, at: codingPath)
        return try inner.decodeNil(forKey: key)
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        ledger.asked(key.stringValue, at: codingPath)
        if isLeaf(type) { return try inner.decode(type, forKey: key) }
        return try T(from: RecordingDecoder(inner: try superDecoder(present: key), ledger: ledger))
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try leaf(key) { try inner.decode(type, forKey: key) } }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try leaf(key) { try inner.decode(type, forKey: key) } }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey> {
        ledger.asked(key.stringValue, at: codingPath)
        return try RecordingDecoder(inner: try superDecoder(present: key), ledger: ledger).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        ledger.asked(key.stringValue, at: codingPath)
        return RecordingUnkeyedContainer(inner: try inner.nestedUnkeyedContainer(forKey: key), ledger: ledger)
    }

    func superDecoder() throws -> Decoder {
        RecordingDecoder(inner: try inner.superDecoder(), ledger: ledger)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        ledger.asked(key.stringValue, at: codingPath)
        return RecordingDecoder(inner: try inner.superDecoder(forKey: key), ledger: ledger)
    }

    private func leaf<T>(_ key: Key, _ decode: () throws -> T) rethrows -> T {
        ledger.asked(key.stringValue, at: codingPath)
        return try decode()
    }

    /// The decoder of a value that must be there: a missing key is `keyNotFound`, as the
    /// inner container's `decode` would say, not the null a super decoder reads in its place.
    private func superDecoder(present key: Key) throws -> Decoder {
        guard inner.contains(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for \(key.stringValue)"))
        }
        return try inner.superDecoder(forKey: key)
    }
}

private struct RecordingUnkeyedContainer: UnkeyedDecodingContainer {
    var inner: UnkeyedDecodingContainer
    let ledger: FieldLedger

    var codingPath: [CodingKey] { inner.codingPath }
    var count: Int? { inner.count }
    var isAtEnd: Bool { inner.isAtEnd }
    var currentIndex: Int { inner.currentIndex }

    mutating func decodeNil() throws -> Bool { try inner.decodeNil() }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if isLeaf(type) { return try inner.decode(type) }
        return try T(from: RecordingDecoder(inner: try inner.superDecoder(), ledger: ledger))
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try inner.decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try inner.decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try inner.decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try inner.decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try inner.decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try inner.decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try inner.decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try inner.decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try inner.decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try inner.decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try inner.decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try inner.decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try inner.decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try inner.decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try RecordingDecoder(inner: try inner.superDecoder(), ledger: ledger).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        RecordingUnkeyedContainer(inner: try inner.nestedUnkeyedContainer(), ledger: ledger)
    }

    mutating func superDecoder() throws -> Decoder {
        RecordingDecoder(inner: try inner.superDecoder(), ledger: ledger)
    }
}

private struct RecordingSingleValueContainer: SingleValueDecodingContainer {
    let inner: SingleValueDecodingContainer
    let decoder: RecordingDecoder

    var codingPath: [CodingKey] { inner.codingPath }

    func decodeNil() -> Bool { inner.decodeNil() }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        isLeaf(type) ? try inner.decode(type) : try T(from: decoder)
    }

    func decode(_ type: Bool.Type) throws -> Bool { try inner.decode(type) }
    func decode(_ type: String.Type) throws -> String { try inner.decode(type) }
    func decode(_ type: Double.Type) throws -> Double { try inner.decode(type) }
    func decode(_ type: Float.Type) throws -> Float { try inner.decode(type) }
    func decode(_ type: Int.Type) throws -> Int { try inner.decode(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try inner.decode(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try inner.decode(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try inner.decode(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try inner.decode(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try inner.decode(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try inner.decode(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try inner.decode(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try inner.decode(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try inner.decode(type) }
}
