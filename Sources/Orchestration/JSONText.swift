import BosunJSON
import Foundation
import Providers

/// Compact JSON text for the values the session stores on every step (event data, message
/// content), through BosunJSON's direct writer (Foundation's `JSONEncoder` costs tens of
/// microseconds per small value on Linux). A NaN or infinite number is stored as `null` in
/// its place, so the rest of the record is kept.
enum JSONText {
    static func string(_ value: JSONValue) -> String {
        value.jsonString(nonFiniteAsNull: true)
    }

    /// A message's content blocks, as `ContentBlock`'s Codable form spells them.
    static func string(_ content: [ContentBlock]) -> String {
        string(.array(content.map(json)))
    }

    /// Any other value through `JSONEncoder` (nil if it cannot be encoded): for values
    /// stored once per worker, where writing them by hand would only duplicate `Codable`.
    static func encoded<T: Encodable>(_ value: T) -> String? {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func json(_ block: ContentBlock) -> JSONValue {
        switch block {
        case .text(let text):
            return ["type": "text", "text": .string(text)]
        case .toolUse(let id, let name, let input):
            return ["type": "tool_use", "id": .string(id), "name": .string(name), "input": input]
        case .toolResult(let toolUseId, let content, let isError):
            return ["type": "tool_result", "toolUseId": .string(toolUseId), "content": .string(content),
                    "isError": .bool(isError)]
        }
    }
}
