import BosunJSON
import BosunProtocol
import Foundation
import TraceStore
import Workers

/// A worker's asks (its `ask` tool, a tool call its approval rules say to ask about).
///
/// An ask is stored before anyone hears of it. The worker then waits: it shows `waiting`,
/// gives its slot back (as a parent waiting in `await_workers` does) and its timeout clock
/// stops, keeping what was left. An answer (or `limits.maxWaitSeconds` passing, which
/// answers `deny`) is stored, announced with an `answered` event, and the worker queues
/// for a slot; once it has one its clock runs again from where it stopped.
struct SessionAsking: WorkerAsking {
    let session: Session

    func ask(_ request: AskRequest, from workerId: String) async throws -> AskReply {
        try await session.ask(request, from: workerId)
    }
}

/// An ask waiting for its answer, and the worker's loop waiting for it.
struct OpenAsk: Sendable {
    var ask: Ask
    var route: AskRoute
    var run: Int
    var askedAt: ContinuousClock.Instant
    var continuation: CheckedContinuation<AskReply, any Error>?
    /// Answers `deny` when `limits.maxWaitSeconds` passes.
    var expiry: Task<Void, Never>?
}

extension Session {
    func ask(_ request: AskRequest, from workerId: String) async throws -> AskReply {
        guard let entry = entries[workerId], entry.state == .running, !entry.ending else { throw CancellationError() }
        let run = entry.run
        let ask = Self.makeAsk(request, workerId: workerId)
        let route = AskRoute.client
        let record = AskRecord(id: ask.askId, sessionId: id, workerId: workerId, askJSON: ask.json.jsonString(),
                               route: route.rawValue, toolCallId: entry.currentToolCallId, createdAt: Date())
        do {
            try await store.insertAsk(record)
        } catch {
            throw ToolError("Your ask could not be stored, so nobody was asked: \(error). Decide yourself, and say what you assumed.")
        }
        guard var current = entries[workerId], current.run == run, current.state == .running, !current.ending else {
            throw CancellationError()
        }
        try Task.checkCancellation()
        if let deadline = deadlines[workerId], deadline.run == run {
            current.pausedTimeout = (max(0, ContinuousClock.now.duration(to: deadline.at).inSeconds), deadline.timeoutSeconds)
            disarmDeadline(workerId)
        }
        current.record.state = WorkerState.waiting.rawValue
        current.pendingAsks.append(ask)
        entries[workerId] = current
        scheduler.release(workerId)
        store.submit(.workerProgress(current.record))
        openAsks[ask.askId] = OpenAsk(ask: ask, route: route, run: run, askedAt: .now)
        emit(workerId, .asked(ask, to: route, again: false))
        reportProgress(workerId, message: "waiting for an answer: \(ask.question)")
        pump()

        let maxWait = current.spec.limits.maxWaitSeconds
        let reply = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<AskReply, any Error>) in
                guard !Task.isCancelled, openAsks[ask.askId] != nil else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                openAsks[ask.askId]?.continuation = continuation
                openAsks[ask.askId]?.expiry = Task { [weak self] in
                    try? await Task.sleep(for: .clampedSeconds(maxWait))
                    guard !Task.isCancelled else { return }
                    await self?.expire(ask.askId, after: maxWait)
                }
            }
        } onCancel: {
            Task { await self.withdraw(ask.askId) }
        }
        try await takeSlotAgain(workerId)
        if let paused = entries[workerId]?.pausedTimeout {
            entries[workerId]?.pausedTimeout = nil
            armDeadline(workerId, run: run, timeoutSeconds: paused.timeoutSeconds, left: paused.left)
        }
        return reply
    }

    /// `answer`: from a client, over any front end.
    public func answer(_ params: AnswerParams) async throws -> AnswerResult {
        try await answer(params, by: "client")
    }

    /// Answers an open ask after checking the answer fits it; `by` says who answered.
    func answer(_ params: AnswerParams, by answeredBy: String) async throws -> AnswerResult {
        guard let open = openAsks[params.askId] else {
            if let how = closedAsks[params.askId] { throw SessionError.askClosed(params.askId, how: how) }
            throw SessionError.unknownAsk(params.askId)
        }
        let (decision, text) = try open.ask.check(params)
        await settle(params.askId, decision: decision, text: text, by: answeredBy)
        let workerId = open.ask.workerId
        return AnswerResult(askId: params.askId, workerId: workerId, state: entries[workerId]?.state ?? .queued)
    }

    /// Nobody answered within `limits.maxWaitSeconds`: the ask is answered `deny`, and the
    /// worker is told why.
    private func expire(_ askId: String, after seconds: Double) async {
        guard openAsks[askId] != nil else { return }
        await settle(askId, decision: .deny, text: """
            Nobody answered within \(String(format: "%g", seconds)) s (limits.maxWaitSeconds), so the ask is denied.
            """, by: "timeout")
    }

    /// Closes an open ask with its answer: stored first, then announced (`answered`), then
    /// the worker queues for a slot and its loop gets the answer.
    private func settle(_ askId: String, decision: AskDecision?, text: String?, by answeredBy: String) async {
        guard var open = openAsks.removeValue(forKey: askId) else { return }
        open.expiry?.cancel()
        let workerId = open.ask.workerId
        closedAsks[askId] = "it was answered (by \(answeredBy))"
        let waitedMs = open.askedAt.duration(to: .now).wholeMilliseconds
        let answer = AskAnswer(askId: askId, decision: decision, text: text, answeredBy: answeredBy, waitedMs: waitedMs)
        do {
            try await store.answerAsk(id: askId, at: Date(), answerJSON: answer.json.jsonString(), answeredBy: answeredBy,
                                      waitedMs: waitedMs)
        } catch {
            logger.error("the answer to ask \(askId) could not be stored: \(error); the worker goes on with it")
        }
        guard var entry = entries[workerId] else { return }
        entry.pendingAsks.removeAll { $0.askId == askId }
        entry.waitedMs += waitedMs
        let waiting = entry.state == .waiting && !entry.ending && entry.run == open.run
        if waiting && entry.pendingAsks.isEmpty {
            entry.record.state = WorkerState.queued.rawValue
            store.submit(.workerProgress(entry.record))
        }
        entries[workerId] = entry
        emit(workerId, .answered(answer))
        guard waiting else {
            open.continuation?.resume(throwing: CancellationError())
            return
        }
        open.continuation?.resume(returning: AskReply(decision: decision, text: text, answeredBy: answeredBy))
    }

    /// The worker was stopped while it waited (cancel, shutdown): its ask closes unanswered.
    /// A closing session leaves it pending in the store.
    private func withdraw(_ askId: String) async {
        guard let open = openAsks.removeValue(forKey: askId) else { return }
        open.expiry?.cancel()
        closedAsks[askId] = "its worker stopped waiting"
        entries[open.ask.workerId]?.pendingAsks.removeAll { $0.askId == askId }
        open.continuation?.resume(throwing: CancellationError())
        guard !closing else { return }
        let waitedMs = open.askedAt.duration(to: .now).wholeMilliseconds
        let answer = AskAnswer(askId: askId, decision: nil, text: nil, answeredBy: "withdrawn", waitedMs: waitedMs)
        try? await store.answerAsk(id: askId, at: Date(), answerJSON: answer.json.jsonString(), answeredBy: "withdrawn",
                                   waitedMs: waitedMs)
    }

    static func makeAsk(_ request: AskRequest, workerId: String) -> Ask {
        let value = UInt64.random(in: 1...UInt64.max)
        let hex = String(value, radix: 16)
        let askId = "a_" + String(repeating: "0", count: 16 - hex.count) + hex
        let createdAt = WireTime.string(Date())
        switch request {
        case .permission(let tool, let input, let rule):
            return Ask(askId: askId, workerId: workerId, kind: .permission, tool: tool, input: input,
                       question: "May the worker call \(tool)? Its rules ask first for \(rule).",
                       options: AskDecision.permissionOptions, createdAt: createdAt)
        case .question(let text, let options):
            return Ask(askId: askId, workerId: workerId, kind: .question, question: text, options: options, createdAt: createdAt)
        }
    }
}
