import BosunJSON
import Foundation

/// Writes a provider request body straight to JSON text, without building it as a `JSONValue`
/// first: the request wires write their keys in sorted order by hand, so the bytes are the
/// ones `jsonData()` of the equivalent tree gives (pinned by `RequestBodyTests`). Building
/// and sorting that tree on every model call showed in profiles.
struct RequestBodyWriter {
    private var writer = JSONValueWriter(capacity: 4096)
    /// A value inside could not be written (a NaN, or nesting past `JSONEncoder`'s limit):
    /// then the whole body is `null`, as the tree's `jsonData()` gives.
    private var refused = false

    /// JSON text as it is: punctuation and keys (which must need no escaping).
    mutating func raw(_ text: StaticString) {
        writer.writeRaw(text)
    }

    mutating func string(_ text: String) {
        writer.writeString(text)
    }

    mutating func int(_ number: Int) {
        writer.writeInt(number)
    }

    /// `depth`: how many containers enclose the value in the body.
    mutating func value(_ value: JSONValue, depth: Int) {
        if !writer.write(value, depth: depth) { refused = true }
    }

    /// A value written once before, copied in.
    mutating func encoded(_ schema: EncodedSchema, depth: Int) {
        guard let json = schema.json, depth + schema.levels < JSONValueWriter.nestingLimit else {
            refused = true
            return
        }
        writer.writeRaw(json)
    }

    var data: Data { refused ? Data("null".utf8) : Data(writer.bytes) }
}
