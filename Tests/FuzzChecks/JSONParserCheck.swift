import BosunJSON
import Foundation

/// `JSONValue.parse` answers exactly as `JSONDecoder` does (its fast path must agree with the
/// decoder it stands in for, or give up), a value it wrote it reads back unchanged, and
/// `JSONTape` reads nothing it does not, and each object member as it does.
enum JSONParserCheck {
    static func check(_ bytes: [UInt8]) {
        let data = Data(bytes)
        let parsed = try? JSONValue.parse(data)
        let decoded = try? JSONDecoder().decode(JSONValue.self, from: data)
        precondition(parsed == decoded, "JSONValue.parse gave \(String(describing: parsed)), JSONDecoder \(String(describing: decoded))")
        bytes.withUnsafeBufferPointer { buffer in
            _ = JSONTape.read(buffer) { root in
                precondition(root.json == parsed, "JSONTape read \(root.json), JSONValue.parse \(String(describing: parsed))")
                if case .object(let fields)? = parsed {
                    for (key, field) in fields {
                        precondition(root.member(key)?.json == field, "JSONTape's member \(key) differs")
                    }
                }
            }
        }
        guard let value = parsed else { return }
        let written = value.jsonBytes()
        // What JSONEncoder refuses (nesting 512 deep) is written as null on purpose.
        guard value == .null || written != Array("null".utf8) else { return }
        guard let again = try? JSONValue.parse(Data(written)), sameJSON(again, value) else {
            preconditionFailure("\(String(decoding: written, as: UTF8.self)) did not read back as the value it was written from")
        }
    }

    /// Equal as JSON: JSON has one number type, so a double that rounded to a whole number
    /// (`9223368548887751.4775807`) and reads back as an integer is the same value (the
    /// first input the fuzzer found made that distinction).
    static func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Double(x) == y
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameJSON)
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { sameJSON(value, $0) } ?? false }
        default: return a == b
        }
    }
}
