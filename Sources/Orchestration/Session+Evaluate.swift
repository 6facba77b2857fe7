import BosunJSON
import BosunProtocol
import Checks
import Foundation
import Workers
import Workspace

extension Session {
    /// A `judge` check with `inspect`: an `evaluator` worker (read-only tools) reads the brief,
    /// the result as claims and the rubric, inspects the workspace itself and submits a verdict
    /// with evidence. It never sees the worker's conversation. It is a worker of the session
    /// like any other (the cap, budgets, the trace); in an orchestration it is one of the
    /// orchestration's workers. Its usage is also reported on the checked worker, as a
    /// `judge_call` event.
    func evaluate(_ check: JudgeCheck, of workerId: String) async -> CheckOutcome {
        func failed(_ summary: String) -> CheckOutcome { CheckOutcome(kind: "judge", passed: false, summary: summary) }
        guard let entry = entries[workerId] else { return failed("worker \(workerId) is gone") }
        let result = entry.result
        let parent = entry.parentId.flatMap { orchestrations[$0] == nil ? nil : $0 }
        var inputs = EvaluatorVerdict.inputs(brief: entry.spec.brief.render(), resultText: result?.text ?? "(no result)",
                                             resultStructured: result?.structured, sources: result?.sources, rubric: check.rubric)
        // A writing worker's changes wait in its layer, which the evaluator's tools do not see: it reads the diff.
        if Layer.existing(workerId: workerId, layersRoot: layersRoot) != nil,
           let changes = try? await self.changes(ChangesParams(workerId: workerId)), !changes.diff.isEmpty {
            inputs.append(EvaluatorVerdict.changes(changes.diff))
        }
        let evaluator: Worker
        do {
            evaluator = try await spawn(SpawnParams(
                task: EvaluatorVerdict.task,
                inputs: inputs,
                scope: "The workspace, read-only. Judge this one result.",
                output: OutputSpec(schema: EvaluatorVerdict.schema), doNot: EvaluatorVerdict.doNot,
                role: "evaluator", model: check.model), parent: parent)
        } catch {
            return failed("the evaluator could not start: \(Self.describe(error))")
        }
        guard let ended = try? await waitUntilSettled(evaluator.id) else {
            return failed("the evaluator \(evaluator.id) was stopped before its verdict")
        }
        emit(workerId, .judgeCall(model: ended.model, inputTokens: ended.usage.inputTokens,
                                  outputTokens: ended.usage.outputTokens, costUSD: ended.usage.costUSD, evaluatorId: evaluator.id))
        guard ended.state == .succeeded, let verdict = ended.result?.structured else {
            let why = ended.failure.map { "\($0.code): \($0.message)" } ?? ended.state.rawValue
            return failed("the evaluator \(evaluator.id) ended without a verdict (\(why))")
        }
        return EvaluatorVerdict.outcome(verdict, evaluatorId: evaluator.id)
    }
}
