import BosunProtocol
import BosunJSON
import Foundation
import Providers
import Workspace

/// What the checks of one round see: the workspace, the worker's brief and result, how to
/// run commands, and how to reach the evaluator model. Nothing of sessions or the wire.
public struct CheckContext: Sendable {
    /// The real path of the workspace root; every path a check names stays inside it.
    public var workspaceRoot: String
    /// The worker's brief as the worker saw it (for the judge).
    public var brief: String
    /// The worker's `result.text`, and `result.structured` when it has one.
    public var resultText: String
    public var resultStructured: JSONValue?
    /// The worker's own output schema, for a schema check that gives none.
    public var outputSchema: JSONValue?
    public var commands: CommandPolicy
    /// Runs the judge's model call; nil when no evaluator model can be reached.
    public var judge: JudgeModel?
    /// Runs an evaluator worker for a judge check with `inspect`; nil where none can run.
    public var evaluate: (@Sendable (JudgeCheck) async -> CheckOutcome)?
    /// The worker's layer when it writes in one: checks see the workspace with its changes
    /// in place (files checks read through it, commands run over it).
    public var layer: Layer?

    public init(workspaceRoot: String, brief: String, resultText: String, resultStructured: JSONValue?,
                outputSchema: JSONValue?, commands: CommandPolicy, judge: JudgeModel?,
                evaluate: (@Sendable (JudgeCheck) async -> CheckOutcome)? = nil, layer: Layer? = nil) {
        self.evaluate = evaluate
        self.workspaceRoot = workspaceRoot
        self.brief = brief
        self.resultText = resultText
        self.resultStructured = resultStructured
        self.outputSchema = outputSchema
        self.commands = commands
        self.judge = judge
        self.layer = layer
    }
}

/// How command checks run: the same sandbox and limits as `run_command`.
public struct CommandPolicy: Sendable {
    /// The bubblewrap binary, found when a command runs.
    public var bubblewrap: Bubblewrap
    /// Whether a command may run without the sandbox when bubblewrap is missing.
    public var allowUnsandboxed: Bool
    /// Paths the sandbox hides wherever they live (the trace store, bosun's config).
    public var privatePaths: [String]
    /// The longest a command may run, whatever a check asks.
    public var maxTimeoutSeconds: Double
    /// Output kept from the head and, as much again, from the tail.
    public var outputBytes: Int

    public init(bubblewrap: Bubblewrap = .probedWhenRun, allowUnsandboxed: Bool, privatePaths: [String],
                maxTimeoutSeconds: Double, outputBytes: Int) {
        self.bubblewrap = bubblewrap
        self.allowUnsandboxed = allowUnsandboxed
        self.privatePaths = privatePaths
        self.maxTimeoutSeconds = maxTimeoutSeconds
        self.outputBytes = outputBytes
    }
}

extension CommandPolicy {
    /// Commands under this sandbox binary (nil: none), rather than the one probed when they run.
    public init(bwrap: String?, allowUnsandboxed: Bool, privatePaths: [String], maxTimeoutSeconds: Double, outputBytes: Int) {
        self.init(bubblewrap: .given(bwrap), allowUnsandboxed: allowUnsandboxed, privatePaths: privatePaths,
                  maxTimeoutSeconds: maxTimeoutSeconds, outputBytes: outputBytes)
    }
}

/// The evaluator model behind a judge check: which client and provider model id an alias
/// (or the default tier) means, and where the call's usage goes (the session counts it
/// toward its budget and records it in the trace).
public struct JudgeModel: Sendable {
    public var resolve: @Sendable (_ alias: String?) throws -> (modelId: String, client: any ModelClient)
    public var record: @Sendable (_ modelId: String, _ usage: Usage) async -> Void

    public init(resolve: @escaping @Sendable (String?) throws -> (modelId: String, client: any ModelClient),
                record: @escaping @Sendable (String, Usage) async -> Void) {
        self.resolve = resolve
        self.record = record
    }
}
