import Foundation
import Testing

@testable import BosunJSON

/// `JSONTape` reads in place what the direct parser reads into a tree: whatever it accepts the
/// parser accepts with the same values, member by member, and whatever the parser gives up on
/// it gives up on too.
@Suite struct JSONTapeTests {
    /// The tape against the tree for one text; returns whether the tape accepted it.
    @discardableResult
    private func expectSameAsTree(_ bytes: [UInt8], _ note: String) -> Bool {
        let tree = bytes.withUnsafeBufferPointer { JSONValueParser.parse($0) }
        let accepted: Bool? = bytes.withUnsafeBufferPointer { buffer in
            JSONTape.read(buffer) { root in
                guard let tree else {
                    Issue.record("\(note): the tape read what the parser gave up on")
                    return true
                }
                expectSame(root, tree, note)
                return true
            }
        }
        return accepted ?? false
    }

    /// Every way `WireFields` reads a value, compared with the tree's value.
    private func expectSame(_ value: JSONTape.Value, _ tree: JSONValue, _ note: String) {
        #expect(value.json == tree, "\(note)")
        #expect(value.isNull == (tree == .null), "\(note)")
        switch tree {
        case .object(let fields):
            #expect(value.isObject && value.elements == nil && value.string == nil && value.int == nil, "\(note)")
            for (key, field) in fields {
                guard let member = value.member(key) else {
                    Issue.record("\(note): no member \(key)")
                    continue
                }
                expectSame(member, field, "\(note) .\(key)")
            }
            #expect(value.member("no such key") == nil, "\(note)")
        case .array(let items):
            #expect(!value.isObject && value.member("0") == nil && value.string == nil, "\(note)")
            let elements = value.elements ?? []
            #expect(elements.count == items.count, "\(note)")
            for (position, (element, item)) in zip(elements, items).enumerated() { expectSame(element, item, "\(note) [\(position)]") }
        case .string(let text):
            #expect(value.string == text && value.int == nil && value.elements == nil && !value.isObject, "\(note)")
        case .int(let number):
            #expect(value.int == number && value.string == nil, "\(note)")
        case .double, .bool, .null:
            #expect(value.int == nil && value.string == nil && value.elements == nil && !value.isObject, "\(note)")
        }
    }

    @Test func providerChunksAreReadInPlace() {
        let chunks = [
            #"{"id":"chatcmpl-0123456789abcdef","object":"chat.completion.chunk","created":1765000000,"model":"gpt-test","system_fingerprint":"fp_mock","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}"#,
            #"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"list_files","arguments":"{\"path\":\".\"}"}}]}}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3,"prompt_tokens_details":{"cached_tokens":4}}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hé 😀 \u00e9\ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t"}}"#,
            #" { "a" : [ 1 , -2 , 0.5 , -1.25e-3 , true , false , null , "" , { } , [ ] ] } "#,
            #"{"":1,"b":{"":{"":[]}}}"#, "[]", "{}", "0", "-12", #""text""#, "null", "true",
            #"{"big":9223372036854775807,"small":-9223372036854775808}"#,
        ]
        for chunk in chunks {
            #expect(expectSameAsTree(Array(chunk.utf8), chunk), "the tape should read \(chunk)")
        }
    }

    @Test func whatTheParserGivesUpOnTheTapeGivesUpOn() {
        let texts = [
            "", " ", "{", "}", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, "01", "1.", "-", "1e", "tru", "nul",
            "1.0", "2e3", "1e400", "9223372036854775808", "-9223372036854775809", #"{"a":1,"a":2}"#,
            #"{"a":{"b":1,"b":2}}"#, #"[{"x":1,"y":2,"x":3}]"#, #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00x""#,
            "\"a\u{01}b\"", "1 2", #"{"a":1} x"#, "[" + String(repeating: "[", count: 300) + String(repeating: "]", count: 301),
        ]
        for text in texts {
            #expect(!expectSameAsTree(Array(text.utf8), text), "\(text) should go the thorough way")
        }
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x28, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                               Array(#"{"k":""#.utf8) + [0xC3] + Array(#""}"#.utf8)] {
            #expect(!expectSameAsTree(bytes, "\(bytes)"), "\(bytes) should go the thorough way")
        }
    }

    /// Keys the tape does not compare as bytes (escaped, beyond ASCII) and objects too large
    /// for its duplicate check go the thorough way, though the parser reads them.
    @Test func keysItWouldHaveToDecodeGoTheThoroughWay() {
        for text in [#"{"\u0061":1}"#, #"{"a\"b":1}"#, #"{"é":1}"#, #"{"x":{"日本":1}}"#,
                     "{" + (0...JSONTape.maximumMembers).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"] {
            let tree = Array(text.utf8).withUnsafeBufferPointer { JSONValueParser.parse($0) }
            #expect(tree != nil, "\(text)")
            #expect(!expectSameAsTree(Array(text.utf8), text), "\(text)")
        }
        let largest = "{" + (1...JSONTape.maximumMembers).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        #expect(expectSameAsTree(Array(largest.utf8), largest))
    }

    /// Strings with every kind of special byte at the start, middle and end, at lengths around
    /// the direct parser's eight-byte scan, as values and as members of objects and arrays; and
    /// nesting up to the parser's limit. (Kept small: it runs beside timing-sensitive suites.)
    @Test func stringsAndNestingOfEveryShape() {
        let specials: [[UInt8]] = [
            Array("é".utf8), Array("😀".utf8), [0xFF], [0xC3], Array(#"\n"#.utf8), Array(#"\u00e9"#.utf8), Array(#"\""#.utf8),
            Array(#"\ud83d\ude00"#.utf8), [0x01], [0x7F], [0x20], [0x5C],
        ]
        for length in [0, 1, 7, 8, 9, 16] {
            for special in specials {
                for position in Set([0, length / 2, length]) {
                    var body = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    body.insert(contentsOf: special, at: position)
                    let string = [UInt8(ascii: "\"")] + body + [UInt8(ascii: "\"")]
                    expectSameAsTree(string, "\(length) \(position) \(special)")
                    expectSameAsTree(Array(#"{"k":"#.utf8) + string + Array(#","x":[1,"#.utf8) + string + Array("]}".utf8),
                                     "in an object: \(length) \(position) \(special)")
                }
            }
        }
        for depth in [1, 2, 100, 255, 256, 257] {
            let text = String(repeating: #"{"a":["#, count: depth / 2) + (depth.isMultiple(of: 2) ? "" : "[") + "1"
                + (depth.isMultiple(of: 2) ? "" : "]") + String(repeating: "]}", count: depth / 2)
            // The whole value only: comparing every level would cost more than the rest of the suite.
            let bytes = Array(text.utf8)
            let tree = bytes.withUnsafeBufferPointer { JSONValueParser.parse($0) }
            let read = bytes.withUnsafeBufferPointer { JSONTape.read($0) { $0.json } }
            #expect(read == tree, "depth \(depth)")
        }
    }
}
