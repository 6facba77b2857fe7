import BosunJSON
import BosunProtocol
import Config
import Foundation
import Workers

extension Session {
    /// Carries out a role's recovery settings (see `WorkerRecovery`) for a run that ended on
    /// its own: the worker goes back on the queue to resume its conversation, on a fallback
    /// model or on the same one, instead of ending. Returns whether it did. Cancels, shutdown
    /// and a session that is closing never recover.
    func recover(_ workerId: String, run: Int, _ outcome: WorkerEnd.Outcome) -> Bool {
        guard !closing, var entry = entries[workerId], entry.run == run, entry.activity == .running,
              let role = try? config.role(named: entry.role) else { return false }
        let state = outcome.state, failure = outcome.failure
        var recovery = entry.recovery ?? WorkerRecovery(role: role)
        let decision = recovery.decide(state: state, failure: failure)
        entry.recovery = recovery
        guard let decision else {
            entries[workerId] = entry
            return false
        }
        let reason = WorkerRecovery.reason(state: state, failure: failure) ?? state.rawValue
        let data: WorkerEventData
        var note = "Your last run ended with \(reason)"
        if let failure { note += ": \(failure.message)" }
        switch decision {
        case .fallback(let model):
            guard (try? config.resolveModel(model)) != nil else { return false }
            data = .fallback(reason: reason, run: run, model: model, previousModel: entry.model)
            note += " The model \(entry.model) is failing; you now run on \(model). Continue the task."
            entry.model = model
        case .retry(let attempt, let of):
            data = .runRetry(reason: reason, run: run, attempt: attempt, of: of)
            note += " This is retry \(attempt) of \(of): continue the task, and do not repeat what did not work."
        }
        entry.loopTask?.cancel()
        entry.loopTask = nil
        disarmDeadline(workerId)
        entry.inbox.add(note)
        entry.phase = .active(.queued)
        entries[workerId] = entry
        scheduler.release(workerId)
        store.submit(.workerProgress(entry.record))
        emit(workerId, data)
        scheduler.enqueue(workerId, priority: entry.priority)
        emit(workerId, .requeued(position: scheduler.queuePosition(of: workerId) ?? 0, priority: entry.priority))
        pump()
        return true
    }
}
