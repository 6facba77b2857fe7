import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The single writer of the output file descriptor.
///
/// Senders append framed bytes to a buffer and return at once; one thread writes whatever
/// has piled up with as few `write` calls as possible, so under load many responses leave
/// in one syscall, and no two messages can ever interleave.
///
/// A client that stops reading must not make the server hold everything it would have sent.
/// Messages sent as droppable (notifications the client can fetch again, such as stored
/// worker events) are dropped while `backlogLimit` bytes wait to be written; once the
/// backlog is down to half of that, one `bosun/notificationsDropped` notification tells the
/// client how many it missed. Responses are never dropped.
///
/// Responses are bounded the other way: while more than `inputPauseLimit` bytes wait to be
/// written, the connection's reader stops reading (`waitForRoom`), so a client that writes
/// requests without reading answers meets a full pipe instead of a server whose memory grows.
final class FrameWriter: @unchecked Sendable {
    // Safety: every mutable property below is read and written only while `condition` is
    // locked; the writer thread releases the lock only around the `write` calls, and only
    // touches its own `spare` buffer there.
    private let condition = NSCondition()
    private let fd: Int32
    private var framing: Framing
    /// Framed bytes not yet handed to the writer thread.
    private var pending: [UInt8] = []
    /// The writer thread is inside `write`.
    private var writing = false
    private var closed = false
    /// The output failed (the client went away); everything sent afterwards is dropped.
    private var broken = false
    private let onFailure: @Sendable (String) -> Void
    /// Droppable messages are dropped while this many bytes wait to be written.
    let backlogLimit: Int
    /// Droppable messages dropped since the client was last told.
    private var dropped = 0
    /// Bytes the writer thread took and has not finished writing.
    private var inWrite = 0
    /// The reader waits while more than this many bytes are unwritten.
    let inputPauseLimit: Int
    private var holdingInput = false

    static let droppedNotificationMethod = "bosun/notificationsDropped"

    /// Applied to every message before it is queued: the one place all output passes, so
    /// a secret removed here reaches the client by no path.
    private let redact: (@Sendable (Data) -> Data)?

    init(fd: Int32, framing: Framing, backlogLimit: Int, inputPauseLimit: Int,
         redact: (@Sendable (Data) -> Data)? = nil, onFailure: @escaping @Sendable (String) -> Void) {
        self.redact = redact
        self.fd = fd
        self.framing = framing
        self.backlogLimit = backlogLimit
        self.inputPauseLimit = inputPauseLimit
        self.onFailure = onFailure
    }

    /// Blocks while more than `inputPauseLimit` bytes wait to be written (and the output
    /// still works): the reader thread calls it before each read. True if it had to wait.
    @discardableResult
    func waitForRoom() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        var waited = false
        while pending.count + inWrite > inputPauseLimit && !broken && !closed {
            waited = true
            holdingInput = true
            condition.wait()
        }
        holdingInput = false
        return waited
    }

    /// The reader is waiting in `waitForRoom`.
    var isHoldingInput: Bool { condition.withLock { holdingInput } }

    /// Bytes sent and not yet written.
    var unwrittenBytes: Int { condition.withLock { pending.count + inWrite } }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "bosun.jsonrpc.writer"
        thread.start()
    }

    /// The framing of every later message; set once the client's first byte is known.
    func setFraming(_ framing: Framing) {
        condition.lock()
        self.framing = framing
        condition.unlock()
    }

    /// Queues one JSON text; returns without waiting for the write. A `droppable` one is
    /// dropped (and counted) instead while `backlogLimit` bytes are waiting.
    func send(_ json: Data, droppable: Bool = false) {
        let json = redact?(json) ?? json
        condition.lock()
        defer { condition.unlock() }
        guard !broken, !closed else { return }
        if droppable, pending.count >= backlogLimit {
            dropped += 1
            return
        }
        framing.frame(json, into: &pending)
        condition.broadcast()
    }

    /// Queues several answers at once (never droppable): one lock and one wake-up for all.
    func send(contentsOf messages: [Data]) {
        // Framed before the lock is taken (the framing is set once, before the first answer).
        let framing = condition.withLock { self.framing }
        var framed: [UInt8] = []
        framed.reserveCapacity(messages.reduce(0) { $0 + $1.count + 24 })
        for json in messages { framing.frame(redact?(json) ?? json, into: &framed) }
        condition.lock()
        defer { condition.unlock() }
        guard !broken, !closed else { return }
        pending.append(contentsOf: framed)
        condition.broadcast()
    }

    /// After a drop, once the backlog is down to half the limit: tells the client how many
    /// notifications it missed. Called with `condition` locked.
    private func reportDrops() {
        guard dropped > 0, pending.count < backlogLimit / 2 else { return }
        let notice = #"{"jsonrpc":"2.0","method":"\#(Self.droppedNotificationMethod)","params":{"count":\#(dropped),"#
            + #""message":"\#(dropped) notifications were not sent: the client was not reading its input and more than "#
            + #"\#(backlogLimit) bytes waited to be written. Worker events are all in the trace: fetch the missing ones with trace (afterSeq)."}}"#
        framing.frame(Data(notice.utf8), into: &pending)
        dropped = 0
    }

    /// Blocks until everything sent so far is written (or the output failed); false if
    /// `timeout` passed first, as it does when the client stopped reading.
    @discardableResult
    func flush(timeout: Duration? = nil) -> Bool {
        let deadline = timeout.map { Date(timeIntervalSinceNow: Double($0.components.seconds) + Double($0.components.attoseconds) * 1e-18) }
        condition.lock()
        defer { condition.unlock() }
        while (!pending.isEmpty || writing) && !broken {
            if let deadline {
                if !condition.wait(until: deadline) { return false }
            } else {
                condition.wait()
            }
        }
        return true
    }

    /// Writes what is queued (waiting at most `timeout` for the client to read it), then
    /// stops the writer thread; later sends are dropped. False if the timeout passed.
    @discardableResult
    func close(timeout: Duration) -> Bool {
        let flushed = flush(timeout: timeout)
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        return flushed
    }

    private func run() {
        var spare: [UInt8] = []
        condition.lock()
        while true {
            while pending.isEmpty && !closed { condition.wait() }
            if pending.isEmpty { break }
            swap(&spare, &pending)
            writing = true
            inWrite = spare.count
            condition.unlock()
            let failure = writeAll(spare)
            spare.removeAll(keepingCapacity: spare.capacity <= 1 << 22)
            condition.lock()
            writing = false
            inWrite = 0
            reportDrops()
            if let failure {
                broken = true
                pending = []
                condition.broadcast()
                // Reported without the lock: the report may itself try to send (a log
                // line forwarded to the client), which must find the writer broken, not locked.
                condition.unlock()
                onFailure(failure)
                condition.lock()
            }
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Loops over partial writes and EINTR; returns a description of the failure, if any.
    private func writeAll(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return "writing to the client failed: \(String(cString: strerror(errno)))"
                }
                offset += written
            }
            return nil
        }
    }
}
