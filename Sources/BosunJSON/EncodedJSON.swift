import Foundation

/// A value already written as compact JSON text, for answers worth keeping encoded (a
/// session caches its `status` this way). A JSON-RPC method whose result type is
/// `EncodedJSON` answers with these bytes as they are, without encoding them again.
public struct EncodedJSON: Sendable, Hashable, Encodable {
    /// One JSON value, compact, in UTF-8.
    public let data: Data

    /// Encodes `value` the way JSON-RPC answers are written (`JSONEncoder`, slashes unescaped).
    public init<T: Encodable>(encoding value: T) throws {
        data = try Self.encoder.encode(value)
    }

    /// Bytes already written as one compact JSON value (by `JSONValue`'s writer, or spliced
    /// from such values), taken as they are.
    public init(writtenJSON data: Data) {
        self.data = data
    }

    /// Inside a larger encoded value, the same JSON.
    public func encode(to encoder: Encoder) throws {
        try JSONValue.parse(data).encode(to: encoder)
    }

    /// How JSON-RPC results are encoded (the JSONRPC module writes its answers with this).
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }
}
