import Foundation

/// What one check found: pass or fail, a one-line summary a person (or the steered worker)
/// reads first, and the evidence, bounded.
public struct CheckOutcome: Codable, Sendable, Hashable {
    public var kind: String
    public var passed: Bool
    public var summary: String
    public var output: String
    public var durationMs: Int

    public init(kind: String, passed: Bool, summary: String, output: String = "", durationMs: Int = 0) {
        self.kind = kind
        self.passed = passed
        self.summary = summary
        self.output = output
        self.durationMs = durationMs
    }
}
