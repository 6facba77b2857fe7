import BosunJSON
import Providers

/// What a worker whose role has the `spawn` permission may ask of its session: commission
/// child workers and wait for them. The session implements it (it owns the queue, the slots
/// and the depth cap); the tools below only carry the model's input across. Refusals the
/// model can act on (depth cap, unknown role, budget) are thrown as `ToolError`.
public protocol WorkerDelegation: Sendable {
    /// Spawns a child of `parent` from a `spawn_worker` input; answers at once with the child.
    func spawnChild(of parent: String, _ input: JSONValue) async throws -> ToolOutput
    /// Waits for children of `parent` from an `await_workers` input. The parent gives its
    /// slot back while it waits and takes one again before this returns; a child's ask
    /// (which goes to its parent first) ends the wait early.
    func awaitChildren(of parent: String, _ input: JSONValue) async throws -> ToolOutput
    /// Answers one of the children's asks from an `answer_ask` input.
    func answerChildAsk(of parent: String, _ input: JSONValue) async throws -> ToolOutput
}

/// `spawn_worker`: commissions a child worker with a brief of its own.
public struct SpawnWorkerTool: WorkerTool {
    public static let name = "spawn_worker"
    let delegation: any WorkerDelegation

    public init(delegation: any WorkerDelegation) { self.delegation = delegation }

    public var spec: ToolSpec { Self.spec }

    /// Made once per process (it depends on nothing): a spec encodes its schema.
    static let spec =
        ToolSpec(name: Self.name, description: """
            Commission a child worker for one bounded part of your task. Give it a brief: a one-sentence \
            task with an active verb, the inputs it needs, its scope, the output you want back and what not \
            to do. It answers at once with the child's id; the child runs in parallel with you. Call \
            await_workers to collect results. Children cannot see your conversation: put everything they \
            need in the brief.
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "task": ["type": "string", "description": "One sentence, active verb."],
                    "inputs": ["type": "array", "items": ["type": "string"], "description": "Files, URLs or data the child needs."],
                    "scope": ["type": "string", "description": "What is in and out of bounds."],
                    "output": ["type": "object", "properties": [
                        "format": ["type": "string"],
                        "schema": ["type": "object", "description": "A JSON Schema the child's result must match."],
                    ], "additionalProperties": false],
                    "doNot": ["type": "array", "items": ["type": "string"], "description": "Likely mistakes to avoid."],
                    "role": ["type": "string", "description": "The child's role; default worker."],
                    "tools": ["type": "array", "items": ["type": "string"], "description": "A subset of the role's tools."],
                    "limits": ["type": "object", "properties": [
                        "timeoutSeconds": ["type": "number"], "maxSteps": ["type": "integer"],
                        "maxTokens": ["type": "integer"], "maxCostUSD": ["type": "number"],
                    ], "additionalProperties": false],
                    "approval": ["type": "object", "description": """
                        Rules that narrow what the child may do, on top of yours (never wider): patterns such as \
                        run_command(npm test *), write_file(src/**), fetch_url(domain:docs.rs).
                        """, "properties": [
                        "allow": ["type": "array", "items": ["type": "string"]],
                        "ask": ["type": "array", "items": ["type": "string"]],
                        "deny": ["type": "array", "items": ["type": "string"]],
                        "default": ["type": "string", "enum": ["allow", "ask", "deny"]],
                    ], "additionalProperties": false],
                ],
                "required": ["task"],
                "additionalProperties": false,
            ])

    public func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        try await delegation.spawnChild(of: context.workerId, input)
    }
}

/// `await_workers`: waits for children and returns their results.
public struct AwaitWorkersTool: WorkerTool {
    public static let name = "await_workers"
    let delegation: any WorkerDelegation

    public init(delegation: any WorkerDelegation) { self.delegation = delegation }

    public var spec: ToolSpec { Self.spec }

    /// Made once per process (it depends on nothing): a spec encodes its schema.
    static let spec =
        ToolSpec(name: Self.name, description: """
            Wait for child workers you spawned and get their results. Without `workers`, waits for all your \
            children. mode "any" returns as soon as one has finished. While you wait you hold no slot, so \
            your children can run. It also returns as soon as a child asks you something (asks): answer it \
            with answer_ask, then wait again.
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "workers": ["type": "array", "items": ["type": "string"], "description": "Child worker ids; default all."],
                    "mode": ["type": "string", "enum": ["all", "any"]],
                    "timeoutSeconds": ["type": "number", "exclusiveMinimum": 0],
                ],
                "additionalProperties": false,
            ])

    public func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        try await delegation.awaitChildren(of: context.workerId, input)
    }
}

/// `answer_ask`: answers a question (or permission ask) one of the worker's children put to it.
public struct AnswerAskTool: WorkerTool {
    public static let name = "answer_ask"
    let delegation: any WorkerDelegation

    public init(delegation: any WorkerDelegation) { self.delegation = delegation }

    public var spec: ToolSpec { Self.spec }

    /// Made once per process (it depends on nothing): a spec encodes its schema.
    static let spec =
        ToolSpec(name: Self.name, description: """
            Answer an ask from one of your child workers (await_workers lists them in asks; a message tells you \
            of one while you run). A question takes text (one of its options when it has options); a permission \
            ask (may the child make this tool call?) takes decision allow or deny; decision deny also declines a \
            question. The child waits until you answer. askId may be left out while only one ask is pending.
            """, inputSchema: [
                "type": "object",
                "properties": [
                    "askId": ["type": "string", "description": "The ask to answer (a_…)."],
                    "text": ["type": "string", "description": "The answer to a question, or a note with a decision."],
                    "decision": ["type": "string", "enum": ["allow", "allow_always", "deny"]],
                ],
                "additionalProperties": false,
            ])

    public func run(_ input: JSONValue, context: ToolContext) async throws -> ToolOutput {
        try await delegation.answerChildAsk(of: context.workerId, input)
    }
}
