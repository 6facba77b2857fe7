import BosunJSON
import Foundation
import Providers

/// Who wrote a conversation message, as the trace store records it.
public enum MessageOrigin: String, Sendable, Codable {
    case brief
    case model
    case tool
    /// A `steer` message from the client that commissioned the worker.
    case orchestrator
    case system
}

/// What a running worker loop reports, in order, as it happens. The session turns these
/// into stored events, `worker/event` notifications and stored conversation messages.
public enum WorkerLoopEvent: Sendable {
    /// A model call is about to start; `step` counts from 1 within the run.
    case modelCall(step: Int, model: String)
    /// The text the model wrote alongside its tool calls in one reply.
    case text(String)
    case toolCall(id: String, name: String, input: JSONValue)
    case toolResult(id: String, name: String, output: ToolOutput)
    /// The provider client will retry a transient failure after `delay` seconds.
    case retry(attempt: Int, delay: Double, error: String)
    /// A steer message reached the conversation, just before a model call.
    case steered(message: String)
    /// Totals of the run so far, after each model call.
    case usage(steps: Int, usage: Usage, costUSD: Double)
    /// A message appended to the conversation; persist it to make the worker resumable.
    case message(ChatMessage, origin: MessageOrigin)
}

/// How a run of the loop ended (cancellation and timeouts end it by cancelling its task).
public enum WorkerOutcome: Sendable, Hashable {
    case succeeded(WorkerResult)
    case failed(WorkerFailure)
}
