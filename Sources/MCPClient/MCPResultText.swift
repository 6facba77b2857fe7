import BosunJSON
import Foundation

/// Turns a `tools/call` result into the text a model reads: text content as it is, images,
/// audio and binary resources as one line each that says what was there (a model API takes
/// no image in a tool result here), embedded text resources with their URI, and the
/// structured content as JSON when there is no text. Cut to `maxBytes` with a note.
enum MCPResultText {
    static func render(_ result: JSONValue, maxBytes: Int) -> (text: String, isError: Bool, bytes: Int) {
        var parts: [String] = []
        for block in result["content"]?.arrayValue ?? [] {
            parts.append(describe(block))
        }
        if parts.isEmpty || parts.allSatisfy(\.isEmpty), let structured = result["structuredContent"], !structured.isNull {
            parts = [structured.jsonString()]
        }
        let text = parts.joined(separator: "\n")
        return (bounded(text, maxBytes: maxBytes), result["isError"] == .bool(true), text.utf8.count)
    }

    static func describe(_ block: JSONValue) -> String {
        switch block["type"]?.stringValue {
        case "text":
            return block["text"]?.stringValue ?? ""
        case "image", "audio":
            let kind = block["type"]?.stringValue ?? "image"
            let size = base64Size(block["data"]?.stringValue)
            return "[\(kind): \(block["mimeType"]?.stringValue ?? "unknown type"), \(size) bytes, not shown]"
        case "resource_link":
            let name = block["name"]?.stringValue.map { " (\($0))" } ?? ""
            return "[resource link: \(block["uri"]?.stringValue ?? "?")\(name)]"
        case "resource":
            let resource = block["resource"] ?? .null
            let uri = resource["uri"]?.stringValue ?? "?"
            if let text = resource["text"]?.stringValue { return "[resource \(uri)]\n\(text)" }
            let size = base64Size(resource["blob"]?.stringValue)
            return "[resource \(uri): \(resource["mimeType"]?.stringValue ?? "binary"), \(size) bytes, not shown]"
        default:
            return "[content of type \(block["type"]?.stringValue ?? "unknown"), not shown]"
        }
    }

    static func base64Size(_ data: String?) -> Int {
        guard let data else { return 0 }
        return data.utf8.count / 4 * 3 - (data.hasSuffix("==") ? 2 : data.hasSuffix("=") ? 1 : 0)
    }

    /// At most `maxBytes` of UTF-8, cut on a character boundary, with a note saying how much was left out.
    static func bounded(_ text: String, maxBytes: Int) -> String {
        let total = text.utf8.count
        guard total > maxBytes else { return text }
        let bytes = Array(text.utf8)
        var end = maxBytes
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: bytes[..<end], as: UTF8.self) + "\n[result cut: showing \(end) of \(total) bytes]"
    }
}
