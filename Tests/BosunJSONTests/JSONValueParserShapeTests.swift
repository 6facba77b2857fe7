import Foundation
import Testing

@testable import BosunJSON

/// The parser builds each object's dictionary once its fields are all read, and takes ASCII
/// strings without `String(validating:)`; these pin both against `JSONDecoder` on the shapes
/// that touch them: object sizes, nesting, duplicates at every level, and bytes outside ASCII
/// (valid and not, with and without escapes).
@Suite struct JSONValueParserShapeTests {
    private func reference(_ bytes: [UInt8]) -> Result<JSONValue, Error> {
        Result { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }
    }

    private func expectSameAsReference(_ bytes: [UInt8], fastPath: Bool?, _ note: String) {
        let fast = bytes.withUnsafeBufferPointer { JSONValueParser.parse($0) }
        if let fastPath { #expect((fast != nil) == fastPath, "fast path for \(note)") }
        switch (Result { try JSONValue.parse(Data(bytes)) }, reference(bytes)) {
        case (.success(let a), .success(let b)): #expect(a == b && a.jsonString() == b.jsonString(), "\(note)")
        case (.failure, .failure): break
        case (let mine, let theirs): Issue.record("\(note): parse gave \(mine), JSONDecoder gave \(theirs)")
        }
    }

    @Test func objectsOfEverySize() {
        for count in 0...20 {
            let fields = (0..<count).map { #""k\#($0)":\#($0)"# } + (count > 3 ? [#""é\#(count)":"v""#] : [])
            let object = "{" + fields.joined(separator: ",") + "}"
            expectSameAsReference(Array(object.utf8), fastPath: true, object)
            let nested = #"{"outer":\#(object),"list":[\#(object),\#(object)],"z":{"inner":\#(object)}}"#
            expectSameAsReference(Array(nested.utf8), fastPath: true, nested)
        }
    }

    @Test func duplicateKeysAtAnyLevelLeaveItToJSONDecoder() {
        let cases: [(text: String, hasDuplicates: Bool)] = [
            (#"{"a":1,"a":2}"#, true), (#"{"a":{"b":1,"b":2}}"#, true), (#"{"a":{"x":1},"a":2}"#, true),
            (#"{"a":1,"b":{"c":1},"a":3}"#, true), (#"[{"a":1},{"a":1,"b":2,"a":3}]"#, true), (#"{"é":1,"é":2}"#, true),
            (#"{"a":{"b":{"c":1}},"d":{"b":1,"c":2}}"#, false), (#"{"a":{"a":{"a":1}}}"#, false),
        ]
        for (text, hasDuplicates) in cases {
            expectSameAsReference(Array(text.utf8), fastPath: !hasDuplicates, text)
        }
    }

    /// Strings are scanned eight bytes at a time: every length around the word size, with
    /// each kind of byte that ends the fast scan at every position.
    @Test func stringsAtEveryPositionOfAWord() {
        let specials: [[UInt8]] = [
            Array("é".utf8), Array("😀".utf8), [0xFF], [0xC3], Array(#"\n"#.utf8), Array(#"\u00e9"#.utf8), Array(#"\""#.utf8),
            [0x01], [0x1F], [0x7F], [0x20], [0x21], [0x5B], [0x5D],
        ]
        for length in 0...20 {
            for special in specials {
                for position in 0...length {
                    var body = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    body.insert(contentsOf: special, at: position)
                    let string = [UInt8(ascii: "\"")] + body + [UInt8(ascii: "\"")]
                    expectSameAsReference(string, fastPath: nil, "\(length) \(position) \(special)")
                    expectSameAsReference(Array(#"{"k":"#.utf8) + string + Array(#","x":1}"#.utf8), fastPath: nil,
                                          "in an object: \(length) \(position) \(special)")
                }
            }
        }
    }

    @Test func stringsInAndOutsideASCII() {
        let quote = UInt8(ascii: "\"")
        let bodies: [[UInt8]] = [
            Array("plain".utf8), Array("é日😀".utf8), Array(#"esc\naped"#.utf8), Array(#"\u00e9 after escape"#.utf8),
            Array(#"é then \t escape"#.utf8), Array(#"\ud83d\ude00"#.utf8), [0xFF], [0x61, 0xC3], [0xC3, 0x28],
            [0x5C, 0x6E, 0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x7F], [0xC2, 0x80],
        ]
        for body in bodies {
            let string = [quote] + body + [quote]
            expectSameAsReference(string, fastPath: nil, "string \(body)")
            expectSameAsReference(Array("{".utf8) + string + Array(":1}".utf8), fastPath: nil, "key \(body)")
            expectSameAsReference(Array(#"{"k":["#.utf8) + string + Array("]}".utf8), fastPath: nil, "nested \(body)")
        }
    }
}
