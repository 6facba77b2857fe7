import Foundation
import Testing
@testable import HTTP

/// `CurlTransfer.asciiHeader` against the String path it short-cuts (kept here as the reference).
@Suite struct HeaderLineTests {
    /// The String path of `receiveHeaderLine`: the header it reads from a line, if any.
    static func reference(_ bytes: [UInt8]) -> HTTPHeader? {
        let line = String(decoding: bytes, as: UTF8.self).trimmingWhitespace(newlines: true)
        guard !line.hasPrefix("HTTP/"), !line.isEmpty, let colon = line.firstIndex(of: ":") else { return nil }
        return HTTPHeader(name: String(line[..<colon]), value: String(line[line.index(after: colon)...]).trimmingWhitespace())
    }

    @Test(arguments: [
        "content-type: text/event-stream\r\n", "x-request-id:req_1\r\n", "  padded  :  value with  spaces \t\r\n",
        "empty:\r\n", "empty: \t \r\n", "url: http://a:8080/b?c=d\r\n", "retry-after-ms: 250\n", "\tx: y\r\n",
        "HTTP/1.1 200 OK\r\n", "HTTP/2 429\r\n", "\r\n", "\n", "no colon here\r\n", ":\r\n", ": value\r\n",
        "a:b\u{0B}\u{0C}\r\n", "name : v\r\n", "x-odd: \u{0B}v\u{0B}\r\n",
    ])
    func readsEveryASCIILineAsTheStringPathDoes(_ text: String) {
        let bytes = Array(text.utf8)
        let fast = bytes.withUnsafeBytes { CurlTransfer.asciiHeader($0) }
        #expect(fast == Self.reference(bytes), "\(text.debugDescription)")
        if fast == nil, let expected = Self.reference(bytes) {
            Issue.record("the fast path gave up on \(text.debugDescription), which reads as \(expected)")
        }
    }

    @Test func leavesLinesOutsideASCIIToTheStringPath() {
        for text in ["x-name: caf\u{E9}\r\n", "x:\u{00A0}v\u{00A0}\r\n"] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBytes { CurlTransfer.asciiHeader($0) } == nil)
            #expect(Self.reference(bytes) != nil)
        }
        #expect([UInt8]([0x78, 0x3A, 0xFF]).withUnsafeBytes { CurlTransfer.asciiHeader($0) } == nil)
    }
}
