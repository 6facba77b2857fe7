/// `initialize`'s `instructions`: how a calling model gets good work out of bosun. Clients
/// put this in the model's context, so it is short and says what to do, not what bosun is.
enum MCPInstructions {
    static let text = """
        bosun runs worker agents for you, each on one bounded job with its own budget. Hand off \
        research, reading, drafting and checking; keep the plan and the decisions yourself.

        - Brief each worker well. spawn takes task (one sentence, active verb), inputs (the files or \
        URLs to read), scope (what is in and out of bounds), output (a format, or a JSON Schema the \
        result must match) and doNot (the likely mistakes). Pick a role from roles; set limits for \
        jobs that are unusually small or large.
        - Do small things yourself. A job you can finish in under ~30 seconds (read a file, run one \
        search, answer from what you know) costs less done directly than briefed to a worker; hand off \
        work that is long, can run in parallel, or needs a context of its own.
        - Fan out, then wait. Spawn several workers without wait, then await them. Workers over the \
        concurrency cap queue; nothing is refused.
        - Verify before you trust. A worker's result is a claim: check the files it names, run the \
        tests, or spawn a second worker to review it. status and trace show what each worker did.
        - Steer rather than restart. steer sends a running or finished worker a correction; it keeps \
        its conversation and its id.
        - Synthesize yourself. Combine the results into one answer without dropping detail, and say \
        where workers disagree instead of picking one silently.
        - A failed call says what to do in its text. A worker that ended without success comes back \
        with isError, its error code and the worker itself.
        """

    /// The instructions, with what keeps bosun from working said first-hand after them.
    static func with(_ problems: [String]) -> String {
        problems.reduce(text) { $0 + "\n\nIMPORTANT: bosun cannot work yet. " + $1 }
    }
}
