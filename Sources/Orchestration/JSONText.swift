import BosunJSON
import Foundation
import Providers

/// Compact JSON text for the values the session stores on every step (event data, message
/// content). Foundation's `JSONEncoder` costs tens of microseconds per small value on Linux,
/// which adds up at several events per model call; this writes the same JSON directly.
enum JSONText {
    static func string(_ value: JSONValue) -> String {
        var out = ""
        out.reserveCapacity(128)
        write(value, to: &out)
        return out
    }

    /// A message's content blocks, as `ContentBlock`'s Codable form spells them.
    static func string(_ content: [ContentBlock]) -> String {
        string(.array(content.map(json)))
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

    private static func write(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number):
            if number.isFinite {
                out += number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
            } else {
                out += "null"
            }
        case .string(let text): writeString(text, to: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            var first = true
            for key in fields.keys.sorted() {
                if !first { out += "," }
                first = false
                writeString(key, to: &out)
                out += ":"
                write(fields[key] ?? .null, to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ text: String, to out: inout String) {
        out += "\""
        var pending = text.unicodeScalars.startIndex
        let scalars = text.unicodeScalars
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let escape: String?
            switch scalar {
            case "\"": escape = "\\\""
            case "\\": escape = "\\\\"
            case "\n": escape = "\\n"
            case "\r": escape = "\\r"
            case "\t": escape = "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                escape = "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: escape = nil
            }
            if let escape {
                out.unicodeScalars.append(contentsOf: scalars[pending..<index])
                out += escape
                pending = scalars.index(after: index)
            }
            index = scalars.index(after: index)
        }
        out.unicodeScalars.append(contentsOf: scalars[pending..<scalars.endIndex])
        out += "\""
    }
}
