import BosunJSON

/// The operations of an open session, typed: what every entry of `BosunOperations` calls.
/// Orchestration's `Session` implements it; a front end only ever sees this protocol.
/// Refusals are `SessionError`s; a cancelled caller gets `CancellationError`.
public protocol SessionOperations: Sendable {
    /// Starts a worker on a brief; with `wait`, returns once it has ended.
    func spawn(_ params: SpawnParams) async throws -> Worker
    func steer(_ params: SteerParams) async throws -> SteerResult
    func cancel(_ params: CancelParams) async throws -> CancelResult
    func awaitWorkers(_ params: AwaitParams) async throws -> AwaitResult
    /// One worker, or the whole session, typed: what a front end reads of them.
    func status(_ params: StatusParams) async throws -> StatusResult
    /// `status` already encoded, as the wire carries it: the whole-session answer is cached
    /// while nothing changed.
    func statusJSON(_ params: StatusParams) async throws -> EncodedJSON
    /// The cached whole-session `status` answer when the state has not changed since it was
    /// encoded, read without waiting (it must not block); nil otherwise.
    func readyStatusJSON(_ params: StatusParams) -> EncodedJSON?
    func trace(_ params: TraceParams) async throws -> TraceResult
    func roles() async -> RolesResult
    /// Runs checks on a worker's result, steering and escalating as asked.
    func verify(_ params: VerifyParams) async throws -> VerifyResult
    /// Combines workers' results into one answer on a synthesizer worker.
    func synthesize(_ params: SynthesizeParams) async throws -> SynthesizeResult
    /// Plans a goal on the orchestrator tier, runs the plan's subtasks as workers, verifies
    /// each, decides about failures and synthesizes one answer. Cancelling the call cancels
    /// the orchestration.
    func orchestrate(_ params: OrchestrateParams) async throws -> OrchestrateResult
    /// A writing worker's (or an orchestration's) changes: files, line counts, a unified diff.
    func changes(_ params: ChangesParams) async throws -> ChangesResult
    /// Writes the changes into the workspace, all or nothing per worker.
    func apply(_ params: ApplyParams) async throws -> ApplyResult
    /// Throws the changes away.
    func discard(_ params: DiscardParams) async throws -> DiscardResult
    /// Answers a worker's pending ask; the worker goes on with the answer.
    func answer(_ params: AnswerParams) async throws -> AnswerResult
}

extension SessionOperations {
    /// A session without a cache writes each answer.
    public func statusJSON(_ params: StatusParams) async throws -> EncodedJSON {
        try await status(params).writtenJSON()
    }

    /// A session without a cache has no answer ready; `statusJSON` answers.
    public func readyStatusJSON(_ params: StatusParams) -> EncodedJSON? { nil }
}
