import BosunProtocol
import Foundation
import Workers

/// When a worker's current run must end (its `timeoutSeconds` from its start).
struct WorkerDeadline: Sendable {
    var run: Int
    var at: ContinuousClock.Instant
    var timeoutSeconds: Double
}

extension Duration {
    /// `seconds` as a Duration, at most about 31 years: a larger finite number (a client's
    /// `1e300`) cannot be represented and would stop the process.
    static func clampedSeconds(_ seconds: Double) -> Duration {
        .seconds(min(seconds, 1e9))
    }

    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }

    var wholeMilliseconds: Int { Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000) }
}

extension Session {
    /// Arms the deadline of run `run`. One timer serves the whole session: it sleeps until
    /// the earliest deadline and is moved only when a sooner one arrives, so starting and
    /// ending a worker cost no task or wake-up of their own (a worker's end just forgets its
    /// deadline; the timer then finds nothing due and sleeps until the next one).
    /// `left`: what remains of the timeout, for a run whose clock was stopped while it waited.
    func armDeadline(_ workerId: String, run: Int, timeoutSeconds: Double, left: Double? = nil) {
        let at = ContinuousClock.now + .clampedSeconds(left ?? timeoutSeconds)
        deadlines[workerId] = WorkerDeadline(run: run, at: at, timeoutSeconds: timeoutSeconds)
        if let timer = deadlineTimer, timer.at <= at { return }
        startDeadlineTimer(at: at)
    }

    func disarmDeadline(_ workerId: String) {
        deadlines[workerId] = nil
    }

    func stopDeadlineTimer() {
        deadlineTimer?.task.cancel()
        deadlineTimer = nil
    }

    private func startDeadlineTimer(at: ContinuousClock.Instant) {
        deadlineTimer?.task.cancel()
        let task = Task { [weak self] in
            try? await Task.sleep(until: at, clock: .continuous)
            guard !Task.isCancelled else { return }
            await self?.endOverdueWorkers()
        }
        deadlineTimer = (at, task)
    }

    /// Ends every worker past its deadline as `timed_out`, then sleeps until the next one.
    private func endOverdueWorkers() async {
        deadlineTimer = nil
        let now = ContinuousClock.now
        let overdue = deadlines.filter { $0.value.at <= now }.sorted { $0.key < $1.key }
        for (workerId, deadline) in overdue {
            // An earlier end in this loop may have let the worker end and start a new run,
            // with a deadline of its own: that one stays.
            guard deadlines[workerId]?.run == deadline.run else { continue }
            deadlines[workerId] = nil
            await end(workerId, run: deadline.run, .timedOut(WorkerFailure(code: .timeout, message: """
                The worker ran past its timeout of \(String(format: "%g", deadline.timeoutSeconds)) s and was stopped. \
                Raise limits.timeoutSeconds or narrow the task, then steer it to continue.
                """)))
        }
        // Workers may have started (arming a timer) while the ends above were committed.
        guard !closing, let next = deadlines.values.map(\.at).min() else { return }
        if let timer = deadlineTimer, timer.at <= next { return }
        startDeadlineTimer(at: next)
    }
}
