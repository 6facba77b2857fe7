/// One server-sent event.
public struct SSEEvent: Sendable, Hashable {
    /// The `event:` field; nil means the default type, "message".
    public var event: String?
    /// Every `data:` line of the event, joined with "\n".
    public var data: String
    /// The last `id:` seen on the stream, as the spec's "last event ID".
    public var id: String?

    public init(event: String? = nil, data: String, id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }
}

/// A byte-exact parser for `text/event-stream`, following the WHATWG algorithm.
///
/// Feed it chunks split anywhere (inside a line, a UTF-8 sequence, or a `\r\n` pair);
/// lines end with `\n`, `\r\n` or `\r`; `:` lines are comments; an event is dispatched at
/// a blank line and only when it carried data.
public struct SSEParser: Sendable {
    /// Bytes of the line being read; decoded only once the line is complete, so a UTF-8
    /// sequence split across chunks is never mangled.
    private var line: [UInt8] = []
    /// The previous chunk ended in `\r`: a `\n` that starts the next one belongs to it.
    private var pendingCR = false
    /// Whether the next byte is the first of the stream (a leading BOM is dropped).
    private var atStreamStart = true
    private var eventType: String?
    /// The event's `data:` values so far, joined with "\n".
    private var data: [UInt8] = []
    private var hasData = false
    private var lastEventId: String?

    public init() {}

    public mutating func feed(_ bytes: some Collection<UInt8>) -> [SSEEvent] {
        if let events = bytes.withContiguousStorageIfAvailable({ feed(contiguous: $0) }) { return events }
        return Array(bytes).withUnsafeBufferPointer { feed(contiguous: $0) }
    }

    /// Scans for line ends a run at a time; a line that lies whole in `bytes` is read where it
    /// is, and only a line split across chunks is gathered in `line`.
    private mutating func feed(contiguous bytes: UnsafeBufferPointer<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var index = 0
        if atStreamStart, !bytes.isEmpty {
            atStreamStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }
        while index < bytes.count {
            if pendingCR {
                pendingCR = false
                if bytes[index] == 0x0A {
                    index += 1
                    continue
                }
            }
            var end = index
            // Eight bytes at a time past words with no line end, then byte by byte.
            while bytes.count - end >= 8,
                  !Self.mayHoldLineEnd(UnsafeRawPointer(bytes.baseAddress! + end).loadUnaligned(as: UInt64.self)) {
                end += 8
            }
            while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            let run = UnsafeBufferPointer(rebasing: bytes[index..<end])
            guard end < bytes.count else {
                line.append(contentsOf: run)
                break
            }
            if bytes[end] == 0x0D { pendingCR = true }
            if line.isEmpty {
                endLine(run, into: &events)
            } else {
                line.append(contentsOf: run)
                var whole: [UInt8] = []
                swap(&whole, &line)
                whole.withUnsafeBufferPointer { endLine($0, into: &events) }
                whole.removeAll(keepingCapacity: true)
                swap(&whole, &line)
            }
            index = end + 1
        }
        return events
    }

    /// Whether any of the eight bytes of `word` may be `\n` or `\r` (false means none is):
    /// the "has a zero byte" word trick.
    private static func mayHoldLineEnd(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        return hasZeroByte(word ^ (ones &* 0x0A)) || hasZeroByte(word ^ (ones &* 0x0D))
    }

    /// Ends the stream: an event without its closing blank line is discarded, as the spec says.
    public mutating func finish() {
        line.removeAll()
        resetEvent()
    }

    /// Handles one complete line (without its line end). Fields are told apart by their
    /// bytes; only the values kept become Strings.
    private mutating func endLine(_ line: UnsafeBufferPointer<UInt8>, into events: inout [SSEEvent]) {
        if line.isEmpty {
            if hasData {
                events.append(SSEEvent(event: eventType, data: String(decoding: data, as: UTF8.self), id: lastEventId))
            }
            resetEvent()
            return
        }
        if line[0] == UInt8(ascii: ":") { return }
        let field: UnsafeBufferPointer<UInt8>
        var value = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = UnsafeBufferPointer(rebasing: line[..<colon])
            var valueStart = colon + 1
            if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            value = UnsafeBufferPointer(rebasing: line[valueStart...])
        } else {
            field = line
        }
        if field.elementsEqual("data".utf8) {
            // Lines are joined with "\n" as bytes: decoding them together gives the same text
            // as joining them decoded, since a line end never belongs to a UTF-8 sequence.
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            eventType = String(decoding: value, as: UTF8.self)
        } else if field.elementsEqual("id".utf8) {
            if !value.contains(0) { lastEventId = String(decoding: value, as: UTF8.self) }
        }
        // "retry" and unknown fields: nothing a one-shot API call uses.
    }

    private mutating func resetEvent() {
        eventType = nil
        data.removeAll(keepingCapacity: true)
        hasData = false
    }
}
