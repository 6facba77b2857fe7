import BosunProtocol
import Foundation

/// Runs checks, one runner per kind, each timed. A runner never throws: whatever goes
/// wrong (a missing file, a command that cannot start, a judge that cannot be reached) is
/// a failed outcome that says so, because `verify` reports every check of a round.
public enum CheckRunner {
    public static func run(_ checks: [Check], context: CheckContext) async -> [CheckOutcome] {
        var outcomes: [CheckOutcome] = []
        for check in checks {
            if Task.isCancelled { break }
            outcomes.append(await run(check, context: context))
        }
        return outcomes
    }

    public static func run(_ check: Check, context: CheckContext) async -> CheckOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var outcome: CheckOutcome
        switch check {
        case .schema(let schema): outcome = SchemaCheckRunner.run(schema: schema, context: context)
        case .command(let command): outcome = await CommandCheckRunner.run(command, context: context)
        case .files(let files): outcome = FilesCheckRunner.run(files, context: context)
        case .judge(let judge): outcome = await JudgeCheckRunner.run(judge, context: context)
        case .gitSync(let sync): outcome = await GitSyncCheckRunner.run(sync, context: context)
        case .http(let http): outcome = await HTTPCheckRunner.run(http, context: context)
        }
        let elapsed = clock.now - start
        outcome.durationMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        return outcome
    }
}
