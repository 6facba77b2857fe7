import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC
import Logging
import Promises
import Synchronization
import Testing
@testable import ACPServer

/// Prompt turns on a session whose `orchestrate` is scripted: the updates come before the
/// answer, `session/cancel` answers `cancelled`, and a second prompt waits for the first.
@Suite(.timeLimit(.minutes(1))) struct ACPSessionTests {
    @Test func aTurnStreamsItsUpdatesThenTheSynthesisThenEndsTheTurn() async throws {
        let notes = Notes()
        let router = ACPEventRouter()
        let fake = ScriptedSession(events: { router.route($0) }, mode: .succeed)
        let session = ACPSession(handle: fake, router: router, notifier: notes, logger: Logger(label: "test"))
        let reason = try await session.prompt([.text("Do the thing")])
        #expect(reason == .endTurn)
        #expect(fake.goals == ["Do the thing"])
        let kinds = notes.all.map { $0.params["update"]?["sessionUpdate"]?.stringValue ?? "?" }
        #expect(kinds == ["plan", "tool_call", "tool_call_update", "tool_call_update", "plan", "agent_message_chunk"])
        #expect(notes.all.allSatisfy { $0.method == "session/update" && $0.params["sessionId"] == "s_test" })
        // The tool call's title comes from the worker's role and task, looked up by status.
        #expect(notes.all[1].params["update"]?["title"] == "researcher: Look it up")
        #expect(notes.all.last?.params["update"]?["content"]?["text"] == "The synthesis.")

        // The next turn has the last one as context.
        _ = try await session.prompt([.text("Again")])
        #expect(fake.inputs.last??.first?.contains("The synthesis.") == true)
    }

    @Test func cancelEndsTheRunningTurnAndTheWaitingOnesAsCancelled() async throws {
        let notes = Notes()
        let router = ACPEventRouter()
        let fake = ScriptedSession(events: { router.route($0) }, mode: .waitForCancel)
        let session = ACPSession(handle: fake, router: router, notifier: notes, logger: Logger(label: "test"))
        async let first = session.prompt([.text("first")])
        await fake.started.value
        async let second = session.prompt([.text("second")])
        // The second prompt waits for the first: it never reaches orchestrate.
        while await session.waitingTurns == 0 { await Task.yield() }
        #expect(fake.goals == ["first"])
        await session.cancel()
        #expect(try await first == .cancelled)
        #expect(try await second == .cancelled)
        #expect(fake.goals == ["first"])
        #expect(fake.wasCancelled.withLock { $0 })
        // No message for a cancelled turn, and the session takes the next prompt.
        #expect(!notes.all.contains { $0.params["update"]?["sessionUpdate"] == "tool_call" })
        #expect(!notes.all.contains { $0.params["update"]?["sessionUpdate"] == "agent_message_chunk" })
        fake.mode.withLock { $0 = .succeed }
        #expect(try await session.prompt([.text("third")]) == .endTurn)
    }

    @Test func aSecondPromptRunsAfterTheFirst() async throws {
        let notes = Notes()
        let router = ACPEventRouter()
        let fake = ScriptedSession(events: { router.route($0) }, mode: .succeed)
        let session = ACPSession(handle: fake, router: router, notifier: notes, logger: Logger(label: "test"))
        async let first = session.prompt([.text("one")])
        async let second = session.prompt([.text("two")])
        #expect(try await [first, second] == [.endTurn, .endTurn])
        #expect(Set(fake.goals) == ["one", "two"])
        #expect(fake.maxRunning.withLock { $0 } == 1)
    }

    @Test func aRefusalIsAJSONRPCError() async throws {
        let router = ACPEventRouter()
        let fake = ScriptedSession(events: { router.route($0) }, mode: .refuse)
        let session = ACPSession(handle: fake, router: router, notifier: Notes(), logger: Logger(label: "test"))
        let error = await #expect(throws: RPCError.self) { try await session.prompt([.text("x")]) }
        #expect(error?.code == SessionError.budgetExhaustedCode)
    }
}

/// A session whose `orchestrate` plays a short script of events.
final class ScriptedSession: SessionHandle, SessionOperations {
    enum Mode { case succeed, waitForCancel, refuse }

    let info = SessionInfo(id: "s_test", resumed: false, maxConcurrentWorkers: 5)
    let events: @Sendable (SessionEvent) -> Void
    let mode: Mutex<Mode>
    let started = Promise<Void>()
    let wasCancelled = Mutex(false)
    let maxRunning = Mutex(0)
    private let running = Mutex(0)
    private let received = Mutex<[OrchestrateParams]>([])

    init(events: @escaping @Sendable (SessionEvent) -> Void, mode: Mode) {
        self.events = events
        self.mode = Mutex(mode)
    }

    var goals: [String] { received.withLock { $0.map(\.goal) } }
    var inputs: [[String]?] { received.withLock { $0.map(\.inputs) } }
    var operations: any SessionOperations { self }
    func close() async {}

    func orchestrate(_ params: OrchestrateParams) async throws -> OrchestrateResult {
        received.withLock { $0.append(params) }
        let now = running.withLock { $0 += 1; return $0 }
        maxRunning.withLock { $0 = max($0, now) }
        defer { running.withLock { $0 -= 1 } }
        func event(_ kind: String, _ data: JSONValue) {
            events(.orchestration(OrchestrationEvent(orchestrationId: "o_\(params.goal)", seq: 1, kind: kind,
                                                     at: "2026-12-02T18:00:00.000Z", data: data)))
        }
        switch mode.withLock({ $0 }) {
        case .refuse:
            throw SessionError.budgetExhausted("maxCostUSD", "The session's budget is spent.")
        case .waitForCancel:
            started.fulfil(())
            do {
                try await Task.sleep(for: .seconds(30)) // stands for a long orchestration, which the test cancels
            } catch {
                wasCancelled.withLock { $0 = true }
                throw error
            }
        case .succeed:
            break
        }
        let plan = OrchestrationPlan(subtasks: [PlanSubtask(id: "a", role: "researcher", brief: SubtaskBrief(task: "Look it up"))])
        event("started", ["goal": .string(params.goal)])
        event("plan", ["plan": try JSONValue(encoding: plan), "attempt": 1])
        let worker = "w_\(params.goal)"
        events(.worker(WorkerEvent(workerId: worker, seq: 1, at: "2026-12-02T18:00:00.000Z",
                                   data: .queued(position: 1, priority: 0, after: [], traceparent: nil))))
        events(.worker(WorkerEvent(workerId: worker, seq: 2, at: "2026-12-02T18:00:00.000Z", data: .started(run: 1, resumed: false))))
        events(.worker(WorkerEvent(workerId: worker, seq: 3, at: "2026-12-02T18:00:00.000Z",
                                   data: .ended(.init(state: .succeeded, steps: 1, costUSD: 0, result: Worker.Result(text: "Found it."),
                                                      error: nil)))))
        event("subtask", ["subtask": "a", "status": "passed", "workerId": .string(worker)])
        event("succeeded", [:])
        return OrchestrateResult(
            id: "o_1", state: .succeeded, goal: params.goal, plan: plan, workers: [], verification: [],
            synthesis: SynthesizeResult(id: "w_s", text: "The synthesis.", structured: nil, sources: [], conflicts: [], gaps: [],
                                        usage: WorkerUsage()),
            decisions: [], reason: nil, usage: WorkerUsage())
    }

    func status(_ params: StatusParams) async throws -> StatusResult {
        .worker(Worker(id: params.workerId ?? "", role: "researcher", model: "fast", state: .running, task: "Look it up",
                       createdAt: "2026-12-02T18:00:00.000Z", steps: 0, usage: WorkerUsage()))
    }

    static let unused = SessionError(code: SessionError.invalidStateCode, message: "not in this test")
    func spawn(_ params: SpawnParams) async throws -> Worker { throw Self.unused }
    func changes(_ params: ChangesParams) async throws -> ChangesResult { throw Self.unused }
    func apply(_ params: ApplyParams) async throws -> ApplyResult { throw Self.unused }
    func discard(_ params: DiscardParams) async throws -> DiscardResult { throw Self.unused }
    func answer(_ params: AnswerParams) async throws -> AnswerResult { throw Self.unused }
    func steer(_ params: SteerParams) async throws -> SteerResult { throw Self.unused }
    func cancel(_ params: CancelParams) async throws -> CancelResult { throw Self.unused }
    func awaitWorkers(_ params: AwaitParams) async throws -> AwaitResult { throw Self.unused }
    func trace(_ params: TraceParams) async throws -> TraceResult { TraceResult(events: []) }
    func roles() async -> RolesResult { RolesResult(roles: []) }
    func verify(_ params: VerifyParams) async throws -> VerifyResult { throw Self.unused }
    func synthesize(_ params: SynthesizeParams) async throws -> SynthesizeResult { throw Self.unused }
}

/// Keeps what would have been sent to the client.
final class Notes: ClientNotifier {
    struct Note: Sendable {
        var method: String
        var params: JSONValue
        var droppable: Bool
    }

    private let notes = Mutex<[Note]>([])

    var all: [Note] { notes.withLock { $0 } }

    func notify<T: Encodable & Sendable>(_ method: String, _ params: T, droppable: Bool) {
        let value = (try? JSONValue(encoding: params)) ?? .null
        notes.withLock { $0.append(Note(method: method, params: value, droppable: droppable)) }
    }
}
