import Foundation

/// Keeps long evidence readable and bounded: the head and the tail, with the number of
/// bytes cut between them said in the text.
public enum OutputExcerpt {
    public static func make(head: Data, tail: Data, totalBytes: Int) -> String {
        let cut = totalBytes - head.count - tail.count
        let headText = String(decoding: head, as: UTF8.self)
        guard cut > 0 || !tail.isEmpty else { return headText }
        let marker = cut > 0 ? "\n[… \(cut) bytes cut …]\n" : ""
        return headText + marker + String(decoding: tail, as: UTF8.self)
    }

    /// The first and last `limit / 2` bytes of `text`, with the cut said.
    public static func bounded(_ text: String, limit: Int) -> String {
        let bytes = Data(text.utf8)
        guard bytes.count > limit else { return text }
        return make(head: bytes.prefix(limit / 2), tail: bytes.suffix(limit / 2), totalBytes: bytes.count)
    }
}
