import Foundation
import Testing
@testable import HTTP

/// Header names match as `caseInsensitiveCompare` says, answered without Foundation for ASCII.
@Suite struct HeaderNameTests {
    @Test func namesMatchAsCaseInsensitiveCompareSays() {
        let names = [
            "", "request-id", "Request-Id", "REQUEST-ID", "request-i", "request-idd", "x-request-id", "X-Request-ID",
            "retry-after-ms", "Retry-After-Ms", "@", "`", "[", "{", "a", "A", "z", "Z", "\u{1}", "\u{7f}", "a b", "A B",
            "é", "É", "straße", "STRASSE", "k", "K", "\u{212A}", "ﬁ", "FI", "fi", "İ", "i", "ı", "I", "e\u{301}", "é",
        ]
        for a in names {
            for b in names {
                #expect(HTTPHeader.namesMatch(a, b) == (a.caseInsensitiveCompare(b) == .orderedSame), "\(a.debugDescription) \(b.debugDescription)")
            }
        }
        let headers = [HTTPHeader(name: "Content-Type", value: "a"), HTTPHeader(name: "X-Request-ID", value: "b")]
        #expect(headers.value(for: "x-request-id") == "b")
        #expect(headers.value(for: "request-id") == nil)
    }
}
