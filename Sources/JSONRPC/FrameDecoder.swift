/// Splits a byte stream into JSON texts, in either framing, whatever the read boundaries.
///
/// Feeding the same bytes in any split gives the same events: every decision waits for a
/// complete line or a complete body. After garbage the decoder resynchronises at the next
/// `Content-Length` header, reporting one error per run of garbage.
public struct FrameDecoder: Sendable {
    /// The framing in use; nil until the first non-whitespace byte arrived (unless fixed).
    public private(set) var framing: Framing?
    public let maxMessageBytes: Int
    /// Set after an unrecoverable error; the decoder then ignores everything.
    public private(set) var isClosed = false

    /// No real header line is this long; a longer one means the peer speaks something else.
    public static let maxHeaderLineBytes = 64 * 1024

    private enum ReadState {
        case header
        case content(length: Int)
        /// Discarding the body of an oversized message, to stay aligned with the stream.
        case skipping(remaining: Int)
        /// Discarding the rest of an oversized newline-delimited message.
        case skippingLine
    }

    /// The headers of the message being read.
    private struct HeaderBlock {
        var lineCount = 0
        var contentLength: Int?
        var invalidLength: String?
    }

    private var buffer: [UInt8] = []
    /// Index of the first byte in `buffer` not yet consumed.
    private var start = 0
    /// Bytes before this index are known to hold no newline, so a long line arriving in
    /// many reads is scanned once, not once per read.
    private var searchedUpTo = 0
    private var state = ReadState.header
    private var header = HeaderBlock()
    /// True after a header error until a frame is read again: further garbage is dropped
    /// quietly so one bad burst gets one error answer, not one per line.
    private var resynchronising = false

    public init(maxMessageBytes: Int, framing: Framing? = nil) {
        self.maxMessageBytes = maxMessageBytes
        self.framing = framing
    }

    public mutating func feed(_ bytes: some Collection<UInt8>) -> [FrameEvent] {
        guard !isClosed else { return [] }
        buffer.append(contentsOf: bytes)
        var events: [FrameEvent] = []
        while !isClosed, step(&events) {}
        compact()
        return events
    }

    /// Called when the stream ended: a final newline-delimited message without its newline
    /// still counts; anything else left over is described for the log.
    public mutating func finish() -> (events: [FrameEvent], leftover: String?) {
        defer { buffer = []; start = 0 }
        let rest = buffer[start...]
        guard !isClosed, rest.contains(where: { !isWhitespace($0) }) || isMidMessage else { return ([], nil) }
        switch (framing, state) {
        case (.newlineDelimited?, .header):
            var events: [FrameEvent] = []
            let line = trimmed(rest)
            if line.count > maxMessageBytes {
                events.append(.error(.tooLarge(size: nil, limit: maxMessageBytes)))
            } else {
                events.append(.message(Array(line)))
            }
            return (events, nil)
        case (_, .content(let length)):
            return ([], "the input ended \(rest.count) bytes into a message of \(length) bytes")
        case (_, .skipping), (_, .skippingLine):
            return ([], "the input ended inside an oversized message")
        default:
            return ([], "the input ended inside a header block (\(rest.count) bytes unread)")
        }
    }

    private var isMidMessage: Bool {
        if case .header = state { return header.lineCount > 0 }
        return true
    }

    /// Consumes what it can; false when more bytes are needed.
    private mutating func step(_ events: inout [FrameEvent]) -> Bool {
        if framing == nil {
            while start < buffer.count, isWhitespace(buffer[start]) { start += 1 }
            guard start < buffer.count else { return false }
            framing = Framing.detect(firstByte: buffer[start])
        }
        let available = buffer.count - start
        switch state {
        case .content(let length):
            guard available >= length else { return false }
            events.append(.message(Array(buffer[start..<start + length])))
            start += length
            state = .header
            resynchronising = false
            return true
        case .skipping(let remaining):
            let count = min(remaining, available)
            start += count
            state = count == remaining ? .header : .skipping(remaining: remaining - count)
            return count == remaining
        case .skippingLine:
            guard let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                start = buffer.count
                return false
            }
            start = newline + 1
            state = .header
            return true
        case .header:
            // A header line may not pass the limit: looking no further keeps the decision
            // the same however the bytes were split.
            let searchEnd = framing == .contentLength ? min(buffer.count, start + Self.maxHeaderLineBytes + 1) : buffer.count
            let searchFrom = max(start, min(searchedUpTo, searchEnd))
            guard let newline = buffer[searchFrom..<searchEnd].firstIndex(of: UInt8(ascii: "\n")) else {
                searchedUpTo = searchEnd
                lineWithoutEnd(available: available, &events)
                return false
            }
            let line = buffer[start..<newline]
            start = newline + 1
            if framing == .newlineDelimited {
                jsonLine(line, &events)
            } else {
                headerLine(line.last == UInt8(ascii: "\r") ? line.dropLast() : line, &events)
            }
            return true
        }
    }

    private mutating func lineWithoutEnd(available: Int, _ events: inout [FrameEvent]) {
        if framing == .newlineDelimited {
            // The slack lets a line padded with whitespace be judged by its trimmed length.
            if available > maxMessageBytes + 4096 {
                events.append(.error(.tooLarge(size: nil, limit: maxMessageBytes)))
                start = buffer.count
                state = .skippingLine
            }
        } else if available > Self.maxHeaderLineBytes {
            events.append(.error(.headerLineTooLong(limit: Self.maxHeaderLineBytes)))
            isClosed = true
        }
    }

    private mutating func jsonLine(_ line: ArraySlice<UInt8>, _ events: inout [FrameEvent]) {
        let json = trimmed(line)
        guard !json.isEmpty else { return }
        if json.count > maxMessageBytes {
            // Size unknown in general (the line may have passed the limit before it ended),
            // so it is never reported: the same bytes give the same events in any split.
            events.append(.error(.tooLarge(size: nil, limit: maxMessageBytes)))
        } else {
            events.append(.message(Array(json)))
        }
    }

    private mutating func headerLine(_ line: ArraySlice<UInt8>, _ events: inout [FrameEvent]) {
        if line.isEmpty {
            if header.lineCount > 0 { endOfHeader(&events) }
            return
        }
        if let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
            line[line.startIndex..<colon].allSatisfy(isTokenByte)
        {
            header.lineCount += 1
            let name = String(decoding: line[line.startIndex..<colon], as: UTF8.self).lowercased()
            if name == "content-length" {
                let value = trimmed(line[(colon + 1)...])
                if let length = parseLength(value) {
                    header.contentLength = length
                    header.invalidLength = nil
                } else {
                    header.invalidLength = printable(value)
                }
            }
            return
        }
        // Garbage. If a header starts inside it (`garbage…Content-Length: 5`), read from there.
        reportHeaderError(.malformedHeader(sample: printable(line)), &events)
        header = HeaderBlock()
        if let resume = indexOfContentLength(in: line), resume > line.startIndex {
            headerLine(line[resume...], &events)
        }
    }

    private mutating func endOfHeader(_ events: inout [FrameEvent]) {
        defer { header = HeaderBlock() }
        if let value = header.invalidLength {
            reportHeaderError(.invalidContentLength(value: value), &events)
        } else if let length = header.contentLength {
            if length > maxMessageBytes {
                events.append(.error(.tooLarge(size: length, limit: maxMessageBytes)))
                state = .skipping(remaining: length)
            } else {
                state = .content(length: length)
            }
        } else {
            reportHeaderError(.missingContentLength, &events)
        }
    }

    private mutating func reportHeaderError(_ error: FramingError, _ events: inout [FrameEvent]) {
        if !resynchronising { events.append(.error(error)) }
        resynchronising = true
    }

    /// Drops consumed bytes; cheap because it only copies once half the buffer is spent.
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            searchedUpTo = 0
            start = 0
        } else if start > 4096, start * 2 > buffer.count {
            buffer.removeFirst(start)
            searchedUpTo = max(0, searchedUpTo - start)
            start = 0
        }
    }
}

// MARK: - Byte helpers

private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
}

private func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var slice = bytes
    while let first = slice.first, isWhitespace(first) { slice = slice.dropFirst() }
    while let last = slice.last, isWhitespace(last) { slice = slice.dropLast() }
    return slice
}

/// RFC 7230 token characters: what a header name may be made of.
private func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

/// Decimal digits only (no sign), at most 18 of them so the value cannot overflow.
private func parseLength(_ bytes: ArraySlice<UInt8>) -> Int? {
    guard !bytes.isEmpty, bytes.count <= 18,
        bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
    else { return nil }
    return bytes.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
}

private let contentLengthPattern = Array("content-length:".utf8)

private func indexOfContentLength(in line: ArraySlice<UInt8>) -> Int? {
    guard line.count >= contentLengthPattern.count else { return nil }
    var index = line.startIndex
    while index + contentLengthPattern.count <= line.endIndex {
        var matches = true
        for (offset, expected) in contentLengthPattern.enumerated() {
            var byte = line[index + offset]
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { byte += 32 }
            if byte != expected { matches = false; break }
        }
        if matches { return index }
        index += 1
    }
    return nil
}

/// At most 40 bytes of a line, with anything unprintable shown as `\xNN`.
private func printable(_ bytes: ArraySlice<UInt8>) -> String {
    var text = ""
    for byte in bytes.prefix(40) {
        if byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
            text.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            text += "\\x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
    }
    return bytes.count > 40 ? text + "…" : text
}
