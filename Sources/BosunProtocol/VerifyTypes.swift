import BosunJSON

import Foundation

/// `verify` params: the checks to run against one worker's work, and what to do when they fail.
public struct VerifyParams: Codable, Sendable {
    public var workerId: String
    public var checks: [Check]
    /// `steer` sends failures back to the worker and checks again; `none` (the default) reports them.
    public var feedback: VerifyFeedback?
    /// Rounds of checks with `feedback: steer`, the first included (default 3).
    public var maxRounds: Int?
    /// When the last round still fails, resume the worker one tier up and check again.
    public var escalate: Bool?

    public init(workerId: String, checks: [Check], feedback: VerifyFeedback? = nil, maxRounds: Int? = nil, escalate: Bool? = nil) {
        self.workerId = workerId
        self.checks = checks
        self.feedback = feedback
        self.maxRounds = maxRounds
        self.escalate = escalate
    }
}

public enum VerifyFeedback: String, Codable, Sendable {
    case none
    case steer
}

/// One round of checks, on the model the worker ran on for it.
public struct VerifyRound: Codable, Sendable, Hashable {
    public var round: Int
    /// bosun's model alias the checked work came from.
    public var model: String
    public var checks: [CheckOutcome]

    public var passed: Bool { checks.allSatisfy(\.passed) }

    public init(round: Int, model: String, checks: [CheckOutcome]) {
        self.round = round
        self.model = model
        self.checks = checks
    }
}

public struct VerifyResult: Codable, Sendable {
    public var passed: Bool
    public var rounds: [VerifyRound]
    /// The worker after the last round, with its result and `verification`.
    public var worker: Worker

    public init(passed: Bool, rounds: [VerifyRound], worker: Worker) {
        self.passed = passed
        self.rounds = rounds
        self.worker = worker
    }
}
