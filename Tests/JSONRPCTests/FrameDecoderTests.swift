import Testing

@testable import JSONRPC

private func lsp(_ json: String) -> String { "Content-Length: \(json.utf8.count)\r\n\r\n\(json)" }
private func message(_ json: String) -> FrameEvent { .message(Array(json.utf8)) }

/// Feeds `input` whole, and then split at every byte boundary, and checks all agree.
private func decodeEverySplit(_ input: [UInt8], limit: Int = 1 << 20) -> [FrameEvent] {
    var whole = FrameDecoder(maxMessageBytes: limit)
    let expected = whole.feed(input) + whole.finish().events
    for split in 0...input.count {
        var decoder = FrameDecoder(maxMessageBytes: limit)
        let events = decoder.feed(input[..<split]) + decoder.feed(input[split...]) + decoder.finish().events
        #expect(events == expected, "split at byte \(split)")
    }
    var byteByByte = FrameDecoder(maxMessageBytes: limit)
    var events: [FrameEvent] = []
    for byte in input { events += byteByByte.feed([byte]) }
    #expect(events + byteByByte.finish().events == expected, "one byte at a time")
    return expected
}

private func decodeEverySplit(_ input: String, limit: Int = 1 << 20) -> [FrameEvent] {
    decodeEverySplit(Array(input.utf8), limit: limit)
}

@Suite struct ContentLengthFraming {
    let a = #"{"jsonrpc":"2.0","id":1,"method":"a"}"#
    let b = #"{"jsonrpc":"2.0","id":2,"method":"b"}"#

    @Test func oneMessageInAnySplit() {
        #expect(decodeEverySplit(lsp(a)) == [message(a)])
    }

    @Test func severalMessagesInOneRead() {
        #expect(decodeEverySplit(lsp(a) + lsp(b) + lsp(a)) == [message(a), message(b), message(a)])
    }

    @Test func framingIsChosenFromTheFirstByte() {
        var decoder = FrameDecoder(maxMessageBytes: 1024)
        _ = decoder.feed(Array("  \r\n".utf8))
        #expect(decoder.framing == nil)
        _ = decoder.feed(Array("Content-Length: 2\r\n\r\n{}".utf8))
        #expect(decoder.framing == .contentLength)
    }

    @Test(arguments: ["content-length", "CONTENT-LENGTH", "Content-length"])
    func headerNamesAreCaseInsensitive(name: String) {
        let input = "\(name): \(a.utf8.count)\r\n\r\n\(a)"
        #expect(decodeEverySplit(input) == [message(a)])
    }

    @Test func otherHeadersAreAccepted() {
        let input = "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nX-Trace: on\r\nContent-Length: \(a.utf8.count)\r\n\r\n\(a)"
        #expect(decodeEverySplit(input) == [message(a)])
    }

    @Test func bareNewlinesAreAccepted() {
        #expect(decodeEverySplit("Content-Length: \(a.utf8.count)\n\n\(a)") == [message(a)])
    }

    @Test(arguments: ["-5", "abc", "", "12x", "99999999999999999999", "1.5"])
    func badLengthsGetAnErrorAndTheNextMessageIsRead(length: String) {
        let events = decodeEverySplit("Content-Length: \(length)\r\n\r\n" + lsp(b))
        let value = length.isEmpty ? "" : length
        #expect(events == [.error(.invalidContentLength(value: value)), message(b)])
    }

    @Test func aHeaderBlockWithoutContentLength() {
        #expect(decodeEverySplit("Content-Type: x\r\n\r\n" + lsp(b)) == [.error(.missingContentLength), message(b)])
    }

    @Test func aMissingSeparatorIsResynchronised() {
        // The body is read as a header line: garbage, one error, then the next message.
        let events = decodeEverySplit("Content-Length: \(a.utf8.count)\r\n\(a)\r\n" + lsp(b))
        #expect(events.count == 2)
        if case .error(.malformedHeader) = events.first {} else { Issue.record("expected a malformed header, got \(events)") }
        #expect(events.last == message(b))
    }

    @Test func garbageThenAValidMessage() {
        let events = decodeEverySplit("hello there\r\nmore garbage\r\n" + lsp(a))
        #expect(events == [.error(.malformedHeader(sample: "hello there")), message(a)])
    }

    @Test func garbageRunningIntoAHeaderOnTheSameLine() {
        let events = decodeEverySplit("xx{}zzContent-Length: \(a.utf8.count)\r\n\r\n\(a)")
        #expect(events == [.error(.malformedHeader(sample: "xx{}zzContent-Length: \(a.utf8.count)")), message(a)])
    }

    @Test func nonUTF8HeaderBytesAreGarbageAndShownEscaped() {
        let input: [UInt8] = [0x41, 0xFF, 0xFE, 0x0D, 0x0A] + Array(lsp(a).utf8)
        #expect(decodeEverySplit(input) == [.error(.malformedHeader(sample: "A\\xFF\\xFE")), message(a)])
    }

    @Test func nonUTF8BodiesAreFramedAndLeftToTheJSONParser() {
        let body: [UInt8] = [0x7B, 0xC3, 0x28, 0x7D]
        #expect(decodeEverySplit(Array("Content-Length: 4\r\n\r\n".utf8) + body) == [.message(body)])
        guard case .invalid(_, let error) = IncomingMessage.parse(.init(body)) else {
            Issue.record("non-UTF-8 JSON must not parse")
            return
        }
        #expect(error.code == RPCError.parseError)
    }

    @Test func anOversizedMessageIsSkippedAndTheNextRead() {
        let big = String(repeating: "x", count: 100)
        let events = decodeEverySplit(lsp(big) + lsp(a), limit: 64)
        #expect(events == [.error(.tooLarge(size: 100, limit: 64)), message(a)])
    }

    @Test func aHugeDeclaredLengthAllocatesNothing() {
        var decoder = FrameDecoder(maxMessageBytes: 1 << 20)
        let events = decoder.feed(Array("Content-Length: 999999999999999999\r\n\r\n".utf8))
        #expect(events == [.error(.tooLarge(size: 999_999_999_999_999_999, limit: 1 << 20))])
        #expect(decoder.feed([UInt8](repeating: 0x20, count: 4096)) == [])
        #expect(!decoder.isClosed)
    }

    @Test func anEndlessHeaderLineClosesTheDecoder() {
        var decoder = FrameDecoder(maxMessageBytes: 1 << 20)
        let events = decoder.feed([UInt8](repeating: 0x41, count: FrameDecoder.maxHeaderLineBytes + 1))
        #expect(events == [.error(.headerLineTooLong(limit: FrameDecoder.maxHeaderLineBytes))])
        #expect(decoder.isClosed)
        #expect(decoder.feed(Array(lsp(a).utf8)) == [])
    }

    @Test func anOverlongHeaderLineClosesWhateverTheSplit() {
        let line = [UInt8](repeating: 0x41, count: FrameDecoder.maxHeaderLineBytes + 10) + Array("\r\n".utf8)
        for split in [0, 1, FrameDecoder.maxHeaderLineBytes, FrameDecoder.maxHeaderLineBytes + 1, line.count] {
            var decoder = FrameDecoder(maxMessageBytes: 1 << 20)
            let events = decoder.feed(line[..<split]) + decoder.feed(line[split...])
            #expect(events == [.error(.headerLineTooLong(limit: FrameDecoder.maxHeaderLineBytes))], "split at \(split)")
            #expect(decoder.isClosed)
        }
    }

    @Test func aLongLineInManyReadsIsScannedOnce() {
        // 8 MiB in 4 KiB reads: rescanning the whole line on every read would take minutes.
        let body = "{\"x\":\"" + String(repeating: "y", count: 8 << 20) + "\"}"
        var decoder = FrameDecoder(maxMessageBytes: 16 << 20)
        let bytes = Array((body + "\n").utf8)
        var events: [FrameEvent] = []
        var offset = 0
        while offset < bytes.count {
            events += decoder.feed(bytes[offset..<min(offset + 4096, bytes.count)])
            offset += 4096
        }
        #expect(events.count == 1)
        #expect(events.first == .message(Array(body.utf8)))
    }

    @Test func theEndOfInputInsideABodyIsReported() {
        var decoder = FrameDecoder(maxMessageBytes: 1024)
        _ = decoder.feed(Array("Content-Length: 10\r\n\r\n{\"a\"".utf8))
        let (events, leftover) = decoder.finish()
        #expect(events.isEmpty)
        #expect(leftover == "the input ended 4 bytes into a message of 10 bytes")
    }
}

@Suite struct NewlineDelimitedFraming {
    let a = #"{"jsonrpc":"2.0","id":1,"method":"a"}"#
    let b = #"[{"jsonrpc":"2.0","id":2,"method":"b"}]"#

    @Test func linesInAnySplit() {
        #expect(decodeEverySplit("\(a)\n\(b)\r\n\n  \n\(a)\n") == [message(a), message(b), message(a)])
    }

    @Test func leadingWhitespaceThenBraceChoosesNDJSON() {
        var decoder = FrameDecoder(maxMessageBytes: 1024)
        _ = decoder.feed(Array(" \n\t[".utf8))
        #expect(decoder.framing == .newlineDelimited)
    }

    @Test func aLastLineWithoutNewlineCountsAtTheEnd() {
        #expect(decodeEverySplit("\(a)\n\(a)") == [message(a), message(a)])
    }

    @Test func anOversizedLineIsSkippedAndTheNextRead() {
        let big = "{\"x\":\"" + String(repeating: "y", count: 1_000) + "\"}"
        let events = decodeEverySplit("\(big)\n\(a)\n", limit: 64)
        #expect(events == [.error(.tooLarge(size: nil, limit: 64)), message(a)])
    }

    @Test func garbageLinesAreFramedForTheParserToReject() {
        #expect(decodeEverySplit("\(a)\nnot json\n\(a)\n") == [message(a), message("not json"), message(a)])
    }
}
