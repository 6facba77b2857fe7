import BosunJSON

/// Notices a worker making the same tool call over and over. Users of other runtimes report
/// workers polling the same thing hundreds of times until a budget ran out; a loop that asks
/// the same question and gets the same answer will not learn anything new by asking again.
///
/// The rule: a call whose tool and input equal the previous call's extends a streak. When a
/// streak reaches `repeats` the worker is nudged once (told, in that call's result, that it is
/// repeating itself); if the streak goes on after the nudge, the worker fails as `stalled`.
/// A different call ends the streak but not the nudge: a worker nudged once is not nudged
/// again, the next streak of `repeats` ends it.
public struct StallDetector: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        case proceed
        /// Run the call, and tell the model it is repeating itself.
        case nudge
        /// End the worker: it went on repeating after the nudge.
        case stalled
    }

    /// Consecutive identical calls that count as a stall; 0 turns detection off.
    public let repeats: Int
    private var lastTool: String?
    private var lastInput: JSONValue?
    private var streak = 0
    private var nudged = false

    public init(repeats: Int) { self.repeats = repeats }

    /// Records a call (its tool name and input) and says what to do about it.
    public mutating func observe(tool: String, input: JSONValue) -> Verdict {
        guard repeats > 0 else { return .proceed }
        if tool == lastTool && input == lastInput {
            streak += 1
        } else {
            (lastTool, lastInput, streak) = (tool, input, 1)
        }
        guard streak >= repeats else { return .proceed }
        if nudged { return .stalled }
        nudged = true
        return .nudge
    }

    public static func nudgeText(tool: String, repeats: Int) -> String {
        """
        Note: you have now called \(tool) \(repeats) times in a row with exactly the same input, and the \
        answer will not change. Do something different: use what you already have, try another approach, or \
        call submit_result. Calling it again unchanged ends this worker as stalled.
        """
    }
}
