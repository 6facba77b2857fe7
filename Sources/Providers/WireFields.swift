import BosunJSON
import Foundation

/// A provider wire type that can be read straight from parsed JSON, skipping `JSONDecoder`'s
/// Codable machinery, which cost more than everything else in a streamed call (one decode
/// per SSE chunk). `init(fields:)` must read exactly what the `Decodable` conformance reads.
protocol WireObject: Decodable {
    /// Throws `WireFields.Mismatch` wherever `Decodable` would fail, or might read differently.
    init(fields: WireFields) throws
}

extension WireObject {
    /// Reads `data` directly when it is plain JSON whose fields have the expected types;
    /// anything else (malformed text, a mismatched field) goes to a `JSONDecoder`, whose
    /// result and error are the reference. (It is made only then: making one per call showed
    /// in profiles.)
    static func decode(_ data: Data) throws -> Self {
        if let value = try? JSONValue.parse(data), let fields = WireFields(value), let decoded = try? Self(fields: fields) {
            return decoded
        }
        return try JSONDecoder().decode(Self.self, from: data)
    }

    /// `decode(Data(text.utf8))` without copying the text into `Data` first (an SSE event's
    /// data is already a String); only the fallback copies it.
    static func decode(_ text: String) throws -> Self {
        if let value = try? JSONValue.parse(text), let fields = WireFields(value), let decoded = try? Self(fields: fields) {
            return decoded
        }
        return try JSONDecoder().decode(Self.self, from: Data(text.utf8))
    }
}

/// One JSON object's fields, read the way `decodeIfPresent` reads them: absent or null is
/// nil, a value of another type is a `Mismatch`.
struct WireFields {
    struct Mismatch: Error {}

    let object: [String: JSONValue]

    init?(_ value: JSONValue) {
        guard case .object(let object) = value else { return nil }
        self.object = object
    }

    private func present(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func string(_ key: String) throws -> String? {
        guard let value = present(key) else { return nil }
        guard case .string(let text) = value else { throw Mismatch() }
        return text
    }

    /// Only JSON integers: whether `Decodable` takes `2.0` as an `Int` is its business.
    func int(_ key: String) throws -> Int? {
        guard let value = present(key) else { return nil }
        guard case .int(let number) = value, let exact = Int(exactly: number) else { throw Mismatch() }
        return exact
    }

    func json(_ key: String) -> JSONValue? {
        present(key)
    }

    func nested<T: WireObject>(_ key: String, as type: T.Type = T.self) throws -> T? {
        guard let value = present(key) else { return nil }
        guard let fields = WireFields(value) else { throw Mismatch() }
        return try T(fields: fields)
    }

    func array<T: WireObject>(_ key: String, of type: T.Type = T.self) throws -> [T]? {
        guard let value = present(key) else { return nil }
        guard case .array(let items) = value else { throw Mismatch() }
        return try items.map { item in
            guard let fields = WireFields(item) else { throw Mismatch() }
            return try T(fields: fields)
        }
    }
}
