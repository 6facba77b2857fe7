import BosunJSON
import Foundation
import JSONRPC

/// The members of an MCP request's `params` (and of its `_meta`) that bosun uses, read from
/// the request's text in one pass: each wanted member's value is parsed on its own, and
/// everything else (a client's `clientInfo`, fields bosun does not know) is only skipped, so
/// a `tools/call` costs no tree of the whole request. The text was already checked to be
/// JSON by the connection; a member named twice counts the first time.
struct MCPRequestReader: Sendable {
    static let wanted: Set<String> = ["name", "arguments", "requestState", "inputResponses", "task", "taskId"]
    static let wantedMeta: Set<String> = [MCPStateless.versionKey, MCPStateless.capabilitiesKey, "progressToken", "traceparent"]

    /// The wanted members of `params`.
    var members: [String: JSONValue] = [:]
    /// The wanted members of `params._meta`.
    var meta: [String: JSONValue] = [:]
    /// `params` is there and is not an object.
    var paramsNotAnObject = false

    subscript(member: String) -> JSONValue? { members[member] }

    /// Nil when the text cannot be read (it is not JSON after all).
    static func read(_ message: Data) -> MCPRequestReader? {
        let bytes = Array(message)[...]
        var reader = MCPRequestReader()
        var scanner = JSONTextScanner(bytes: bytes, index: 0)
        let read = scanner.members { key, value in
            guard key.elementsEqual("params".utf8) else { return true }
            var params = JSONTextScanner(bytes: bytes, index: value.lowerBound)
            guard params.peek == UInt8(ascii: "{") else {
                reader.paramsNotAnObject = params.peek != UInt8(ascii: "n")  // null is no params
                return true
            }
            return params.members { key, value in
                if key.elementsEqual("_meta".utf8) {
                    var meta = JSONTextScanner(bytes: bytes, index: value.lowerBound)
                    guard meta.peek == UInt8(ascii: "{") else { return true }
                    return meta.members { key, value in keep(key, bytes[value], among: wantedMeta, into: &reader.meta) }
                }
                return keep(key, bytes[value], among: wanted, into: &reader.members)
            }
        }
        return read ? reader : nil
    }

    /// Parses `value` into `fields` when `key` is wanted there (and not yet read).
    private static func keep(_ key: ArraySlice<UInt8>, _ value: ArraySlice<UInt8>, among names: Set<String>,
                             into fields: inout [String: JSONValue]) -> Bool {
        guard !key.contains(UInt8(ascii: "\\")) else { return true }  // no member bosun reads needs an escape
        let name = String(decoding: key, as: UTF8.self)
        guard names.contains(name), fields[name] == nil else { return true }
        guard let parsed = parse(value) else { return false }
        fields[name] = parsed
        return true
    }

    /// One value; an empty object and a string without escapes need no parser.
    private static func parse(_ text: ArraySlice<UInt8>) -> JSONValue? {
        if text.elementsEqual("{}".utf8) { return [:] }
        if text.count >= 2, text.first == UInt8(ascii: "\""), text.last == UInt8(ascii: "\""),
           !text.contains(UInt8(ascii: "\\")), !text.contains(where: { $0 < 0x20 }) {
            return .string(String(decoding: text.dropFirst().dropLast(), as: UTF8.self))
        }
        return try? JSONValue.parse(Data(text))
    }
}
