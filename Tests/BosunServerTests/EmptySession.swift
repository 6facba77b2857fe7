import BosunJSON
import BosunProtocol
import Foundation

/// A session with no workers and no store behind it: enough to exercise the server's
/// lifecycle without the orchestration (it answers `status` with the session summary that
/// protocol/bosun-1.schema.json describes; every other operation refuses).
struct EmptySession: SessionHandle, SessionOperations {
    let info: SessionInfo

    /// The session cap when the client sets none (docs/configuration.md).
    static let defaultMaxConcurrentWorkers = 5

    /// Opens a fresh session; there is nothing to resume without a trace store.
    static let opener: SessionOpener = { request in
        if let resume = request.resumeSessionId {
            throw SessionError.invalidParams(
                "initializationOptions.session",
                "session '\(resume)' cannot be resumed: this server keeps no sessions; leave out initializationOptions.session to start a new one")
        }
        return EmptySession(info: SessionInfo(
            id: newSessionID(), resumed: false,
            maxConcurrentWorkers: request.maxConcurrentWorkers ?? defaultMaxConcurrentWorkers))
    }

    /// `s_` and 16 random hex digits.
    static func newSessionID() -> String {
        "s_" + String(format: "%016llx", UInt64.random(in: 0...UInt64.max))
    }

    var operations: any SessionOperations { self }

    func status(_ params: StatusParams) async throws -> StatusResult {
        if let workerId = params.workerId {
            throw SessionError(
                code: SessionError.unknownWorkerCode,
                message: "unknown worker '\(workerId)': this session has no workers; call status without workerId to list them",
                data: ["field": "workerId"])
        }
        let counts = Dictionary(uniqueKeysWithValues: WorkerState.allCases.map { ($0.rawValue, 0) })
        return .session(SessionStatus(
            session: .init(id: info.id, maxConcurrentWorkers: info.maxConcurrentWorkers, counts: counts, maxCostUSD: nil),
            usage: WorkerUsage(), workers: []))
    }

    func spawn(_ params: SpawnParams) async throws -> Worker { throw Self.noWorkers }
    func steer(_ params: SteerParams) async throws -> SteerResult { throw Self.noWorkers }
    func cancel(_ params: CancelParams) async throws -> CancelResult { throw Self.noWorkers }
    func awaitWorkers(_ params: AwaitParams) async throws -> AwaitResult { throw Self.noWorkers }
    func trace(_ params: TraceParams) async throws -> TraceResult { TraceResult(events: []) }
    func roles() async -> RolesResult { RolesResult(roles: []) }
    func verify(_ params: VerifyParams) async throws -> VerifyResult { throw Self.noWorkers }
    func synthesize(_ params: SynthesizeParams) async throws -> SynthesizeResult { throw Self.noWorkers }
    func orchestrate(_ params: OrchestrateParams) async throws -> OrchestrateResult { throw Self.noWorkers }
    func changes(_ params: ChangesParams) async throws -> ChangesResult { throw Self.noWorkers }
    func apply(_ params: ApplyParams) async throws -> ApplyResult { throw Self.noWorkers }
    func discard(_ params: DiscardParams) async throws -> DiscardResult { throw Self.noWorkers }
    func answer(_ params: AnswerParams) async throws -> AnswerResult { throw Self.noWorkers }

    static let noWorkers = SessionError(code: SessionError.invalidStateCode, message: "This test session runs no workers.")

    func close() async {}
}
