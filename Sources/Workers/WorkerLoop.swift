import BosunJSON
import Foundation
import Providers
import Workspace

/// Everything one run of a worker needs, resolved by the session before it starts.
public struct WorkerLoopSetup: Sendable {
    /// The provider's model id.
    public var modelId: String
    public var system: String
    public var tools: [any WorkerTool]
    /// The input schema of `submit_result` (see `WorkerBrief.submitSchema`).
    public var submitSchema: JSONValue
    /// Whether an accepted submission is also kept whole as `result.structured`.
    public var keepsStructuredResult: Bool
    public var limits: WorkerLimits
    public var price: ModelPrice
    public var toolContext: ToolContext
    /// The output-token cap of each model call.
    public var maxOutputTokensPerCall: Int
    /// The session's budget, shared with its other workers; nil when it has none.
    public var sessionBudget: SessionBudget?
    /// Identical tool calls in a row that count as a stall (see `StallDetector`); 0 is off.
    public var stallRepeats: Int
    /// The prompt cache key of this worker's model calls (see `ModelRequest.cacheKey`): its
    /// system, tools and brief stay the same from step to step, so each step reads the last.
    public var cacheKey: String?

    public init(modelId: String, system: String, tools: [any WorkerTool], submitSchema: JSONValue,
                keepsStructuredResult: Bool, limits: WorkerLimits, price: ModelPrice, toolContext: ToolContext,
                maxOutputTokensPerCall: Int = 4096, sessionBudget: SessionBudget? = nil, stallRepeats: Int = 3,
                cacheKey: String? = nil) {
        self.modelId = modelId
        self.system = system
        self.tools = tools
        self.submitSchema = submitSchema
        self.keepsStructuredResult = keepsStructuredResult
        self.limits = limits
        self.price = price
        self.toolContext = toolContext
        self.maxOutputTokensPerCall = maxOutputTokensPerCall
        self.sessionBudget = sessionBudget
        self.stallRepeats = stallRepeats
        self.cacheKey = cacheKey
    }
}

/// One worker's tool-calling loop: read the steer inbox, call the model, run the tools it
/// asked for, append, repeat, until an accepted `submit_result` or a limit. It knows only a
/// `ModelClient` and its tools; the session owns state, persistence and the deadline (it
/// cancels the task running `run`, which aborts the model transfer and any tool).
public struct WorkerLoop: Sendable {
    public static let submitToolName = "submit_result"

    public typealias Inbox = @Sendable () async -> [String]
    public typealias Reporter = @Sendable (WorkerLoopEvent) async -> Void

    private let setup: WorkerLoopSetup
    private let client: any ModelClient
    private let inbox: Inbox
    private let report: Reporter
    /// Every tool's spec, `submit_result`'s last: made once, as a spec encodes its schema.
    private let specs: [ToolSpec]
    private let toolsByName: [String: any WorkerTool]

    public init(setup: WorkerLoopSetup, client: any ModelClient, inbox: @escaping Inbox, report: @escaping Reporter) {
        self.setup = setup
        self.client = client
        self.inbox = inbox
        self.report = report
        let toolSpecs = setup.tools.map(\.spec)
        specs = toolSpecs + [ToolSpec(name: Self.submitToolName,
                                      description: "Submit your final answer. Call it once, when the task is done; its input is your result.",
                                      inputSchema: setup.submitSchema)]
        toolsByName = Dictionary(zip(toolSpecs.map(\.name), setup.tools), uniquingKeysWith: { first, _ in first })
    }

    /// Runs from `history` (the brief message on a first run; the stored conversation on a
    /// resume, whose steer message waits in the inbox). Throws only `CancellationError`.
    public func run(history: [ChatMessage]) async throws -> WorkerOutcome {
        var conversation = history
        var steps = 0
        var usage = Usage()
        var cost = 0.0
        var stall = StallDetector(repeats: setup.stallRepeats)

        while true {
            try Task.checkCancellation()
            try await deliverSteers(into: &conversation)
            // Checked again right before each call: another worker may have spent the
            // session's budget while this one ran its tools.
            if let exhausted = setup.sessionBudget?.exhaustion() { return .failed(exhausted) }

            steps += 1
            await report(.modelCall(step: steps, model: setup.modelId))
            let reply: ModelReply
            do {
                reply = try await callModel(conversation: conversation, tools: specs)
            } catch let failure as WorkerFailure {
                return .failed(failure)
            }
            let callCost = setup.price.cost(of: reply.usage)
            setup.sessionBudget?.charge(callCost)
            try Task.checkCancellation()
            usage = usage + reply.usage
            cost += callCost
            await report(.usage(steps: steps, usage: usage, costUSD: cost))

            let assistant = ChatMessage(role: .assistant, content: reply.content)
            conversation.append(assistant)
            await report(.message(assistant, origin: .model))
            let text = reply.content.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
            if !text.isEmpty { await report(.text(text)) }

            let calls = reply.content.compactMap(ToolCall.init)
            if let accepted = acceptedSubmission(in: calls) {
                let answers = calls.map { call in
                    ContentBlock.toolResult(toolUseId: call.id, content: call.name == Self.submitToolName && call.input == accepted.input
                        ? "Result accepted." : "Not run: a result was already accepted.", isError: false)
                }
                let message = ChatMessage(role: .user, content: answers)
                await report(.message(message, origin: .tool))
                return .succeeded(accepted.result)
            }
            if let breach = limitBreach(steps: steps, usage: usage, cost: cost) {
                return .failed(breach)
            }

            var answers: [ContentBlock] = []
            for call in calls {
                switch try await answer(call, stall: &stall) {
                case .answer(let block): answers.append(block)
                case .fail(let failure): return .failed(failure)
                }
            }
            if calls.isEmpty {
                answers.append(.text("""
                    You did not call a tool, and plain text reaches nobody. Continue the task with your tools, \
                    or call \(Self.submitToolName) with your answer.
                    """))
            }
            let message = ChatMessage(role: .user, content: answers)
            conversation.append(message)
            await report(.message(message, origin: .tool))
        }
    }

    // MARK: - Steps

    /// Appends every waiting steer message, answering first any tool calls a stopped run left open.
    private func deliverSteers(into conversation: inout [ChatMessage]) async throws {
        let steers = await inbox()
        guard !steers.isEmpty else { return }
        if let answer = Conversation.answeringDanglingToolCalls(in: conversation) {
            conversation.append(answer)
            await report(.message(answer, origin: .system))
        }
        for steer in steers {
            let message = ChatMessage.user(Conversation.steerText(steer))
            conversation.append(message)
            await report(.message(message, origin: .orchestrator))
            await report(.steered(message: steer))
        }
    }

    private func callModel(conversation: [ChatMessage], tools: [ToolSpec]) async throws -> ModelReply {
        let request = ModelRequest(model: setup.modelId, system: setup.system, messages: conversation, tools: tools,
                                   toolChoice: .auto, maxTokens: setup.maxOutputTokensPerCall, stream: true,
                                   cacheKey: setup.cacheKey)
        let report = self.report
        do {
            return try await client.complete(request) { progress in
                guard case .retrying(let attempt, let delay, let error) = progress else { return }
                Task { await report(.retry(attempt: attempt, delay: delay, error: error.description)) }
            }
        } catch let error as ProviderError {
            if error.kind == .cancelled || Task.isCancelled { throw CancellationError() }
            throw WorkerFailure(code: .providerError, message: "The model call failed: \(error.description).")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw WorkerFailure(code: .providerError, message: "The model call failed: \(error).")
        }
    }

    private struct Submission {
        var input: JSONValue
        var result: WorkerResult
    }

    /// The first `submit_result` in the reply whose input satisfies the schema.
    private func acceptedSubmission(in calls: [ToolCall]) -> Submission? {
        for call in calls where call.name == Self.submitToolName {
            guard JSONSchemaValidator.validate(call.input, against: setup.submitSchema).isEmpty else { continue }
            return Submission(input: call.input, result: result(from: call.input))
        }
        return nil
    }

    private func result(from input: JSONValue) -> WorkerResult {
        let text = input["text"]?.stringValue ?? input.jsonString()
        let sources = input["sources"]?.arrayValue?.compactMap(\.stringValue)
        let followUps = input["followUps"]?.arrayValue?.compactMap(\.stringValue)
        return WorkerResult(text: text, structured: setup.keepsStructuredResult ? input : JSONValue?.none,
                            sources: sources?.isEmpty == false ? sources : nil,
                            followUps: followUps?.isEmpty == false ? followUps : nil)
    }

    private func limitBreach(steps: Int, usage: Usage, cost: Double) -> WorkerFailure? {
        if let exhausted = setup.sessionBudget?.exhaustion() { return exhausted }
        let limits = setup.limits
        let tokens = usage.totalTokens
        if tokens > limits.maxTokens {
            return WorkerFailure(code: .maxTokens, message: """
                The worker used \(tokens) tokens, over its limit of \(limits.maxTokens), without submitting a result. \
                Raise limits.maxTokens or narrow the task, then steer it to continue.
                """)
        }
        if cost > limits.maxCostUSD {
            return WorkerFailure(code: .maxCost, message: """
                The worker spent $\(String(format: "%.4f", cost)), over its limit of $\(limits.maxCostUSD), without \
                submitting a result. Raise limits.maxCostUSD or narrow the task, then steer it to continue.
                """)
        }
        if steps >= limits.maxSteps {
            return WorkerFailure(code: .maxSteps, message: """
                The worker used all \(limits.maxSteps) steps without submitting a valid result. Raise limits.maxSteps \
                or narrow the task, then steer it to continue.
                """)
        }
        return nil
    }

    private enum Answer {
        case answer(ContentBlock)
        case fail(WorkerFailure)
    }

    /// Runs one tool call, or explains to the model why a submission was refused.
    private func answer(_ call: ToolCall, stall: inout StallDetector) async throws -> Answer {
        if call.name == Self.submitToolName {
            let violations = JSONSchemaValidator.validate(call.input, against: setup.submitSchema)
            let list = violations.map { "- \($0.path.isEmpty ? "(root)" : $0.path): \($0.message)" }.joined(separator: "\n")
            return .answer(.toolResult(toolUseId: call.id, content: """
                Your submission does not match the output schema:
                \(list)
                Fix these and call \(Self.submitToolName) again.
                """, isError: true))
        }
        let verdict = stall.observe(tool: call.name, input: call.input)
        if verdict == .stalled {
            return .fail(WorkerFailure(code: .stalled, message: """
                The worker kept calling \(call.name) with the same input after being told it was repeating itself. \
                Steer it with what it is missing, or narrow the task.
                """))
        }
        await report(.toolCall(id: call.id, name: call.name, input: call.input))
        var output: ToolOutput
        var approvalTrace: JSONValue?
        if let tool = toolsByName[call.name] {
            do {
                switch try await ToolApproval.check(tool: call.name, input: call.input, context: setup.toolContext) {
                case .refuse(let refusal):
                    output = refusal
                case .run(let trace, let note):
                    approvalTrace = trace
                    output = try await tool.run(call.input, context: setup.toolContext)
                    if let note { output.text = "[\(note)]\n" + output.text }
                }
            } catch let error as ToolError {
                output = ToolOutput(text: error.message, isError: true)
            } catch let error as WorkspaceError {
                output = ToolOutput(text: error.message, isError: true)
            } catch let failure as WorkerFailure {
                await report(.toolResult(id: call.id, name: call.name, output: ToolOutput(text: failure.message, isError: true)))
                return .fail(failure)
            } catch {
                if Task.isCancelled || error is CancellationError { throw CancellationError() }
                return .fail(WorkerFailure(code: .toolError, message: "The tool \(call.name) failed: \(error)."))
            }
        } else {
            let known = specs.map(\.name).joined(separator: ", ")
            output = ToolOutput(text: "There is no tool named \(call.name). Available tools: \(known).", isError: true)
        }
        try Task.checkCancellation()
        if let approvalTrace { output.trace["approval"] = approvalTrace }
        if verdict == .nudge {
            output.text += "\n\n" + StallDetector.nudgeText(tool: call.name, repeats: stall.repeats)
        }
        await report(.toolResult(id: call.id, name: call.name, output: output))
        return .answer(.toolResult(toolUseId: call.id, content: output.text, isError: output.isError))
    }
}

/// A tool call the model made, picked out of its reply.
private struct ToolCall {
    var id: String
    var name: String
    var input: JSONValue

    init?(_ block: ContentBlock) {
        guard case .toolUse(let id, let name, let input) = block else { return nil }
        self.id = id
        self.name = name
        self.input = input
    }
}
