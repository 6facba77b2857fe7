import Foundation

/// What the answers written by hand (`status`, `await`, `spawn`, `orchestrate`, MCP's worker
/// results) are compared with, byte for byte: `WrittenJSONTests`, `WrittenAnswersTests`,
/// `MCPWorkerResultTests`.
public enum ReferenceJSON {
    /// The wire's encoder (`EncodedJSON.encoder`: slashes unescaped) with its keys sorted,
    /// the one order `JSONEncoder` writes the same way every time.
    public static let sortedEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A string with everything a writer may get wrong: every escape, a slash, control
    /// characters, Unicode beyond the BMP, a line separator, a combining accent.
    public static let awkward = "quote \" backslash \\ slash / nl \n cr \r tab \t bs \u{8} ff \u{C} nul \u{0} unit \u{1F} "
        + "del \u{7F} é 日本 🚀 \u{2028} e\u{301} end"

    /// JSON bytes as text, for a failing expectation's message.
    public static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
}
