import BosunJSON
import Foundation

/// A provider wire type that can be read straight from the JSON text, skipping `JSONDecoder`'s
/// Codable machinery, which cost more than everything else in a streamed call (one decode
/// per SSE chunk). `init(fields:)` must read exactly what the `Decodable` conformance reads.
protocol WireObject: Decodable {
    /// Throws `WireFields.Mismatch` wherever `Decodable` would fail, or might read differently.
    init(fields: WireFields) throws
}

extension WireObject {
    /// Reads `data` in place (`JSONTape`: no `JSONValue` tree) when it is plain JSON whose
    /// fields have the expected types; anything else (malformed text, a mismatched field,
    /// what the tape leaves to the thorough way) goes to a `JSONDecoder`, whose result and
    /// error are the reference. (It is made only then: making one per call showed in profiles.)
    static func decode(_ data: Data) throws -> Self {
        let direct = data.withUnsafeBytes { raw in
            JSONTape.read(raw.bindMemory(to: UInt8.self)) { root in WireFields(root).flatMap { try? Self(fields: $0) } }
        }
        if let decoded = direct ?? nil { return decoded }
        return try JSONDecoder().decode(Self.self, from: data)
    }

    /// `decode(Data(text.utf8))` without copying the text into `Data` first (an SSE event's
    /// data is already a String); only the fallback copies it.
    static func decode(_ text: String) throws -> Self {
        var text = text
        let direct = text.withUTF8 { bytes in
            JSONTape.read(bytes) { root in WireFields(root).flatMap { try? Self(fields: $0) } }
        }
        if let decoded = direct ?? nil { return decoded }
        return try JSONDecoder().decode(Self.self, from: Data(text.utf8))
    }
}

/// One JSON object's fields, read the way `decodeIfPresent` reads them: absent or null is
/// nil, a value of another type is a `Mismatch`. Valid only inside the `JSONTape.read` that
/// made it.
struct WireFields {
    struct Mismatch: Error {}

    let object: JSONTape.Value

    init?(_ value: JSONTape.Value) {
        guard value.isObject else { return nil }
        object = value
    }

    private func present(_ key: String) -> JSONTape.Value? {
        guard let value = object.member(key), !value.isNull else { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard let text = value.string else { throw Mismatch() }
        return text
    }

    /// Only JSON integers: whether `Decodable` takes `2.0` as an `Int` is its business.
    func int(_ key: String) throws -> Int? {
        guard let value = present(key) else { return nil }
        guard let number = value.int, let exact = Int(exactly: number) else { throw Mismatch() }
        return exact
    }

    func json(_ key: String) -> JSONValue? {
        present(key)?.json
    }

    func nested<T: WireObject>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard let value = present(key) else { return nil }
        guard let fields = WireFields(value) else { throw Mismatch() }
        return try T(fields: fields)
    }

    func array<T: WireObject>(_ key: String, of type: T.Type = T.self) throws -> [T]? {
        guard let value = present(key) else { return nil }
        guard let items = value.elements else { throw Mismatch() }
        return try items.map { item in
            guard let fields = WireFields(item) else { throw Mismatch() }
            return try T(fields: fields)
        }
    }
}
