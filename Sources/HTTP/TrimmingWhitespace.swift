import Foundation

extension String {
    /// `trimmingCharacters(in: .whitespaces)`, or `.whitespacesAndNewlines` with `newlines`,
    /// without Foundation's cost in the common case (it bridges through NSString, and showed
    /// in profiles once per SSE chunk and header line): ASCII whitespace is cut here, and only
    /// text whose remaining ends are not ASCII goes to Foundation (Unicode spaces live there).
    package func trimmingWhitespace(newlines: Bool = false) -> String {
        let utf8 = self.utf8
        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || (newlines && (0x0A...0x0D).contains(byte))
        }
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, isSpace(utf8[start]) { start = utf8.index(after: start) }
        while start < end, isSpace(utf8[utf8.index(before: end)]) { end = utf8.index(before: end) }
        if start < end, utf8[start] >= 0x80 || utf8[utf8.index(before: end)] >= 0x80 {
            return trimmingCharacters(in: newlines ? .whitespacesAndNewlines : .whitespaces)
        }
        if start == utf8.startIndex, end == utf8.endIndex { return self }
        return String(self[start..<end])
    }
}
