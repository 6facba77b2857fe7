import BosunJSON
import Foundation
import Providers

/// Helpers for keeping a stored conversation valid when a worker resumes it.
public enum Conversation {
    /// The text a steer message carries, marked so the model knows who is speaking.
    public static func steerText(_ message: String) -> String {
        "[Message from the orchestrator]\n\(message)"
    }

    /// Providers require every tool call to be answered by the next message. A worker stopped
    /// between a model reply and its tool results leaves calls unanswered; this returns the
    /// message that answers them, or nil when the conversation is already well formed.
    /// `answers`: results known for some calls by id (an ask answered while the worker was
    /// stopped), given in place of "not run".
    public static func answeringDanglingToolCalls(in messages: [ChatMessage], answers: [String: String] = [:]) -> ChatMessage? {
        guard let last = messages.last, last.role == .assistant else { return nil }
        let results: [ContentBlock] = last.content.compactMap { block in
            guard case .toolUse(let id, let name, _) = block else { return nil }
            if let answer = answers[id] { return .toolResult(toolUseId: id, content: answer, isError: false) }
            let text = name == WorkerLoop.submitToolName
                ? "Result accepted."
                : "Not run: the worker was stopped before this call ran."
            return .toolResult(toolUseId: id, content: text, isError: name != WorkerLoop.submitToolName)
        }
        return results.isEmpty ? nil : ChatMessage(role: .user, content: results)
    }
}
