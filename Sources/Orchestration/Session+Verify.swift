import BosunProtocol
import BosunJSON
import Checks
import Config
import Foundation
import Providers
import Workers
import Workspace

extension Session {
    /// Checks a worker's work itself, rather than trusting the worker's word. Waits for a
    /// running worker (bounded by its own deadline; cancelling the request stops the wait),
    /// runs the checks, and with `feedback: steer` sends failures back and checks again, up to
    /// `maxRounds`; with `escalate`, a worker still failing is resumed a tier up. Each round
    /// is a `verify_round` event; the worker's `verification` ends `passed` or `failed`.
    /// Callable from orchestration code as well as from the wire.
    public func verify(_ params: VerifyParams) async throws -> VerifyResult {
        let workerId = params.workerId
        _ = try requireEntry(workerId)
        guard !params.checks.isEmpty else {
            throw SessionError.invalidParams("checks", "checks is empty. Give at least one check, e.g. {\"kind\": \"schema\"}.")
        }
        let maxRounds = params.maxRounds ?? 3
        guard maxRounds >= 1 else {
            throw SessionError.invalidParams("maxRounds", "maxRounds must be at least 1; got \(maxRounds). Omit it for 3.")
        }
        let steering = params.feedback == .steer
        var rounds: [VerifyRound] = []
        var escalations = 0
        while true {
            let entry = try await waitUntilSettled(workerId)
            let outcomes = await CheckRunner.run(params.checks, context: checkContext(for: entry, checks: params.checks))
            try Task.checkCancellation()
            let round = VerifyRound(round: rounds.count + 1, model: entry.model, checks: outcomes)
            rounds.append(round)
            emit(workerId, .verifyRound(round))
            // A program that is not there is the setup's problem: no worker round can fix it.
            if round.passed || round.checks.contains(where: { $0.code == .commandNotFound }) { break }
            let feedback = Self.feedbackMessage(round)
            if steering && rounds.count - escalations < maxRounds {
                _ = try steer(SteerParams(workerId: workerId, message: feedback))
                continue
            }
            // Escalation stops at the top tier, and when the session budget is spent: the
            // rounds so far are the answer, not an error.
            guard params.escalate == true, let next = nextTier(above: entry.model), !budget.isSpent else { break }
            escalations += 1
            emit(workerId, .escalated(from: entry.model, to: next, costUSDSoFar: entry.totals.costUSD))
            entries[workerId]?.model = next
            _ = try steer(SteerParams(workerId: workerId, message: feedback))
        }
        let passed = rounds.last?.passed ?? false
        if var entry = entries[workerId] {
            entry.verification = passed ? .passed : .failed
            entries[workerId] = entry
            store.submit(.workerProgress(entry.record))
        }
        let worker = try requireEntry(workerId).view(queuePosition: nil, includeResult: true)
        return VerifyResult(passed: passed, rounds: rounds, worker: worker)
    }

    /// Waits until the worker has ended and stays ended: a run that ends with a steer still
    /// undelivered is resumed at once, and the checks must see the run after it.
    func waitUntilSettled(_ workerId: String) async throws -> WorkerEntry {
        while true {
            try await wait(for: [workerId], mode: .all, timeoutSeconds: nil)
            let entry = try requireEntry(workerId)
            if entry.hasEnded || closing { return entry }
        }
    }

    /// The model alias one tier up from `model`: worker → mid → orchestrator, as `tiers:`
    /// configures them (a tier that names the same model as the one below is skipped).
    func nextTier(above model: String) -> String? {
        let ladder = ["worker", "mid", "orchestrator"].compactMap { config.tiers[$0] }
        let current = config.tiers[model] ?? model
        guard let index = ladder.firstIndex(of: current) else {
            return ladder.last == current ? nil : ladder.last
        }
        return ladder[(index + 1)...].first { $0 != current }
    }

    /// What a failed round tells the worker: each failed check, its summary and a bounded
    /// excerpt of its output.
    static func feedbackMessage(_ round: VerifyRound) -> String {
        let failed = round.checks.filter { !$0.passed }
        var lines = ["Verification of your result failed (round \(round.round)); \(failed.count) check(s) did not pass. " +
                     "Fix what they found, then call submit_result again with the corrected result."]
        for outcome in failed {
            lines.append("\n- \(outcome.kind): \(outcome.summary)")
            if !outcome.output.isEmpty { lines.append(OutputExcerpt.bounded(outcome.output, limit: feedbackExcerptBytes)) }
        }
        return lines.joined(separator: "\n")
    }

    /// How much of each failed check's output a feedback message quotes.
    static let feedbackExcerptBytes = 2048

    /// What the checks of a round see of this worker and this session.
    func checkContext(for entry: WorkerEntry, checks: [Check]) -> CheckContext {
        let result = entry.result
        let policy = config.tools
        let commands = CommandPolicy(allowUnsandboxed: policy.sandbox == .allowUnsandboxed,
                                     privatePaths: environment.privatePaths + [(store.path as NSString).deletingLastPathComponent], maxTimeoutSeconds: policy.commandTimeoutSeconds,
                                     outputBytes: policy.commandOutputMaxBytes / 2)
        // Judge models are resolved here, on the actor that caches clients; the checks run off it.
        var judges: [String: Result<(modelId: String, client: any ModelClient), any Error>] = [:]
        for case .judge(let check) in checks {
            let alias = check.model ?? "orchestrator"
            guard judges[alias] == nil else { continue }
            judges[alias] = Result { () throws -> (modelId: String, client: any ModelClient) in
                let model = try config.resolveModel(alias)
                return (model.modelId, try client(forProvider: model.providerName))
            }
        }
        let resolved = judges
        let workerId = entry.id
        let judge = JudgeModel(resolve: { alias in
            guard let found = resolved[alias ?? "orchestrator"] else { throw SessionError.invalidParams("checks", "no judge model") }
            return try found.get()
        }, record: { [weak self] modelId, usage in
            await self?.recordJudgeCall(workerId: workerId, modelId: modelId, usage: usage)
        })
        return CheckContext(workspaceRoot: environment.workspaceRoot, brief: entry.spec.brief.render(),
                            resultText: result?.text ?? "(the worker left no result)", resultStructured: result?.structured,
                            outputSchema: entry.spec.brief.output?.schema, commands: commands, judge: judge,
                            evaluate: { [weak self] check in
                                await self?.evaluate(check, of: workerId)
                                    ?? CheckOutcome(kind: "judge", passed: false, summary: "the session closed before the evaluator ran")
                            },
                            layer: Layer.existing(workerId: workerId, layersRoot: layersRoot))
    }

    /// A judge's model call: charged to the session budget, recorded as a `judge_call` event.
    func recordJudgeCall(workerId: String, modelId: String, usage: Usage) {
        let price = config.models.values.first { $0.id == modelId }?.price ?? PriceTable.price(for: modelId)
        let cost = price?.cost(of: usage) ?? 0
        budget.charge(cost)
        emit(workerId, .judgeCall(model: modelId, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens,
                                  costUSD: cost, evaluatorId: nil))
    }
}
