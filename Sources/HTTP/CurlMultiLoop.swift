import CCurl
import Foundation

/// One libcurl multi handle driven by one dedicated thread: every transfer of an
/// `HTTPClient` runs here, so a hundred streams cost one thread and one `poll`.
///
/// Other threads never touch the multi handle; they queue work under `lock` and call
/// `curl_multi_wakeup` (documented thread-safe) to interrupt `curl_multi_poll`.
///
/// `@unchecked Sendable`: `incoming`, `cancels` and `stopping` are only accessed while
/// holding `lock`; `active` and the multi handle's state are only accessed on the loop thread.
final class CurlMultiLoop: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer
    private let lock = NSLock()
    private var incoming: [CurlTransfer] = []
    private var cancels: [CurlTransfer] = []
    private var stopping = false
    /// Transfers added to the multi handle, by easy handle. Loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(name: String) {
        precondition(CurlLibrary.failure == nil, "the loop starts after a transfer was made, which loaded libcurl")
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed: out of memory") }
        self.multi = UnsafeMutableRawPointer(multi)
        _ = bosun_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, Self.keptConnections)
        let thread = Thread { [self] in
            // Named from inside: a name set before start never reaches the OS, whose name
            // is what top, perf and /proc show.
            bosun_name_this_thread(name)
            run()
        }
        thread.start()
    }

    /// How many connections libcurl keeps open for reuse once their transfers end. Its default,
    /// four per transfer running at that moment, falls to four as the last transfers of a burst
    /// end together (five workers finishing a wave), so it closed the fifth idle connection to
    /// the provider and the next request paid a new TCP and TLS handshake. 64 keeps every
    /// connection of a session's workers (5 by default) and of a few sessions besides.
    static let keptConnections = 64

    /// Hands a configured transfer to the loop thread.
    func submit(_ transfer: CurlTransfer) {
        lock.withLock {
            transfer.submitted = true
            incoming.append(transfer)
        }
        curl_multi_wakeup(multi)
    }

    /// Aborts a transfer wherever it is: queued, running, or already done (then a no-op).
    func cancel(_ transfer: CurlTransfer) {
        lock.withLock {
            transfer.cancelRequested = true
            // Not yet submitted: `submit` will see the flag. Its delivery may still be being set.
            if transfer.submitted { cancels.append(transfer) }
        }
        curl_multi_wakeup(multi)
    }

    /// Fails every transfer as cancelled and ends the thread.
    func stop() {
        lock.withLock { stopping = true }
        curl_multi_wakeup(multi)
    }

    private func run() {
        var running: Int32 = 0
        while true {
            let (added, cancelled, stop) = lock.withLock {
                defer { incoming.removeAll(); cancels.removeAll() }
                return (incoming.filter { !$0.cancelRequested }, incoming.filter(\.cancelRequested) + cancels, stopping)
            }
            for transfer in added {
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
            curl_multi_perform(multi, &running)
            readCompletions()
            let wait = expireIdle()
            paceWakeups()
            curl_multi_poll(multi, nil, 0, Int32(wait), nil)
        }
    }

    /// When the loop last came out of `curl_multi_poll`.
    private var lastWake = ContinuousClock.now

    /// With many transfers, waits out the rest of `Self.minimumWakeInterval` since the last
    /// wake, so one wake serves many sockets: libcurl 7.x's `curl_multi_perform` and `poll`
    /// both visit every transfer on each wake, and with 100 streams sending a token each
    /// every 20 ms, waking per token is what costs. With a handful of transfers (a session's
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
