import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The single writer of the output file descriptor.
///
/// Senders append framed bytes to a buffer and return at once; one thread writes whatever
/// has piled up with as few `write` calls as possible, so under load many responses leave
/// in one syscall, and no two messages can ever interleave.
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

    init(fd: Int32, framing: Framing, onFailure: @escaping @Sendable (String) -> Void) {
        self.fd = fd
        self.framing = framing
        self.onFailure = onFailure
    }

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

    /// Queues one JSON text; returns without waiting for the write.
    func send(_ json: Data) {
        condition.lock()
        defer { condition.unlock() }
        guard !broken, !closed else { return }
        framing.frame(json, into: &pending)
        condition.broadcast()
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
            condition.unlock()
            let failure = writeAll(spare)
            spare.removeAll(keepingCapacity: spare.capacity <= 1 << 22)
            condition.lock()
            writing = false
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
