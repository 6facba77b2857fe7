import Foundation

/// Removes secrets from text before it is written to the trace store.
///
/// Two kinds of secret are replaced with `[REDACTED]`:
/// - every configured secret value (API keys read from their env vars), wherever it appears,
///   in every form it takes in stored text (`storedForms`): raw, trimmed, JSON-escaped;
/// - the value after a credential-carrying key — `Authorization`, `Proxy-Authorization`,
///   `x-api-key`, `api-key`, `api_key`, `apikey` — when that key is followed by `:` or `=`,
///   as in an HTTP header line, a JSON object (also JSON escaped inside a JSON string) or
///   `NAME=value` text. The key itself is kept so the trace still shows a header was sent.
///
/// Works on UTF-8 bytes with a cheap scan first, because every event passes through it.
public struct Redactor: Sendable {
    public static let replacement = "[REDACTED]"
    /// Secrets shorter than this are ignored: replacing "ab" everywhere would shred the trace
    /// and a key that short protects nothing.
    public static let minimumSecretLength = 6

    private let secrets: [[UInt8]]
    private static let credentialKeys: [[UInt8]] = ["authorization", "x-api-key", "api-key", "api_key", "apikey"]
        .map { Array($0.utf8) }
    private static let replacementBytes = Array(replacement.utf8)

    public init(secrets: [String]) {
        let usable = Set(secrets.flatMap(Self.storedForms).filter { $0.utf8.count >= Self.minimumSecretLength })
        // Longest first, so a secret that contains another (or an escaped form of itself) is
        // replaced whole.
        self.secrets = usable.sorted { $0.utf8.count > $1.utf8.count }.map { Array($0.utf8) }
    }

    /// Every spelling a secret can have in stored text: as it is and with surrounding
    /// whitespace trimmed (a key read from a file often ends in a newline, and what is sent
    /// is trimmed), each also JSON-escaped once and twice (a value inside JSON, and JSON
    /// inside a JSON string, as tool inputs are), with `/` escaped or not, as encoders differ.
    static func storedForms(of secret: String) -> Set<String> {
        var forms: Set<String> = [secret, secret.trimmingCharacters(in: .whitespacesAndNewlines)]
        for _ in 0..<2 {
            for form in forms {
                forms.insert(jsonEscaped(form, escapingSlash: false))
                forms.insert(jsonEscaped(form, escapingSlash: true))
            }
        }
        return forms
    }

    /// The content of a JSON string holding `text`, as `JSONEncoder` writes it.
    static func jsonEscaped(_ text: String, escapingSlash: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "/" where escapingSlash: out += "\\/"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let control where control.value < 0x20:
                out += "\\u" + String(control.value, radix: 16).leftPadded(to: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    public func redact(_ text: String) -> String {
        // Most text holds nothing to redact: look in place first, and copy it only if it may.
        var text = text
        guard text.withUTF8({ mayHoldSecrets($0) }) else { return text }
        var bytes = Array(text.utf8)
        var changed = false
        // Known secrets first: a header value's scan stops at a backslash, so blanking it
        // first could cut an escaped key in two and leave its tail. `Authorization: Bearer
        // [REDACTED]` then still loses its whole value.
        for secret in secrets where Self.replaceAll(secret, in: &bytes) { changed = true }
        if Self.redactCredentialValues(in: &bytes) { changed = true }
        return changed ? String(decoding: bytes, as: UTF8.self) : text
    }

    /// Whether `bytes` holds a configured secret or a credential key: without either,
    /// `redact` changes nothing.
    private func mayHoldSecrets(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        secrets.contains { Self.find($0, in: UnsafeRawBufferPointer(bytes), from: 0) != nil }
            || bytes.indices.contains { Self.credentialKeyLength(in: bytes, at: $0) != nil }
    }

    /// No configured secret to look for.
    public var knowsNoSecrets: Bool { secrets.isEmpty }

    /// `text` with every configured secret value replaced, and nothing else changed: for
    /// what leaves the process (answers, events, logs), where a credential-looking key in a
    /// worker's own text is the worker's business but a key bosun holds never is.
    public func redactSecrets(in text: [UInt8]) -> [UInt8]? {
        var bytes = text
        var changed = false
        for secret in secrets where Self.replaceAll(secret, in: &bytes) { changed = true }
        return changed ? bytes : nil
    }

    /// Replaces every occurrence of `needle` in `bytes`; true when anything was replaced.
    private static func replaceAll(_ needle: [UInt8], in bytes: inout [UInt8]) -> Bool {
        guard var index = find(needle, in: bytes, from: 0) else { return false }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var copiedUpTo = 0
        while true {
            output.append(contentsOf: bytes[copiedUpTo..<index])
            output.append(contentsOf: replacementBytes)
            copiedUpTo = index + needle.count
            guard let next = find(needle, in: bytes, from: copiedUpTo) else { break }
            index = next
        }
        output.append(contentsOf: bytes[copiedUpTo...])
        bytes = output
        return true
    }

    private static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBytes { find(needle, in: $0, from: start) }
    }

    private static func find(_ needle: [UInt8], in haystack: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let first = needle.first, start + needle.count <= haystack.count else { return nil }
        return needle.withUnsafeBytes { pattern in
            let base = haystack.baseAddress!
            var index = start
            let lastStart = haystack.count - pattern.count
            while index <= lastStart {
                // memchr jumps to candidates at C speed; memcmp confirms them.
                guard let hit = memchr(base + index, Int32(first), lastStart - index + 1) else { return nil }
                let offset = UnsafeRawPointer(hit) - base
                if memcmp(hit, pattern.baseAddress!, pattern.count) == 0 { return offset }
                index = offset + 1
            }
            return nil
        }
    }

    /// Finds credential keys (ASCII case-insensitive) followed by a separator and blanks their values.
    private static func redactCredentialValues(in bytes: inout [UInt8]) -> Bool {
        var changed = false
        var index = 0
        while index < bytes.count {
            guard let keyLength = credentialKeyLength(in: bytes, at: index) else { index += 1; continue }
            let afterKey = index + keyLength
            if let value = valueRange(in: bytes, after: afterKey) {
                if bytes[value] != replacementBytes[...] {
                    bytes.replaceSubrange(value, with: replacementBytes)
                    changed = true
                }
                index = value.lowerBound + replacementBytes.count
            } else {
                index = afterKey
            }
        }
        return changed
    }

    private static func credentialKeyLength<Bytes: RandomAccessCollection<UInt8>>(in bytes: Bytes, at index: Int) -> Int?
    where Bytes.Index == Int {
        let first = bytes[index] | 0x20
        guard first == UInt8(ascii: "a") || first == UInt8(ascii: "x") else { return nil }
        outer: for key in credentialKeys where index + key.count <= bytes.count {
            for offset in 0..<key.count {
                var byte = bytes[index + offset]
                if byte >= 0x41 && byte <= 0x5a { byte |= 0x20 }
                if byte != key[offset] { continue outer }
            }
            return key.count
        }
        return nil
    }

    /// The value after a key: skip a closing quote (plain or JSON-escaped), spaces, one `:` or
    /// `=`, spaces, a `[` after a JSON key, and an opening quote; the value ends at its closing quote, or — unquoted —
    /// at the end of the line, a quote or a JSON delimiter (and after `=`, at a space). Nil when no separator follows the key.
    private static func valueRange(in bytes: [UInt8], after start: Int) -> Range<Int>? {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var index = start
        func skipQuote() -> Bool {
            if index < bytes.count, bytes[index] == quote { index += 1; return true }
            if index + 1 < bytes.count, bytes[index] == backslash, bytes[index + 1] == quote { index += 2; return true }
            return false
        }
        func skipSpaces() { while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }
        let keyQuoted = skipQuote()
        skipSpaces()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") || bytes[index] == UInt8(ascii: "=") else { return nil }
        // `NAME=value` ends at a space; a header value (`Bearer abc`) may contain one.
        let isAssignment = bytes[index] == UInt8(ascii: "=")
        index += 1
        skipSpaces()
        if keyQuoted, index < bytes.count, bytes[index] == UInt8(ascii: "[") { index += 1; skipSpaces() }
        let quoted = skipQuote()
        // A JSON key with a non-string value (null, a number) holds no secret, and replacing
        // it with a bare word would break the JSON.
        if keyQuoted && !quoted { return nil }
        let valueStart = index
        // Already redacted (a record read back and written again): leave it as it is.
        if bytes[valueStart...].starts(with: replacementBytes) { return valueStart..<(valueStart + replacementBytes.count) }
        var stops: Set<UInt8> = quoted
            ? [quote, backslash]
            : [quote, backslash, 0x0a, 0x0d, UInt8(ascii: "'"), UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"),
               UInt8(ascii: "&"), UInt8(ascii: ";")]
        if isAssignment && !quoted { stops.formUnion([0x20, 0x09]) }
        while index < bytes.count, !stops.contains(bytes[index]) { index += 1 }
        return valueStart < index ? valueStart..<index : nil
    }
}
