import Foundation
import HTTP
import Testing

/// `trimmingWhitespace` cuts ASCII whitespace by hand; it must trim what Foundation trims.
@Suite struct TrimmingWhitespaceTests {
    @Test func asciiTrimmingMatchesFoundation() {
        let texts = ["", " ", "a", " a ", "\t[DONE]\t", "\r\nx: y\r\n", "\u{a0}a\u{a0}", " \u{2003}b", "c\u{85}", "\u{b}\u{c}d",
                     " e\u{301} ", "\r\n", "x\r", "日本 "]
        for text in texts {
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespaces), "\(text.debugDescription)")
            #expect(text.trimmingWhitespace(newlines: true) == text.trimmingCharacters(in: .whitespacesAndNewlines),
                    "\(text.debugDescription)")
        }
    }
}
