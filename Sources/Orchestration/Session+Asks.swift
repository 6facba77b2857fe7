import BosunJSON
import BosunProtocol
import Config
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
    /// The tool call it answers.
    var toolCallId: String?
    /// The loop waiting for the answer; nil for an ask found pending when the session was
    /// resumed, whose answer starts a new run instead.
    var continuation: CheckedContinuation<AskReply, any Error>?
    var reopened = false
    /// Answers `deny` when `limits.maxWaitSeconds` passes.
    var expiry: Task<Void, Never>?
}

extension Session {
    func ask(_ request: AskRequest, from workerId: String) async throws -> AskReply {
        guard let entry = entries[workerId], entry.activity == .running else { throw CancellationError() }
        let run = entry.run
        let ask = Self.makeAsk(request, workerId: workerId)
        let route = self.route(forAskOf: entry)
        let toolCallId = entry.currentToolCallId
        let record = AskRecord(id: ask.askId, sessionId: id, workerId: workerId, askJSON: ask.json.jsonString(),
                               route: route.rawValue, toolCallId: toolCallId, createdAt: Date())
        // The `asked` event is stored with the ask, so a crash cannot keep one without the
        // other; it is sent once the worker shows `waiting`.
        let asked = WorkerEventData.asked(ask, to: route, again: false)
        guard let event = reserveEvent(workerId, asked) else { throw CancellationError() }
        do {
            try await store.insertAsk(record, event: event)
        } catch {
            if entries[workerId]?.lastSeq == event.seq { entries[workerId]?.lastSeq -= 1 }
            throw ToolError("Your ask could not be stored, so nobody was asked: \(error). Decide yourself, and say what you assumed.")
        }
        guard var current = entries[workerId], current.run == run, current.activity == .running else {
            throw CancellationError()
        }
        try Task.checkCancellation()
        if let deadline = deadlines[workerId], deadline.run == run {
            current.pausedTimeout = (max(0, ContinuousClock.now.duration(to: deadline.at).inSeconds), deadline.timeoutSeconds)
            disarmDeadline(workerId)
        }
        current.phase = .active(.waiting)
        current.pendingAsks.append(ask)
        entries[workerId] = current
        scheduler.release(workerId)
        store.submit(.workerProgress(current.record))
        openAsks[ask.askId] = OpenAsk(ask: ask, route: route, run: run, askedAt: .now, toolCallId: toolCallId)
        armExpiry(ask.askId, after: current.spec.limits.maxWaitSeconds, maxWait: current.spec.limits.maxWaitSeconds)
        send(event, data: asked)
        tellAnswerer(route, about: ask, of: current)
        reportProgress(workerId, message: "waiting for an answer: \(ask.question)")
        pump()

        let reply = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<AskReply, any Error>) in
                guard !Task.isCancelled, openAsks[ask.askId] != nil else {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                openAsks[ask.askId]?.continuation = continuation
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

    /// Answers the ask `deny` once `seconds` pass without an answer.
    private func armExpiry(_ askId: String, after seconds: Double, maxWait: Double) {
        openAsks[askId]?.expiry = Task { [weak self] in
            try? await Task.sleep(for: .clampedSeconds(max(0, seconds)))
            guard !Task.isCancelled else { return }
            await self?.expire(askId, maxWait: maxWait)
        }
    }

    /// Nobody answered within `limits.maxWaitSeconds`: the ask is answered `deny`, and the
    /// worker is told why.
    private func expire(_ askId: String, maxWait: Double) async {
        guard openAsks[askId] != nil else { return }
        await settle(askId, decision: .deny, text: """
            Nobody answered within \(String(format: "%g", maxWait)) s (limits.maxWaitSeconds), so the ask is denied.
            """, by: "timeout")
    }

    /// Closes an open ask with its answer: stored first, then announced (`answered`), then
    /// the worker queues for a slot: its waiting loop gets the answer once it has one, or,
    /// for an ask found pending at resume, a new run starts with the answer as the result of
    /// the call that asked.
    private func settle(_ askId: String, decision: AskDecision?, text: String?, by answeredBy: String) async {
        guard let open = openAsks.removeValue(forKey: askId) else { return }
        open.expiry?.cancel()
        let workerId = open.ask.workerId
        closedAsks[askId] = "it was answered (by \(answeredBy))"
        let waitedMs = open.askedAt.duration(to: .now).wholeMilliseconds
        let answer = AskAnswer(askId: askId, decision: decision, text: text, answeredBy: answeredBy, waitedMs: waitedMs)
        let answered = WorkerEventData.answered(answer)
        let event = reserveEvent(workerId, answered)
        do {
            try await store.answerAsk(id: askId, at: Date(), answerJSON: answer.json.jsonString(), answeredBy: answeredBy,
                                      waitedMs: waitedMs, event: event,
                                      sessionRule: sessionRule(open.ask, decision).map { (sessionId: id, callDigest: $0.identityDigest) })
        } catch {
            logger.error("the answer to ask \(askId) could not be stored: \(error); the worker goes on with it")
        }
        let reply = AskReply(decision: decision, text: text, answeredBy: answeredBy)
        guard var entry = entries[workerId] else { return }
        entry.pendingAsks.removeAll { $0.askId == askId }
        entry.waitedMs += waitedMs
        let waiting = entry.activity == .waiting && entry.run == open.run
        if waiting, open.reopened, let call = open.toolCallId {
            entry.resumeAnswers[call] = Self.resumedResultText(open.ask, reply)
            rememberAllowed(open.ask, decision, answeredBy: answeredBy)
        }
        let goesOn = waiting && entry.pendingAsks.isEmpty
        if goesOn {
            entry.phase = .active(.queued)
            store.submit(.workerProgress(entry.record))
        }
        entries[workerId] = entry
        if let event { send(event, data: answered) }
        guard waiting else {
            open.continuation?.resume(throwing: CancellationError())
            return
        }
        if open.reopened {
            guard goesOn else { return }
            scheduler.enqueue(workerId, priority: entry.priority)
            emit(workerId, .requeued(position: scheduler.queuePosition(of: workerId) ?? 0, priority: entry.priority))
            pump()
        } else {
            open.continuation?.resume(returning: reply)
        }
    }

    /// What a worker resumed after a restart reads as the result of the call that asked.
    private static func resumedResultText(_ ask: Ask, _ reply: AskReply) -> String {
        switch ask.kind {
        case .question:
            return AskTool.resultText(reply)
        case .permission:
            let decision = reply.decision?.rawValue ?? AskDecision.deny.rawValue
            let note = reply.text.map { " Their note: \($0)" } ?? ""
            let next = switch reply.decision {
            case .allow?: "Make the call again, with the same input: it runs once without asking."
            case .allowAlways?: "Make the call again."
            case .deny?, nil: "Do without it."
            }
            return """
                Your request to call \(ask.tool ?? "this tool") was answered \(decision) (by \(reply.answeredBy)) after the \
                server restarted, so the call did not run.\(note) \(next)
                """
        }
    }

    /// The worker was stopped while it waited (cancel, its end): its ask closes unanswered.
    /// A closing session leaves it pending in the store, to be asked again on resume.
    func withdraw(_ askId: String) {
        guard let open = openAsks.removeValue(forKey: askId) else { return }
        open.expiry?.cancel()
        closedAsks[askId] = "its worker stopped waiting"
        entries[open.ask.workerId]?.pendingAsks.removeAll { $0.askId == askId }
        open.continuation?.resume(throwing: CancellationError())
        guard !closing else { return }
        let waitedMs = open.askedAt.duration(to: .now).wholeMilliseconds
        let answer = AskAnswer(askId: askId, decision: nil, text: nil, answeredBy: "withdrawn", waitedMs: waitedMs)
        let store = self.store
        Task { try? await store.answerAsk(id: askId, at: Date(), answerJSON: answer.json.jsonString(), answeredBy: "withdrawn",
                                          waitedMs: waitedMs) }
    }

    /// Every open ask of `workerId` closes unanswered (the worker is ending).
    func withdrawAsks(of workerId: String) {
        for (askId, open) in openAsks where open.ask.workerId == workerId { withdraw(askId) }
    }

    /// A closing session stops waiting for answers: the loops waiting are stopped, and the
    /// asks and their workers stay `waiting` in the store, to be asked again on resume.
    func suspendAsks() {
        for id in order where entries[id]?.state == .waiting {
            entries[id]?.loopTask?.cancel()
            entries[id]?.loopTask = nil
        }
        for (askId, _) in openAsks { withdraw(askId) }
    }

    /// A resumed session's asks: those still pending are asked again (`asked` with `again`),
    /// their `maxWaitSeconds` counted from when they were first asked; the answered ones
    /// count in their workers' waited time.
    func reopenAsks(_ records: [AskRecord]) {
        let now = Date()
        for record in records {
            guard var entry = entries[record.workerId] else { continue }
            guard record.isPending else {
                entry.waitedMs += record.waitedMs ?? 0
                entries[record.workerId] = entry
                closedAsks[record.id] = "it was answered (by \(record.answeredBy ?? "nobody"))"
                continue
            }
            guard entry.state == .waiting, let ask = try? JSONValue.parse(record.askJSON).decode(as: Ask.self) else {
                closedAsks[record.id] = "its worker stopped waiting"
                continue
            }
            let route = self.route(forAskOf: entry)
            let elapsed = max(0, now.timeIntervalSince(record.createdAt))
            entry.pendingAsks.append(ask)
            entries[record.workerId] = entry
            openAsks[ask.askId] = OpenAsk(ask: ask, route: route, run: entry.run, askedAt: .now - .clampedSeconds(elapsed),
                                          toolCallId: record.toolCallId, reopened: true)
            let maxWait = entry.spec.limits.maxWaitSeconds
            armExpiry(ask.askId, after: maxWait - elapsed, maxWait: maxWait)
            emit(record.workerId, .asked(ask, to: route, again: true))
            tellAnswerer(route, about: ask, of: entry)
        }
    }

    // MARK: - A delegated worker's asks go to its parent first

    /// Who answers a worker's ask: its parent worker while that one lives, its
    /// orchestration's coordinator while that one runs, else the client.
    func route(forAskOf entry: WorkerEntry) -> AskRoute {
        guard let parent = entry.parentId else { return .client }
        if let orchestration = orchestrations[parent]?.ledger {
            return orchestration.state.isTerminal || orchestration.stop != nil ? .client : .coordinator
        }
        guard entries[parent]?.isActive == true else { return .client }
        return .parent
    }

    /// Lets whoever the ask went to know of it (the client hears of it by the `asked` event).
    private func tellAnswerer(_ route: AskRoute, about ask: Ask, of entry: WorkerEntry) {
        guard let parent = entry.parentId else { return }
        switch route {
        case .parent: tellParent(parent, about: ask)
        case .coordinator: Task { await self.consultCoordinator(ask.askId, orchestrationId: parent) }
        case .client: break
        }
    }

    /// The asks of `parentId`'s children that wait for it, oldest first.
    func childAsks(of parentId: String) -> [Ask] {
        openAsks.values.filter { $0.route == .parent && entries[$0.ask.workerId]?.parentId == parentId }
            .map(\.ask).sorted { ($0.createdAt, $0.askId) < ($1.createdAt, $1.askId) }
    }

    /// A parent waiting in `await_workers` stops waiting (its answer lists the ask); one that
    /// runs reads a message about it before its next step.
    private func tellParent(_ parentId: String, about ask: Ask) {
        let awaiting = waiters.filter { $0.value.parentOfAskers == parentId }.map(\.key)
        for waiterId in awaiting { releaseWaiter(waiterId) }
        guard awaiting.isEmpty, let parent = entries[parentId] else { return }
        let how = ask.kind == .permission
            ? "asks permission to call \(ask.tool ?? "a tool") with \(ask.input?.jsonString() ?? "{}"): answer with decision allow or deny"
            : "asks: \(ask.question)" + (ask.options.map { " (options: \($0.map(\.id).joined(separator: ", ")))" } ?? "")
                + ". Answer with text"
        parent.inbox.add("""
            Your child worker \(ask.workerId) \(how), using answer_ask {"askId": "\(ask.askId)", ...}. It waits until you do.
            """)
    }

    /// A parent that ends leaves its children's asks to the client, which is asked now.
    func passAsksOn(ofChildrenOf parentId: String) {
        for (askId, open) in openAsks where open.route == .parent && entries[open.ask.workerId]?.parentId == parentId {
            passToClient(askId)
        }
    }

    /// `answer_ask`: a parent answers one of its children's asks.
    func answerChildAsk(of parentId: String, _ input: JSONValue) async throws -> ToolOutput {
        let asks = childAsks(of: parentId)
        let pending = asks.isEmpty ? "none" : asks.map { "\($0.askId) (\($0.workerId): \($0.question))" }.joined(separator: "; ")
        guard let askId = input["askId"]?.stringValue ?? (asks.count == 1 ? asks[0].askId : nil) else {
            throw ToolError(asks.isEmpty
                ? "None of your children is waiting for an answer."
                : "Several of your children asked; give askId, one of: \(pending).")
        }
        guard asks.contains(where: { $0.askId == askId }) else {
            throw ToolError("\(askId) is not an ask of one of your children waiting for you. Pending: \(pending).")
        }
        var decision: AskDecision?
        if let given = input["decision"] {
            guard let value = given.stringValue.flatMap(AskDecision.init(rawValue:)) else {
                throw ToolError("decision must be allow, allow_always or deny.")
            }
            decision = value
        }
        do {
            let result = try await answer(AnswerParams(askId: askId, decision: decision, text: input["text"]?.stringValue),
                                          by: "parent:\(parentId)")
            return ToolOutput(text: "Answered \(askId); worker \(result.workerId) goes on.")
        } catch let error as SessionError {
            throw ToolError(error.message)
        }
    }

    static func makeAsk(_ request: AskRequest, workerId: String) -> Ask {
        let askId = TraceStore.makeId(prefix: "a_")
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
