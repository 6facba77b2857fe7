import Foundation

/// What one check found: pass or fail, a one-line summary a person (or the steered worker)
/// reads first, and the evidence, bounded.
public struct CheckOutcome: Codable, Sendable, Hashable {
    public var kind: String
    public var passed: Bool
    public var summary: String
    public var output: String
    public var durationMs: Int
    /// Why it could not run at all, when that is the setup's problem rather than the work's:
    /// `command_not_found`. Such a failure is not sent back to the worker, and no round repeats it.
    public var code: FailureCode?

    public init(kind: String, passed: Bool, summary: String, output: String = "", durationMs: Int = 0, code: FailureCode? = nil) {
        self.kind = kind
        self.passed = passed
        self.summary = summary
        self.output = output
        self.durationMs = durationMs
        self.code = code
    }
}
