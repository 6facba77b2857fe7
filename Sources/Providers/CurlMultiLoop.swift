import CCurl
import Foundation

/// One libcurl multi handle driven by one dedicated thread: every transfer of an
/// `HTTPClient` runs here, so a hundred streams cost one thread and one `poll`.
///
/// The loop uses libcurl's socket interface: libcurl says which sockets to watch
/// (`watch`) and when it next needs time (`setTimer`); the loop polls those sockets and
/// hands each ready one to `curl_multi_socket_action`, so a wake costs work for that
/// transfer only. (`curl_multi_perform` visited every transfer on every wake and polled
/// each one's socket: most of a step's system calls.)
///
/// Other threads never touch the multi handle; they queue work under `lock` and write a
/// byte to the wake-up pipe, which the loop polls with the sockets.
///
/// `@unchecked Sendable`: `incoming`, `cancels` and `stopping` are only accessed while
/// holding `lock`; `active`, `watched`, `timerDeadline` and the multi handle's state are
/// only accessed on the loop thread (libcurl calls the socket and timer callbacks there,
/// from inside the calls the loop makes). The wake-up pipe's descriptors never change.
final class CurlMultiLoop: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var incoming: [CurlTransfer] = []
    private var cancels: [CurlTransfer] = []
    private var stopping = false
    /// Transfers added to the multi handle, by easy handle. Loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// The sockets libcurl asked to watch, with the `poll` events it wants. Loop thread only.
    private var watched: [curl_socket_t: Int16] = [:]
    /// When libcurl wants `CURL_SOCKET_TIMEOUT` handled; nil when it has no timer. Loop thread only.
    private var timerDeadline: ContinuousClock.Instant?
    /// Read end and write end of the wake-up pipe (non-blocking, close-on-exec).
    private let wakeRead: Int32
    private let wakeWrite: Int32

    init(name: String) {
        _ = CurlGlobal.initialized
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = UnsafeMutableRawPointer(multi)
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { fatalError("pipe failed: \(String(cString: strerror(errno)))") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = bosun_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = bosun_multi_setopt_socket_callback(multi, curlSocketCallback)
        _ = bosun_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
        _ = bosun_multi_setopt_timer_callback(multi, curlTimerCallback)
        let thread = Thread { [self] in
            // Named from inside: on Linux, a name set before start never reaches the OS,
            // and the OS's name is what top, perf and /proc show.
            Thread.current.name = name
            run()
        }
        thread.start()
    }

    /// The pipe is closed only here, when nothing can call `wake` any more: closed at `stop`,
    /// a late `cancel` could write into whatever file reused its descriptor number.
    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Hands a configured transfer to the loop thread.
    func submit(_ transfer: CurlTransfer) {
        lock.withLock {
            transfer.submitted = true
            incoming.append(transfer)
        }
        wake()
    }

    /// Aborts a transfer wherever it is: queued, running, or already done (then a no-op).
    func cancel(_ transfer: CurlTransfer) {
        lock.withLock {
            transfer.cancelRequested = true
            // Not yet submitted: `submit` will see the flag. Its delivery may still be being set.
            if transfer.submitted { cancels.append(transfer) }
        }
        wake()
    }

    /// Fails every transfer as cancelled and ends the thread.
    func stop() {
        lock.withLock { stopping = true }
        wake()
    }

    /// Interrupts the loop's `poll`. A full pipe already holds a wake-up, so a failed write is fine.
    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func run() {
        while true {
            let (added, cancelled, stop) = lock.withLock {
                defer { incoming.removeAll(); cancels.removeAll() }
                return (incoming.filter { !$0.cancelRequested }, incoming.filter(\.cancelRequested) + cancels, stopping)
            }
            for transfer in added {
                // libcurl asks (through the timer) to be driven at once for the new handle.
                if curl_multi_add_handle(multi, transfer.easy) == CURLM_OK {
                    active[transfer.easy] = transfer
                    nextIdleScan = min(nextIdleScan, transfer.lastActivity + .seconds(transfer.idleTimeout))
                } else {
                    transfer.complete(.curl(CURLE_FAILED_INIT))
                }
            }
            for transfer in cancelled { finish(transfer, .cancelled) }
            if stop {
                for transfer in Array(active.values) { finish(transfer, .cancelled) }
                curl_multi_cleanup(multi)
                return
            }
            runTimerIfDue()
            readCompletions()
            var wait = expireIdle()
            if let timerDeadline { wait = min(wait, Self.milliseconds(until: timerDeadline)) }
            paceWakeups()
            pollAndAct(timeout: wait)
            runTimerIfDue()
            readCompletions()
        }
    }

    /// Polls the wake-up pipe and the watched sockets, then gives libcurl each ready socket.
    private func pollAndAct(timeout: Int) {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        fds.reserveCapacity(watched.count + 1)
        for (socket, events) in watched { fds.append(pollfd(fd: socket, events: events, revents: 0)) }
        guard poll(&fds, nfds_t(fds.count), Int32(timeout)) > 0 else { return }
        if fds[0].revents != 0 {
            var sink = [UInt8](repeating: 0, count: 64)
            while read(wakeRead, &sink, sink.count) > 0 {}
        }
        var running: Int32 = 0
        for entry in fds.dropFirst() where entry.revents != 0 {
            var mask: Int32 = 0
            if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { mask |= CURL_CSELECT_IN }
            if entry.revents & Int16(POLLOUT) != 0 { mask |= CURL_CSELECT_OUT }
            if entry.revents & Int16(POLLERR) != 0 { mask |= CURL_CSELECT_ERR }
            curl_multi_socket_action(multi, entry.fd, mask, &running)
        }
    }

    /// Lets libcurl do its timed work (connecting, its own timeouts, newly added handles).
    private func runTimerIfDue() {
        guard let deadline = timerDeadline, deadline <= .now else { return }
        timerDeadline = nil
        var running: Int32 = 0
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
    }

    /// libcurl's socket callback: what to watch `socket` for, or to stop watching it.
    fileprivate func watch(_ socket: curl_socket_t, _ what: Int32) {
        switch what {
        case CURL_POLL_IN: watched[socket] = Int16(POLLIN)
        case CURL_POLL_OUT: watched[socket] = Int16(POLLOUT)
        case CURL_POLL_INOUT: watched[socket] = Int16(POLLIN | POLLOUT)
        default: watched[socket] = nil  // CURL_POLL_REMOVE
        }
    }

    /// libcurl's timer callback: -1 removes the timer, otherwise it is due in `milliseconds`.
    fileprivate func setTimer(_ milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }

    private static func milliseconds(until deadline: ContinuousClock.Instant) -> Int {
        let components = (deadline - .now).components
        guard components.seconds >= 0, components.attoseconds >= 0 else { return 0 }
        // Rounded up, so the poll does not return just before the deadline.
        return Int(components.seconds) * 1000 + Int((components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }

    /// When the loop last came out of `poll`.
    private var lastWake = ContinuousClock.now

    /// With many transfers, waits out the rest of `Self.minimumWakeInterval` since the last
    /// wake, so one wake serves many sockets: with 100 streams sending a token each every
    /// 20 ms, waking per token is what costs. With a handful of transfers (a session's
    /// usual 5 workers) the loop answers at once, so request latency is untouched.
    private func paceWakeups() {
        let now = ContinuousClock.now
        let sinceWake = now - lastWake
        if active.count >= Self.pacingThreshold, sinceWake < Self.minimumWakeInterval {
            let rest = (Self.minimumWakeInterval - sinceWake).components
            usleep(useconds_t(rest.attoseconds / 1_000_000_000_000))
        }
        lastWake = .now
    }

    /// Adds at most this much latency to an event, and only with many transfers running.
    static let minimumWakeInterval = Duration.milliseconds(2)
    static let pacingThreshold = 16

    private func readCompletions() {
        var remaining: Int32 = 0
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                  let transfer = active[easy] else { continue }
            finish(transfer, .curl(message.pointee.data.result))
        }
    }

    /// When `expireIdle` next looks at every transfer.
    private var nextIdleScan = ContinuousClock.now

    /// Fails transfers silent for longer than their idle timeout, scanning at most every
    /// 100 ms (a scan visits every transfer); returns the milliseconds until the next scan
    /// is due (at most 1 s), as the poll timeout.
    private func expireIdle() -> Int {
        let now = ContinuousClock.now
        if now >= nextIdleScan {
            var next = Duration.seconds(1)
            for transfer in Array(active.values) {
                let left = transfer.lastActivity + .seconds(transfer.idleTimeout) - now
                if left <= .zero { finish(transfer, .idle) } else { next = min(next, left) }
            }
            nextIdleScan = now + max(next, .milliseconds(100))
        }
        let components = (nextIdleScan - now).components
        return max(1, Int(components.seconds) * 1000 + Int(components.attoseconds / 1_000_000_000_000_000) + 1)
    }

    /// Removes the handle (closing its connection if the transfer was incomplete) and reports.
    private func finish(_ transfer: CurlTransfer, _ ending: CurlTransfer.Ending) {
        if active.removeValue(forKey: transfer.easy) != nil {
            curl_multi_remove_handle(multi, transfer.easy)
        }
        transfer.complete(ending)
    }
}

private let curlSocketCallback: curl_socket_callback = { _, socket, what, userdata, _ in
    guard let userdata else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(userdata).takeUnretainedValue().watch(socket, what)
    return 0
}

private let curlTimerCallback: curl_multi_timer_callback = { _, milliseconds, userdata in
    guard let userdata else { return 0 }
    Unmanaged<CurlMultiLoop>.fromOpaque(userdata).takeUnretainedValue().setTimer(milliseconds)
    return 0
}
