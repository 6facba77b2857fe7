import Foundation
import Testing
import TestSupport

@testable import BosunJSON

/// `jsonData()` and `parse` no longer go through Foundation's Codable path; these compare
/// them with it, byte for byte and value for value, so nothing stored or sent changed.
@Suite struct JSONValueFastPathTests {
    private func referenceText(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    private func referenceParse(_ text: String) -> Result<JSONValue, Error> {
        Result { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    }

    private static let awkwardStrings = [
        "", "plain", "quote \" and backslash \\ and slash /", "\u{8}\u{c}\n\r\t", "\u{0}\u{1}\u{1f}\u{7f}",
        "é e\u{301} 日本 😀 \u{2028}", "</script>", "tab\tin\tside",
    ]

    private static let awkwardDoubles: [Double] = [
        0.5, -0.5, 1.0, -0.0, 0.0, 1e20, 1e21, 1e-7, 123456.789, 1.0 / 3, .leastNonzeroMagnitude, 1.7976931348623157e308, 2.5e15, 1e15, 9.0e15,
    ]

    @Test func writerMatchesJSONEncoderOnScalars() {
        var values: [JSONValue] = [.null, true, false, 0, -1, .int(Int64.max), .int(Int64.min)]
        values += Self.awkwardStrings.map(JSONValue.string)
        values += Self.awkwardDoubles.map(JSONValue.double)
        values += [.double(.nan), .double(.infinity), .array([.double(-.infinity)])]
        for value in values {
            #expect(value.jsonString() == referenceText(value), "\(value)")
        }
    }

    @Test func writerMatchesJSONEncoderOnKeyOrderAndNesting() {
        let keys = ["b", "a", "B", "a10", "a2", "é", "e\u{301}x", "Z", "_", "", "😀", "\u{1}"]
        let object = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, JSONValue.int(Int64($0))) }))
        let nested: JSONValue = ["list": [object, [], [:], ["x": nil]], "more": ["deep": [[["k": 1.5]]]]]
        #expect(object.jsonString() == referenceText(object))
        #expect(nested.jsonString() == referenceText(nested))
        for depth in [510, 511, 512, 513] {
            var value: JSONValue = 1
            for _ in 0..<depth { value = .array([value]) }
            #expect(value.jsonString() == referenceText(value), "depth \(depth)")
        }
    }

    /// The writer skips eight bytes at a time past text that needs no escape: every length
    /// around the word size, with each character that needs one at every position.
    @Test func writerEscapesAtEveryPositionOfAWord() {
        let specials = ["\"", "\\", "\n", "\u{0}", "\u{1f}", "\t", "\u{7f}", "é", "😀", " ", "!", "#", "[", "]"]
        for length in 0...20 {
            for special in specials {
                for position in 0...length {
                    var characters = Array(repeating: "a", count: length)
                    characters.insert(special, at: position)
                    let value = JSONValue.string(characters.joined())
                    #expect(value.jsonString() == referenceText(value), "\(length) \(position) \(special.unicodeScalars.map(\.value))")
                }
            }
        }
    }

    @Test func writerMatchesJSONEncoderOnRandomValues() {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<300 {
            let value = randomValue(depth: 0, using: &generator)
            #expect(value.jsonString() == referenceText(value))
        }
    }

    @Test func parserMatchesJSONDecoder() {
        let texts = [
            "null", "true", "false", "0", "-0", "12", "-12", "1.5", "-1.5", "1.0", "2.50", "1e2", "1E2", "1.5e3", "1e-3",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "123456789012345678901234",
            "0.1", "1e400", "01", "-", "1.", ".5", "+1", "\"a\"", "\"\\u00e9\\n\\t\\\"\\/\\\\\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"",
            "\"\\udc00\"", "\"\\x\"", "\"raw\ttab\"", "  [1, 2 ,3 ]  ", "[]", "{}", "{\"a\":1,\"b\":[true,null,{\"c\":\"d\"}]}",
            "{\"a\":1,\"a\":2}", "{\"a\":1,}", "[1,]", "[1 2]", "{\"a\" 1}", "{1:2}", "tru", "nul", "[", "{", "\"open", "1 2", "",
            " ", "\u{feff}{}", "{\"é\":\"e\u{301}\"}", "{\"é\":1,\"e\u{301}\":2}", "[1.25,-0.0,3e0]", "\"日本😀\"", "[\"\\u0000\"]",
            "\r\n\t{\"k\" : [ ] }\r\n",
        ]
        for text in texts {
            let mine = Result { try JSONValue.parse(text) }
            let reference = referenceParse(text)
            switch (mine, reference) {
            case (.success(let a), .success(let b)): #expect(a == b && a.jsonString() == b.jsonString(), "\(text)")
            case (.failure, .failure): break
            default: Issue.record("\(text): parse gave \(mine), JSONDecoder gave \(reference)")
            }
        }
    }

    @Test func parserRoundTripsRandomValues() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<300 {
            let value = randomValue(depth: 0, using: &generator)
            let text = referenceText(value)
            let mine = try? JSONValue.parse(text)
            let reference = try? referenceParse(text).get()
            #expect(mine == reference, "\(text)")
            #expect(mine.map { try? JSONValue.parse(Data($0.jsonBytes())) } == reference)
        }
    }

    @Test func typicalStreamChunkTakesTheFastPath() {
        let chunk = #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi "},"logprobs":null,"finish_reason":null}]}"#
        var text = chunk
        #expect(text.withUTF8 { JSONValueParser.parse($0) } != nil)
    }

    private func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        let pick = Int.random(in: 0..<(depth > 3 ? 6 : 8), using: &generator)
        switch pick {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0...62, using: &generator))
        case 3:
            let double = Self.awkwardDoubles.randomElement(using: &generator)!
            return .double(Bool.random(using: &generator) ? double : Double.random(in: -1e6...1e6, using: &generator))
        case 4, 5:
            let pieces = (0..<Int.random(in: 0...4, using: &generator)).map { _ in Self.awkwardStrings.randomElement(using: &generator)! }
            return .string(pieces.joined())
        case 6:
            return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                fields[Self.awkwardStrings.randomElement(using: &generator)! + String(Int.random(in: 0...20, using: &generator))] =
                    randomValue(depth: depth + 1, using: &generator)
            }
            return .object(fields)
        }
    }
}
