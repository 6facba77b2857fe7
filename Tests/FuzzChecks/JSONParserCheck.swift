import BosunJSON
import Foundation

/// `JSONValue.parse` answers exactly as `JSONDecoder` does (its fast path must agree with the
/// decoder it stands in for, or give up), and a value it wrote it reads back unchanged.
enum JSONParserCheck {
    static func check(_ bytes: [UInt8]) {
        let data = Data(bytes)
        let parsed = try? JSONValue.parse(data)
        let decoded = try? JSONDecoder().decode(JSONValue.self, from: data)
        precondition(parsed == decoded, "JSONValue.parse gave \(String(describing: parsed)), JSONDecoder \(String(describing: decoded))")
        guard let value = parsed else { return }
        let written = value.jsonBytes()
        // What JSONEncoder refuses (nesting 512 deep) is written as null on purpose.
        guard value == .null || written != Array("null".utf8) else { return }
        let again = try? JSONValue.parse(Data(written))
        precondition(again == value, "\(String(decoding: written, as: UTF8.self)) did not read back as the value it was written from")
    }
}
