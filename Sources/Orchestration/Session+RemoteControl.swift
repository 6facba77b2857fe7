import BosunJSON
import BosunProtocol
import Foundation
import TraceStore

/// Requests from other processes sharing the store (`bosun top`, `bosun cancel`, `bosun answer`), which
/// cannot reach this session's client connection: they write a row to the store's
/// `controls` table and this session answers it. The same poll renews the session's lease,
/// which tells `bosun trace prune` that a live process holds it.
///
/// One light poll: every half second a query on the trace writer's thread that reads a
/// partial index of unhandled requests (empty almost always). No worker waits on it, and
/// it shares the writer's queue, so it costs at most one extra batch commit per poll.
extension Session {
    /// Half a second keeps a cancel from another terminal under a second end to end.
    static let remoteControlInterval: Duration = .milliseconds(500)

    /// The session's lease in the store (which keeps `bosun trace prune` off it) is renewed
    /// every this many polls, 15 s, well inside the lease's 60 s.
    static let leaseRenewalPolls = 30

    /// Starts the poll, which also renews the session's lease; `close` stops it. The task
    /// holds the session weakly, so a session dropped without `close` does not live on for
    /// its poll's sake.
    func startRemoteControlPoll() {
        remoteControlPoll = Task { [weak self] in
            var polls = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.remoteControlInterval)
                guard let session = self, !Task.isCancelled else { return }
                await session.answerRemoteControls()
                polls += 1
                if polls % Self.leaseRenewalPolls == 0 { await session.renewLease() }
            }
        }
    }

    /// Only a stored session holds a lease (`isStored`): there is nothing to prune before.
    func renewLease() async {
        guard !closing, isStored else { return }
        do {
            try await store.holdSession(id: id)
        } catch {
            logger.warning("could not renew this session's lease in the trace store: \(error)")
        }
    }

    func stopRemoteControlPoll() {
        remoteControlPoll?.cancel()
        remoteControlPoll = nil
    }

    /// Handles every pending request of this session and records each outcome.
    func answerRemoteControls() async {
        guard !closing else { return }
        let pending: [ControlRequest]
        do {
            pending = try await store.pendingControls(sessionId: id)
        } catch {
            logger.debug("could not read control requests from the trace store: \(error)")
            return
        }
        for request in pending {
            let outcome: String
            switch request.action {
            case .cancel:
                do {
                    _ = try await cancel(CancelParams(workerId: request.workerId, reason: request.reason))
                    outcome = "cancelled"
                } catch let error as SessionError {
                    outcome = error.message
                } catch {
                    outcome = "\(error)"
                }
            case .answer:
                outcome = await answerRemotely(request.payload)
            }
            logger.info("control request \(request.id) from another process: \(request.action.rawValue) \(request.workerId): \(outcome)")
            do {
                try await store.finishControl(id: request.id, outcome: outcome)
            } catch {
                logger.warning("could not record the outcome of control request \(request.id): \(error)")
            }
        }
    }

    /// The outcome of an answer another process sent (`bosun answer`): `answered`, or why not.
    private func answerRemotely(_ payload: String?) async -> String {
        guard let params = try? JSONValue.parse(payload ?? "").decode(as: AnswerParams.self) else {
            return "the request carries no answer ({askId, decision?, text?})"
        }
        do {
            _ = try await answer(params, by: "remote")
            return "answered"
        } catch let error as SessionError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}
