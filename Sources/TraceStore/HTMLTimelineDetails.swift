import Foundation

/// The parts of a worker's opened row that read its calls and checks: each model call with
/// its prompt, completion, tokens, cost and latency, and `verify`'s rounds as scores.
enum HTMLTimelineDetails {
    /// The anchor of a call on the page (`w_…-c<seq>`), which its bar segment links to.
    static func anchor(_ call: WorkerCall, of workerId: String) -> String { "\(workerId)-c\(call.seq)" }

    /// One entry per model call, in order, each opening to what was sent and what came back.
    /// A call's prompt is what the conversation gained since the previous call (the brief for
    /// the first); its completion is the model's message. Calls are matched to the stored
    /// messages in order: each answered call wrote one model message.
    static func modelCalls(_ calls: [WorkerCall], of worker: WorkerRecord, messages: [MessageRecord]) -> String {
        let models = calls.filter { $0.kind == .model }
        guard !models.isEmpty else { return "" }
        let escape = HTMLTimelineRenderer.escape
        // The conversation split at each model message: the prompt before it, then it.
        var exchanges: [(prompt: [MessageRecord], completion: MessageRecord)] = []
        var pending: [MessageRecord] = []
        for message in messages {
            if message.origin == "model" {
                exchanges.append((pending, message))
                pending = []
            } else {
                pending.append(message)
            }
        }
        let answeredAtAll = models.contains(where: \.answered)
        var next = 0
        var html = "<h3>Model calls (\(models.count))</h3><ol class=\"calls\">\n"
        for call in models {
            var facts = [call.model ?? worker.model]
            if let usage = call.usage {
                facts += ["\(usage.inputTokens) in / \(usage.outputTokens) out" + (usage.cacheReadTokens > 0 ? " (\(usage.cacheReadTokens) cached)" : "")
                          + (usage.cacheWriteTokens > 0 ? " (\(usage.cacheWriteTokens) written to the cache)" : ""),
                          TraceFormat.cost(usage.costUSD)]
            }
            facts.append(TraceFormat.duration(call.duration) + (call.answered ? "" : " (no answer)"))
            if call.retries > 0 { facts.append("\(call.retries) retr\(call.retries == 1 ? "y" : "ies")") }
            html += "<li><details class=\"call\" id=\"\(escape(anchor(call, of: worker.id)))\"><summary>step \(call.step.map(String.init) ?? "?") · "
                + escape(facts.joined(separator: " · ")) + "</summary>\n"
            // Older traces recorded no replies: then every call is taken to have answered.
            if (call.answered || !answeredAtAll), next < exchanges.count {
                let exchange = exchanges[next]
                next += 1
                html += "<h4>Prompt</h4><pre class=\"prompt\">\(escape(exchange.prompt.map(text).joined(separator: "\n\n")))</pre>\n"
                html += "<h4>Completion</h4><pre class=\"completion\">\(escape(text(exchange.completion)))</pre>\n"
            } else if messages.isEmpty {
                html += "<p class=\"note\">The conversation is not in this page (see <code>bosun trace show \(escape(worker.id))</code>).</p>\n"
            } else {
                html += "<p class=\"note\">No answer was stored for this call.</p>\n"
            }
            html += "</details></li>\n"
        }
        return html + "</ol>\n"
    }

    /// A message's content blocks as text: its text, `→ tool(input)` for a tool call and
    /// `← result` for a tool's answer.
    static func text(_ message: MessageRecord) -> String {
        guard let blocks = (try? JSONSerialization.jsonObject(with: Data(message.contentJSON.utf8))) as? [[String: Any]] else {
            return message.contentJSON
        }
        let parts = blocks.map { block -> String in
            switch block["type"] as? String {
            case "tool_use":
                let input = block["input"].flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
                return "→ \(block["name"] as? String ?? "tool")(\(input.map { String(decoding: $0, as: UTF8.self) } ?? ""))"
            case "tool_result":
                let content = block["content"] as? String ?? ""
                return ((block["isError"] as? Bool) == true ? "← error: " : "← ") + content
            default:
                return block["text"] as? String ?? ""
            }
        }
        return "[\(message.origin)] " + parts.joined(separator: "\n")
    }

    /// What `verify` found, from its `verify_round` events: each round's checks passed out of
    /// those run. The last round's is the worker's score.
    struct VerifyScore {
        var round: Int
        var model: String
        var passed: Int
        var total: Int
        var checks: [(kind: String, passed: Bool, summary: String)]

        var text: String { "\(passed)/\(total)" }
        var allPassed: Bool { passed == total }

        static func rounds(in events: [EventRecord]) -> [VerifyScore] {
            events.filter { $0.kind == "verify_round" }.compactMap { event in
                guard let data = (try? JSONSerialization.jsonObject(with: Data(event.dataJSON.utf8))) as? [String: Any] else { return nil }
                let checks = (data["checks"] as? [[String: Any]] ?? []).map { check in
                    (kind: check["kind"] as? String ?? "check", passed: check["passed"] as? Bool ?? false,
                     summary: check["summary"] as? String ?? "")
                }
                return VerifyScore(round: (data["round"] as? NSNumber)?.intValue ?? 0, model: data["model"] as? String ?? "",
                                   passed: checks.filter(\.passed).count, total: checks.count, checks: checks)
            }
        }
    }

    static func verification(_ rounds: [VerifyScore]) -> String {
        guard !rounds.isEmpty else { return "" }
        let escape = HTMLTimelineRenderer.escape
        var html = "<h3>Verification</h3><table class=\"verify\"><thead><tr><th>round</th><th>model</th><th>score</th><th>checks</th></tr></thead><tbody>\n"
        for round in rounds {
            let checks = round.checks.map { "<li class=\"\($0.passed ? "pass" : "fail")\">\($0.passed ? "✓" : "✗") <b>\(escape($0.kind))</b> \(escape(TraceFormat.oneLine($0.summary, limit: 160)))</li>" }
            html += "<tr><td>\(round.round)</td><td>\(escape(round.model))</td>"
                + "<td class=\"score \(round.allPassed ? "pass" : "fail")\">\(round.text)</td><td><ul>\(checks.joined())</ul></td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }
}
