import BosunJSON
import Config
import Foundation
import Providers
import Workspace

/// Everything a tool needs to know about the worker calling it.
public struct ToolContext: Sendable {
    public var sessionId: String
    public var workerId: String
    /// The real path (symlinks resolved) of the workspace root; every file tool stays inside it.
    public var workspaceRoot: String
    public var permissions: ToolPermissions
    /// The worker's own layer when its role writes in one: its writes land there and its
    /// file tools and commands see the workspace with the layer on top. Nil: no layer.
    public var layer: Layer?
    /// Where the worker's asks go (its `ask` tool, a call its approval rules say to ask
    /// about); nil where nobody can answer.
    public var asking: (any WorkerAsking)?
    /// The approval rules the worker's calls are checked against before they run: its
    /// role's, and every narrowing its spawn and its ancestors added.
    public var approval: ApprovalPolicy
    /// Calls a person allowed for the rest of the session (`allow_always`).
    public var sessionApprovals: SessionApprovals?

    public init(sessionId: String, workerId: String, workspaceRoot: String, permissions: ToolPermissions, layer: Layer? = nil,
                asking: (any WorkerAsking)? = nil, approval: ApprovalPolicy = .none, sessionApprovals: SessionApprovals? = nil) {
        self.sessionId = sessionId
        self.workerId = workerId
        self.workspaceRoot = workspaceRoot
        self.permissions = permissions
        self.layer = layer
        self.asking = asking
        self.approval = approval
        self.sessionApprovals = sessionApprovals
    }
}

/// A tool's answer, shown to the model as a tool_result.
public struct ToolOutput: Sendable, Hashable {
    public var text: String
    public var isError: Bool
    /// What the trace keeps beside the text in the tool_result event (an MCP call's server,
    /// tool, duration and size); the model never sees it.
    public var trace: [String: JSONValue]
    /// The worker's layer after a tool that writes into it, so the session can show what it
    /// holds (`Worker.changes`) and tell the client when that grows.
    public var layer: LayerSummary?

    public init(text: String, isError: Bool = false, trace: [String: JSONValue] = [:], layer: LayerSummary? = nil) {
        self.text = text
        self.isError = isError
        self.trace = trace
        self.layer = layer
    }
}

/// A tool failure the model should see and can act on ("path escapes the workspace").
/// The worker loop turns it into an error tool_result; it does not end the worker.
public struct ToolError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One tool a worker can call. `submit_result` is not one of these: the worker loop owns it.
public protocol WorkerTool: Sendable {
    var spec: ToolSpec { get }
    func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput
}
