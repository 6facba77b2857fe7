import BosunJSON
import BosunProtocol
import Foundation
import Workers

/// A pending `await` (or `spawn` with `wait`), woken when its condition holds.
struct Waiter {
    var workerIds: [String]
    var mode: AwaitParams.Mode
    /// Its workers not seen ending since it last checked them all: an end takes one out, and
    /// it checks them all again once none is left (one may have been resumed since it ended).
    var pending: Set<String>
    var continuation: CheckedContinuation<Void, Never>
    var timeout: Task<Void, Never>?
    /// A parent in `await_workers`: a child's ask to it ends the wait too.
    var parentOfAskers: String?
}

extension Session {
    /// A running or queued worker reads the message before its next model call; an ended
    /// one (except a cancelled one) resumes its own conversation with it.
    public func steer(_ params: SteerParams) throws -> SteerResult {
        let entry = try requireEntry(params.workerId)
        let message = params.message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !message.isEmpty else {
            throw SessionError.invalidParams("message", "message is empty. Say what the worker should do differently.")
        }
        let workerId = params.workerId
        switch entry.phase {
        case .ended(let end) where end.outcome.state == .cancelled:
            throw SessionError.invalidState(workerId, state: .cancelled, action: "be steered",
                                            hint: "A cancelled worker stays cancelled; spawn a new worker for the task.")
        case .active, .ending:
            // One that is ending reads it if it goes on (`end` requeues it unless it was
            // cancelled or interrupted).
            entry.inbox.add(message)
            return SteerResult(workerId: workerId, state: entry.state, delivery: .nextStep)
        case .ended:
            guard !closing else {
                throw SessionError.invalidState(workerId, state: entry.state, action: "be resumed now",
                                                hint: "The session is shutting down; reconnect with the same session and steer again.")
            }
            try checkSessionBudget()
            let place = try reserveQueuePlace(blocked: false)
            entry.inbox.add(message)
            requeue(workerId, place: place)
            pump()
            return SteerResult(workerId: workerId, state: entries[workerId]?.state ?? .queued, delivery: .resumed)
        }
    }

    /// Cancels one worker, or every queued and running one with `all`. Returns after the
    /// cancellations are committed.
    public func cancel(_ params: CancelParams) async throws -> CancelResult {
        let reason = params.reason.map { "Cancelled by the client: \($0)" } ?? "Cancelled by the client."
        let failure = WorkerFailure(code: .cancelled, message: reason)
        if params.all == true {
            await stopAllOrchestrations(state: .cancelled, reason: reason)
            let targets = order.filter { entries[$0]?.isActive == true }
            // Queued workers first, so none is admitted into a slot a running one frees.
            let queuedFirst = targets.filter { entries[$0]?.state == .queued } + targets.filter { entries[$0]?.state != .queued }
            var cancelled: [String] = []
            for workerId in queuedFirst {
                guard entries[workerId]?.isActive == true else { continue }
                await end(workerId, run: nil, .cancelled(failure))
                cancelled.append(workerId)
            }
            return CancelResult(cancelled: cancelled)
        }
        guard let workerId = params.workerId else {
            throw SessionError.invalidParams("workerId", "Give workerId to cancel one worker, or all: true to cancel every queued and running one.")
        }
        if let orchestration = orchestrations[workerId]?.ledger {
            guard !orchestration.state.isTerminal, orchestration.stop == nil else {
                throw SessionError(code: SessionError.invalidStateCode, message: """
                    Orchestration \(workerId) is \(orchestration.state.rawValue); it has ended or is stopping. Nothing to cancel.
                    """, data: ["field": "workerId", "state": .string(orchestration.state.rawValue)])
            }
            let running = order.filter { entries[$0]?.parentId == workerId && entries[$0]?.state.isTerminal == false }
            await stopOrchestration(workerId, state: .cancelled, reason: reason)
            return CancelResult(cancelled: [workerId] + running)
        }
        let entry = try requireEntry(workerId)
        guard entry.isActive else {
            throw SessionError.invalidState(workerId, state: entry.state, action: "be cancelled",
                                            hint: "It has already ended; nothing to cancel.")
        }
        await end(workerId, run: nil, .cancelled(failure))
        return CancelResult(cancelled: [workerId])
    }

    /// Waits until all (or any) of the workers have ended, or the timeout passes.
    public func awaitWorkers(_ params: AwaitParams) async throws -> AwaitResult {
        let workerIds = params.workers ?? order
        for workerId in workerIds where entries[workerId] == nil {
            throw SessionError.unknownWorker(workerId, field: "workers")
        }
        if let timeout = params.timeoutSeconds, !(timeout.isFinite && timeout >= 0) {
            throw SessionError.invalidParams("timeoutSeconds", "timeoutSeconds must be 0 or more seconds; got \(timeout).")
        }
        try await wait(for: workerIds, mode: params.mode ?? .all, timeoutSeconds: params.timeoutSeconds)
        var finished: [Worker] = []
        var pending: [String] = []
        for workerId in workerIds {
            if let entry = entries[workerId], entry.hasEnded {
                finished.append(entry.view(queuePosition: nil, includeResult: true))
            } else {
                pending.append(workerId)
            }
        }
        return AwaitResult(finished: finished, pending: pending)
    }

    /// Suspends until the condition holds, the timeout passes, or the calling task is cancelled
    /// (then throws `CancellationError`).
    /// `parentOfAskers`: also wake when a child of this worker asks it something.
    func wait(for workerIds: [String], mode: AwaitParams.Mode, timeoutSeconds: Double?, parentOfAskers: String? = nil) async throws {
        guard !isSatisfied(workerIds, mode: mode) else { return }
        let waiterId = nextWaiterId
        nextWaiterId += 1
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                guard !Task.isCancelled, !closing else {
                    continuation.resume()
                    return
                }
                var waiter = Waiter(workerIds: workerIds, mode: mode, pending: unended(workerIds), continuation: continuation,
                                    parentOfAskers: parentOfAskers)
                if let timeoutSeconds {
                    waiter.timeout = Task {
                        try? await Task.sleep(for: .clampedSeconds(timeoutSeconds))
                        guard !Task.isCancelled else { return }
                        self.releaseWaiter(waiterId)
                    }
                }
                waiters[waiterId] = waiter
            }
        } onCancel: {
            Task { await self.releaseWaiter(waiterId) }
        }
        try Task.checkCancellation()
    }

    func releaseWaiter(_ waiterId: UInt64) {
        guard let waiter = waiters.removeValue(forKey: waiterId) else { return }
        waiter.timeout?.cancel()
        waiter.continuation.resume()
    }

    /// Wakes every waiter whose condition now holds; called after `workerId`'s terminal
    /// commit. Only the waiters that wait for it look again, each at all its workers only
    /// once it has seen every one of them end.
    func resolveWaiters(after workerId: String) {
        var satisfied: [UInt64] = []
        for index in waiters.indices where waiters.values[index].pending.remove(workerId) != nil {
            let (waiterId, waiter) = waiters[index]
            guard waiter.mode == .any || waiter.pending.isEmpty else { continue }
            if isSatisfied(waiter.workerIds, mode: waiter.mode) {
                satisfied.append(waiterId)
            } else {
                waiters.values[index].pending = unended(waiter.workerIds)
            }
        }
        for waiterId in satisfied { releaseWaiter(waiterId) }
    }

    /// The workers of `workerIds` that have not ended.
    private func unended(_ workerIds: [String]) -> Set<String> {
        Set(workerIds.filter { id in entries.index(forKey: id).map { !entries.values[$0].hasEnded } ?? false })
    }

    private func isSatisfied(_ workerIds: [String], mode: AwaitParams.Mode) -> Bool {
        let ended = { (id: String) in
            self.entries.index(forKey: id).map { self.entries.values[$0].hasEnded } ?? true
        }
        switch mode {
        case .all: return workerIds.allSatisfy(ended)
        case .any: return workerIds.isEmpty || workerIds.contains(where: ended)
        }
    }
}
