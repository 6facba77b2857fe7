import BosunJSON
import BosunProtocol
import Foundation
import TraceStore
import Workers

/// Where a worker is in its life, with what each phase has: alive (queued, running or
/// waiting), ending (its end on the way to the store) or ended. A terminal state is set only
/// once the store holds it, and a worker that is ending takes no other transition.
enum WorkerPhase: Sendable {
    case active(Activity)
    /// Committing `end`: it still shows as `from`, the state it ends from, since nobody may
    /// hear of an end the store does not hold.
    case ending(WorkerEnd, from: Activity)
    case ended(WorkerEnd)

    /// A phase of a worker that lives.
    enum Activity: Sendable, Hashable {
        /// Waiting for a slot: new, requeued, parked in `await_workers`, or back from an ask.
        case queued
        case running
        /// It asked and waits for the answers: it holds no slot.
        case waiting

        var state: WorkerState {
            switch self {
            case .queued: return .queued
            case .running: return .running
            case .waiting: return .waiting
            }
        }
    }

    /// The state the protocol shows.
    var state: WorkerState {
        switch self {
        case .active(let activity), .ending(_, from: let activity): return activity.state
        case .ended(let end): return end.outcome.state
        }
    }

    /// What it is doing while it lives and is not ending; nil once its end has begun.
    var activity: Activity? {
        if case .active(let activity) = self { return activity }
        return nil
    }

    /// Its end, once committed.
    var end: WorkerEnd? {
        if case .ended(let end) = self { return end }
        return nil
    }
}

extension WorkerPhase {
    /// The phase a stored row shows: its state, and for an ended worker the outcome read from
    /// its JSON text once and written again, so the text an answer splices is always what
    /// writing the typed outcome gives (a row may hold an older bosun's form, or fields this
    /// one does not know). A row that does not say how it ended (the store marked it
    /// `interrupted`, or the text cannot be read) gets the outcome its state implies, and
    /// nothing it holds is dropped: an unreadable result's text stays as the result's text.
    init(stored record: WorkerRecord) {
        let at = record.endedAt ?? record.startedAt ?? record.createdAt
        let state = WorkerState(rawValue: record.state) ?? .interrupted
        switch state {
        case .queued: self = .active(.queued)
        case .running: self = .active(.running)
        case .waiting: self = .active(.waiting)
        case .succeeded:
            let result = record.resultJSON.flatMap { try? JSONValue.parse($0).decode(as: WorkerResult.self) }
            self = .ended(WorkerEnd(.succeeded(result ?? WorkerResult(text: record.resultJSON ?? "")), at: at))
        case .failed, .cancelled, .timedOut, .interrupted:
            if let text = record.errorJSON, let failure = try? JSONValue.parse(text).decode(as: WorkerFailure.self),
               let outcome = WorkerEnd.Outcome(state: state, failure: failure) {
                self = .ended(WorkerEnd(outcome, at: at))
            } else {
                let failure = WorkerFailure.unstated(state, stored: record.errorJSON)
                self = .ended(WorkerEnd(WorkerEnd.Outcome(state: state, failure: failure) ?? .interrupted(failure), at: at))
            }
        }
    }
}

/// A worker's end as committed: its outcome, when, and the outcome's JSON text, written once
/// when the worker ends (or its row is read back) and used as it is by the store's row, the
/// terminal event, and the `status` and `await` answers (`Worker.writtenOutcome`).
struct WorkerEnd: Sendable {
    let outcome: Outcome
    let at: Date
    let json: String

    /// How a worker ended: each terminal state with what it left.
    enum Outcome: Sendable {
        case succeeded(WorkerResult)
        case failed(WorkerFailure)
        case cancelled(WorkerFailure)
        case timedOut(WorkerFailure)
        case interrupted(WorkerFailure)

        var state: WorkerState {
            switch self {
            case .succeeded: return .succeeded
            case .failed: return .failed
            case .cancelled: return .cancelled
            case .timedOut: return .timedOut
            case .interrupted: return .interrupted
            }
        }

        var result: WorkerResult? {
            if case .succeeded(let result) = self { return result }
            return nil
        }

        var failure: WorkerFailure? {
            switch self {
            case .succeeded: return nil
            case .failed(let failure), .cancelled(let failure), .timedOut(let failure), .interrupted(let failure):
                return failure
            }
        }

        /// A state that ends without a result, with its failure; nil for any other state.
        init?(state: WorkerState, failure: WorkerFailure) {
            switch state {
            case .failed: self = .failed(failure)
            case .cancelled: self = .cancelled(failure)
            case .timedOut: self = .timedOut(failure)
            case .interrupted: self = .interrupted(failure)
            case .queued, .running, .waiting, .succeeded: return nil
            }
        }

        /// Whether steers it had not read yet resume it: not after a cancel or a shutdown.
        var keepsSteers: Bool {
            switch self {
            case .cancelled, .interrupted: return false
            case .succeeded, .failed, .timedOut: return true
            }
        }

        /// The result, or the failure, as its Codable form spells it.
        var json: JSONValue { result?.json ?? failure?.json ?? .null }
    }


    /// The terminal event's data (`WorkerEventData.ended`'s JSON), with the outcome's text as
    /// it is rather than written again. Keys in the order the JSON writer sorts them.
    func eventJSON(steps: Int, costUSD: Double) -> String {
        let member = outcome.result == nil ? "error" : "result"
        return "{\"costUSD\":\(JSONText.string(.double(costUSD))),\"\(member)\":\(json),"
            + "\"state\":\"\(outcome.state.rawValue)\",\"steps\":\(steps)}"
    }
}

extension WorkerEnd {
    /// The outcome with its text written now. (In an extension, so that the memberwise
    /// `init(outcome:at:json:)` stays: tests give an end a text of their own.)
    init(_ outcome: Outcome, at: Date) {
        self.init(outcome: outcome, at: at, json: JSONText.string(outcome.json))
    }
}

extension WorkerFailure {
    /// What a stored end that gives no readable reason shows: the code its state implies,
    /// and the stored text, if any, in the message.
    static func unstated(_ state: WorkerState, stored text: String?) -> WorkerFailure {
        switch state {
        case .interrupted where text == nil: return .interrupted
        case .cancelled: return WorkerFailure(code: .cancelled, message: unstatedMessage(text))
        case .timedOut: return WorkerFailure(code: .timeout, message: unstatedMessage(text))
        case .interrupted: return WorkerFailure(code: .interrupted, message: unstatedMessage(text))
        default: return WorkerFailure(code: .storeError, message: unstatedMessage(text))
        }
    }

    private static func unstatedMessage(_ text: String?) -> String {
        text.map { "The store holds this worker's end in a form that cannot be read: \($0)" }
            ?? "The store does not say why this worker ended."
    }
}
