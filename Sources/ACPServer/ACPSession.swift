import BosunJSON
import BosunProtocol
import BosunServer
import Foundation
import JSONRPC
import Logging
import Synchronization

/// Hands a bosun session's events to the prompt turn running in it. The session calls
/// `route` synchronously on its actor, so it only queues; events while no turn runs (a
/// cancelled worker's late end) belong to no turn and are dropped.
final class ACPEventRouter: Sendable {
    private let current = Mutex<AsyncStream<SessionEvent>.Continuation?>(nil)

    init() {}

    func route(_ event: SessionEvent) {
        current.withLock { _ = $0?.yield(event) }
    }

    /// The events of the turn that begins now, until `end`.
    func begin() -> AsyncStream<SessionEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: SessionEvent.self)
        current.withLock { current in
            current?.finish()
            current = continuation
        }
        return stream
    }

    func end() {
        current.withLock { current in
            current?.finish()
            current = nil
        }
    }
}

/// One ACP session: a bosun session of its own, and its prompt turns, one at a time.
///
/// A `session/prompt` sent while a turn runs waits for it and runs next (the spec lets a
/// client send the next prompt once a turn ends; Zed queues messages the same way), and
/// `session/cancel` cancels the running turn and every waiting one, which all answer
/// `cancelled`.
actor ACPSession {
    nonisolated let id: String
    nonisolated let handle: any SessionHandle
    private let router: ACPEventRouter
    private let notifier: any ClientNotifier
    private let logger: Logger

    private var busy = false
    private var waiting: [(ticket: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextTicket = 0
    /// The running turn's `orchestrate` call.
    private var current: Task<OrchestrateResult, any Error>?
    /// `session/cancel` arrived for the running turn.
    private var cancelRequested = false
    private var previous: ACPPreviousTurn?
    /// Workers of finished turns.
    private var finishedWorkers: Set<String> = []

    init(handle: any SessionHandle, router: ACPEventRouter, notifier: any ClientNotifier, logger: Logger) {
        id = handle.info.id
        self.handle = handle
        self.router = router
        self.notifier = notifier
        self.logger = logger
    }

    // MARK: - Prompt turns

    /// Runs one prompt turn: `orchestrate` with the prompt as its goal, its events as
    /// `session/update`s, the synthesis as the agent's message. Refusals of the session are
    /// JSON-RPC errors; a cancelled turn answers `cancelled`.
    func prompt(_ blocks: [ACPContentBlock]) async throws -> ACPStopReason {
        let params = try ACPPrompt.orchestrateParams(blocks, previous: previous)
        guard await takeTurn() else { return .cancelled }
        defer { releaseTurn() }
        if Task.isCancelled { return .cancelled }

        let stream = router.begin()
        let consumer = Task { [id, handle, notifier, finishedWorkers] in
            var mapper = ACPTurnMapper(ignoring: finishedWorkers)
            for await event in stream {
                var info: ACPWorkerInfo?
                if let worker = mapper.unknownWorker(in: event) { info = await Self.lookUp(worker, in: handle) }
                var diffs: [ACPDiff]?
                if let worker = mapper.changedWorker(in: event) { diffs = await ACPFileDiffs.of(worker, in: handle.operations) }
                for mapped in mapper.map(event, info: info, diffs: diffs) {
                    notifier.sessionUpdate(id, mapped.update, droppable: mapped.droppable)
                }
            }
            return mapper
        }
        let operations = handle.operations
        let task = Task { try await operations.orchestrate(params) }
        current = task
        if cancelRequested { task.cancel() }
        let outcome: Result<OrchestrateResult, any Error>
        do {
            outcome = .success(try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() })
        } catch {
            outcome = .failure(error)
        }
        current = nil
        // Every event up to the answer is in the stream: send them all before the answer.
        router.end()
        var mapper = await consumer.value
        finishedWorkers.formUnion(mapper.workers)
        let cancelled: Bool
        switch outcome {
        case .success(let result): cancelled = cancelRequested || Task.isCancelled || ACPPrompt.stopReason(result) == .cancelled
        case .failure: cancelled = cancelRequested || Task.isCancelled
        }
        for mapped in mapper.closeOpenToolCalls(cancelled ? "cancelled" : "ended with the turn") {
            notifier.sessionUpdate(id, mapped.update)
        }

        switch outcome {
        case .success(let result):
            if cancelRequested || Task.isCancelled { return .cancelled }
            let reason = ACPPrompt.stopReason(result)
            let message = ACPPrompt.finalMessage(result)
            if reason != .cancelled {
                for chunk in ACPPrompt.chunks(message) {
                    notifier.sessionUpdate(id, .agentMessageChunk(chunk))
                }
                previous = ACPPreviousTurn(goal: params.goal, answer: message)
            }
            logger.info("session \(id): orchestration \(result.id) ended \(result.state.rawValue)")
            return reason
        case .failure(let error):
            if cancelRequested || Task.isCancelled || error is CancellationError { return .cancelled }
            if let error = error as? SessionError {
                throw RPCError(error)
            }
            if let error = error as? RPCError { throw error }
            throw RPCError(code: RPCError.requestFailed, message: "the orchestration failed: \(error)")
        }
    }

    /// `session/cancel`: ends the running turn (its `orchestrate` call is cancelled, which
    /// cancels the orchestration's workers) and every waiting one.
    func cancel() {
        let waiters = waiting
        waiting.removeAll()
        for waiter in waiters { waiter.continuation.resume(returning: false) }
        guard busy else { return }
        cancelRequested = true
        current?.cancel()
    }

    /// Prompts waiting for the running turn to end.
    var waitingTurns: Int { waiting.count }

    /// Waits for the session's turn; false when cancelled first.
    private func takeTurn() async -> Bool {
        if !busy {
            busy = true
            cancelRequested = false
            return true
        }
        let ticket = nextTicket
        nextTicket += 1
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in waiting.append((ticket, continuation)) }
        } onCancel: {
            Task { await self.withdraw(ticket) }
        }
    }

    private func withdraw(_ ticket: Int) {
        guard let index = waiting.firstIndex(where: { $0.ticket == ticket }) else { return }
        waiting.remove(at: index).continuation.resume(returning: false)
    }

    private func releaseTurn() {
        cancelRequested = false
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().continuation.resume(returning: true)
        }
    }

    /// A worker's role and task, for its tool call's title.
    static func lookUp(_ workerId: String, in handle: any SessionHandle) async -> ACPWorkerInfo? {
        guard case .worker(let worker)? = try? await handle.operations.status(StatusParams(workerId: workerId)) else { return nil }
        return ACPWorkerInfo(role: worker.role, task: worker.task)
    }

    // MARK: - session/load

    /// Replays what the session did as `session/update`s, as `session/load` must: each
    /// orchestration's goal as the user's message, each worker as a finished tool call, and
    /// each answer (a synthesis, or the one worker's result) as the agent's message. bosun keeps no chat transcript; this is what
    /// the trace has.
    func replay() async {
        guard case .session(let status)? = try? await handle.operations.status(StatusParams()) else { return }
        // Timestamps are one fixed ISO 8601 form (UTC, milliseconds), so their text sorts by time.
        let workers = status.workers.sorted { $0.createdAt < $1.createdAt }
        // The workers whose results are answers: a synthesizer, or a one-subtask plan's worker or
        // the planner that answered the goal itself.
        let orchestrations = status.orchestrations ?? []
        let answers = Set(orchestrations.compactMap(\.answeredBy))
        var goals = orchestrations.map { (at: $0.createdAt, goal: $0.goal) }.sorted { $0.at < $1.at }[...]
        for worker in workers {
            while let next = goals.first, next.at <= worker.createdAt {
                send(.userMessageChunk(next.goal))
                goals = goals.dropFirst()
            }
            let info = ACPWorkerInfo(role: worker.role, task: worker.task)
            var call = ACPToolCall(toolCallId: worker.id, title: ACPTurnMapper.title(id: worker.id, info: info),
                                   kind: ACPTurnMapper.kind(of: worker.role), status: ACPTurnMapper.status(of: worker.state))
            if let message = worker.error?.message { call.text = "\(worker.state.rawValue): \(message)" }
            send(.toolCall(call))
            if worker.role == "synthesizer" || answers.contains(worker.id), worker.state == .succeeded,
               case .worker(let one)? = try? await handle.operations.status(StatusParams(workerId: worker.id)),
               let result = one.result,
               let text = worker.role == "planner" ? result.structured?["answer"]?.stringValue : result.text {
                for chunk in ACPPrompt.chunks(text) { send(.agentMessageChunk(chunk)) }
            }
            finishedWorkers.insert(worker.id)
        }
        for goal in goals { send(.userMessageChunk(goal.goal)) }
    }

    private func send(_ update: ACPSessionUpdate) {
        notifier.sessionUpdate(id, update)
    }
}
