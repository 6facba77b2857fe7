import BosunJSON
import BosunProtocol
import Foundation
import JSONRPC

/// What a prompt turn asks of `orchestrate`, and how its answer reads in the editor.
enum ACPPrompt {
    /// The most of an earlier answer handed to the next turn's planner.
    static let previousAnswerLength = 4000

    /// The prompt's text blocks are the goal; `resource_link`s (a path, or a URL) and
    /// embedded `resource`s (a file's text) its inputs. The previous turn of the same
    /// session, if any, is an input too, so a follow-up ("now shorter") has its context.
    static func orchestrateParams(_ blocks: [ACPContentBlock], previous: ACPPreviousTurn?) throws(RPCError) -> OrchestrateParams {
        var texts: [String] = []
        var inputs: [String] = []
        for (index, block) in blocks.enumerated() {
            switch block {
            case .text(let text):
                texts.append(text)
            case .resourceLink(let uri, _):
                inputs.append(localPath(uri) ?? uri)
            case .resource(let uri, let text?, _):
                inputs.append("The contents of \(localPath(uri) ?? uri):\n\(text)")
            case .resource(let uri, nil, let mimeType):
                inputs.append("\(localPath(uri) ?? uri) (binary\(mimeType.map { ", \($0)" } ?? ""); read it from there)")
            case .unsupported(let type):
                throw .invalidParams("""
                    prompt[\(index)] is a "\(type)" block, which bosun does not take (its promptCapabilities say so): \
                    send text, resource_link or resource blocks
                    """, field: "prompt[\(index)].type")
            }
        }
        let goal = texts.joined(separator: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !goal.isEmpty else {
            throw .invalidParams("the prompt has no text: say what bosun should do in a text block", field: "prompt")
        }
        if let previous {
            inputs.append("""
                Earlier in this conversation the user asked: \(previous.goal)
                and bosun answered: \(ACPTurnMapper.clip(previous.answer, previousAnswerLength))
                """)
        }
        return OrchestrateParams(goal: goal, inputs: inputs.isEmpty ? nil : inputs)
    }

    /// A `file://` URI's path.
    static func localPath(_ uri: String) -> String? {
        guard uri.hasPrefix("file://"), let url = URL(string: uri), url.isFileURL else { return nil }
        return url.path
    }

    /// How the turn ends: `cancelled` when the client cancelled it or the orchestration was
    /// cancelled or interrupted (the server stopping), else `end_turn`, also for a partial or
    /// failed orchestration, whose message says what was abandoned and why.
    static func stopReason(_ result: OrchestrateResult) -> ACPStopReason {
        switch result.state {
        case .cancelled, .interrupted: return .cancelled
        default: return .endTurn
        }
    }

    /// The agent's message at the end of a turn: the synthesis, then what is missing and why,
    /// where the workers disagree, and the files and URLs the answer rests on.
    static func finalMessage(_ result: OrchestrateResult) -> String {
        var parts: [String] = []
        let abandoned = result.verification.filter { $0.status == .abandoned }
        switch result.state {
        case .succeeded:
            parts.append(result.synthesis?.text ?? "")
        case .partial:
            parts.append(result.synthesis?.text ?? "")
            let passed = result.verification.filter { $0.status == .passed }.count
            // The reason of a partial result lists what was abandoned, which follows with each reason.
            parts.append("Partial result: \(passed) of \(result.verification.count) subtasks passed."
                         + (abandoned.isEmpty ? result.reason.map { " \($0)" } ?? "" : ""))
        case .failed:
            parts.append("bosun could not finish this: \(result.reason ?? "the orchestration failed without a reason").")
            if let text = result.synthesis?.text, !text.isEmpty { parts.append(text) }
        case .cancelled, .interrupted:
            parts.append("The orchestration was \(result.state.rawValue)"
                         + (result.reason.map { ": \($0)" } ?? "."))
        case .planning, .running, .synthesizing:
            parts.append(result.synthesis?.text ?? "The orchestration is still \(result.state.rawValue).")
        }
        if !abandoned.isEmpty {
            parts.append("Abandoned:\n" + abandoned.map { outcome in
                "- \(outcome.subtask): \(outcome.reason ?? "no reason was given")"
            }.joined(separator: "\n"))
        }
        // The synthesis names each abandoned subtask in its gaps too ("subtask b abandoned: …").
        let gaps = (result.synthesis?.gaps ?? []).filter { gap in
            !abandoned.contains { gap.hasPrefix("subtask \($0.subtask) abandoned") }
        }
        if !gaps.isEmpty {
            parts.append("Not covered:\n" + gaps.map { "- \($0)" }.joined(separator: "\n"))
        }
        let conflicts = result.synthesis?.conflicts ?? []
        if !conflicts.isEmpty {
            parts.append("Unresolved conflicts:\n" + conflicts.map { conflict in
                "- \(conflict.topic) (\(conflict.workers.joined(separator: " vs "))): \(conflict.summary)"
            }.joined(separator: "\n"))
        }
        var seen: Set<String> = []
        let sources = (result.synthesis?.sources ?? []).compactMap(\.source).filter { seen.insert($0).inserted }
        if !sources.isEmpty {
            parts.append("Sources:\n" + sources.map { "- \($0)" }.joined(separator: "\n"))
        }
        return parts.filter { !$0.isEmpty }.joined(separator: "\n\n")
    }

    /// A message as `agent_message_chunk`s of at most `limit` characters, cut after a
    /// newline where there is one, so a client can render it as it arrives.
    static func chunks(_ text: String, limit: Int = 2000) -> [String] {
        var chunks: [String] = []
        var rest = Substring(text)
        while rest.count > limit {
            let window = rest.prefix(limit)
            let cut = window.lastIndex(of: "\n").map { rest.index(after: $0) } ?? window.endIndex
            chunks.append(String(rest[..<cut]))
            rest = rest[cut...]
        }
        if !rest.isEmpty { chunks.append(String(rest)) }
        return chunks
    }
}

/// A finished turn, kept for the next one's context.
struct ACPPreviousTurn: Sendable {
    var goal: String
    var answer: String
}
