import BosunProtocol
import Config
import Testing
import Workers
@testable import Orchestration

@Suite struct WorkerRecoveryTests {
    static let providerError = WorkerFailure(code: .providerError, message: "529")
    static let stalled = WorkerFailure(code: .stalled, message: "same call")
    static let maxSteps = WorkerFailure(code: .maxSteps, message: "out of steps")

    @Test func fallbacksComeFirstOnProviderErrorsThenRetries() {
        var recovery = WorkerRecovery(retry: RetrySetting(attempts: 1), fallbackModels: ["mid", "smart"])
        #expect(recovery.decide(state: .failed, failure: Self.providerError) == .fallback(model: "mid"))
        #expect(recovery.decide(state: .failed, failure: Self.providerError) == .fallback(model: "smart"))
        #expect(recovery.decide(state: .failed, failure: Self.providerError) == .retry(attempt: 1, of: 1))
        #expect(recovery.decide(state: .failed, failure: Self.providerError) == nil)
    }

    @Test func retriesFollowOnlyTheListedReasonsAndStopAtTheirNumber() {
        var recovery = WorkerRecovery(retry: RetrySetting(attempts: 2, on: ["timed_out", "stalled"]), fallbackModels: [])
        #expect(recovery.decide(state: .failed, failure: Self.maxSteps) == nil)
        #expect(recovery.decide(state: .failed, failure: Self.providerError) == nil)
        #expect(recovery.decide(state: .timedOut, failure: nil) == .retry(attempt: 1, of: 2))
        #expect(recovery.decide(state: .failed, failure: Self.stalled) == .retry(attempt: 2, of: 2))
        #expect(recovery.decide(state: .failed, failure: Self.stalled) == nil)
    }

    @Test(arguments: [WorkerState.succeeded, .cancelled, .interrupted])
    func endingsThatAreNotFailuresAreNeverRetried(state: WorkerState) {
        var recovery = WorkerRecovery(retry: RetrySetting(attempts: 5, on: RetrySetting.reasons), fallbackModels: ["mid"])
        #expect(recovery.decide(state: state, failure: Self.providerError) == nil)
    }

    @Test func aFailedDependencyIsNotRetried() {
        var recovery = WorkerRecovery(retry: RetrySetting(attempts: 5, on: RetrySetting.reasons), fallbackModels: [])
        #expect(recovery.decide(state: .failed, failure: WorkerFailure(code: .dependencyFailed, message: "")) == nil)
    }

    @Test func withoutSettingsNothingIsRecovered() {
        var recovery = WorkerRecovery(role: RoleConfig(name: "worker"))
        #expect(recovery.decide(state: .failed, failure: Self.providerError) == nil)
    }
}
