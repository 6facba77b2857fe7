import Testing
@testable import HTTP

@Suite struct SSEParserTests {
    private func parse(_ text: String) -> [SSEEvent] {
        var parser = SSEParser()
        return parser.feed(Array(text.utf8))
    }

    @Test(arguments: [
        ("data: a\n\n", [SSEEvent(data: "a")]),
        ("data: a\r\n\r\n", [SSEEvent(data: "a")]),
        ("data: a\r\r", [SSEEvent(data: "a")]),
        ("data:a\n\n", [SSEEvent(data: "a")]),
        ("data:  two spaces\n\n", [SSEEvent(data: " two spaces")]),
        ("data: one\ndata: two\n\n", [SSEEvent(data: "one\ntwo")]),
        ("data\n\n", [SSEEvent(data: "")]),
        (": comment\ndata: x\n\n", [SSEEvent(data: "x")]),
        ("event: ping\ndata: {}\n\n", [SSEEvent(event: "ping", data: "{}")]),
        ("event: ping\n\n", []),
        ("id: 7\ndata: x\n\ndata: y\n\n", [SSEEvent(data: "x", id: "7"), SSEEvent(data: "y", id: "7")]),
        ("retry: 100\nunknown: z\ndata: x\n\n", [SSEEvent(data: "x")]),
        ("\u{FEFF}data: bom\n\n", [SSEEvent(data: "bom")]),
        ("data: no end", []),
        ("event: a\ndata: 1\n\nevent: b\ndata: 2\n\n", [SSEEvent(event: "a", data: "1"), SSEEvent(event: "b", data: "2")]),
        ("data: é漢🙂\n\n", [SSEEvent(data: "é漢🙂")]),
    ])
    func parsesWholeInput(input: String, expected: [SSEEvent]) {
        #expect(parse(input) == expected)
    }

    /// Every split point of a stream with mixed line endings and multi-byte text gives the same events.
    @Test func chunksSplitAnywhereGiveTheSameEvents() {
        let text = "event: message_start\r\ndata: {\"a\":1}\r\n\r\n: keep-alive\rdata: é漢🙂\rdata: second\r\rdata: last\n\n"
        let bytes = Array(text.utf8)
        let expected = parse(text)
        #expect(expected == [SSEEvent(event: "message_start", data: "{\"a\":1}"), SSEEvent(data: "é漢🙂\nsecond"),
                             SSEEvent(data: "last")])
        for split in 0...bytes.count {
            var parser = SSEParser()
            let events = parser.feed(bytes[..<split]) + parser.feed(bytes[split...])
            #expect(events == expected, "split at \(split)")
        }
        var parser = SSEParser()
        let byteByByte = bytes.flatMap { parser.feed([$0]) }
        #expect(byteByByte == expected)
    }

    /// A `\r` at the end of one chunk and `\n` at the start of the next are one line ending.
    @Test func crlfSplitAcrossChunksIsOneLineEnding() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a\r".utf8)).isEmpty)
        #expect(parser.feed(Array("\n\r".utf8)) == [SSEEvent(data: "a")])
        #expect(parser.feed(Array("\ndata: b\n\n".utf8)) == [SSEEvent(data: "b")])
    }
}
