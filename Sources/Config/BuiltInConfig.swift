import Foundation

/// bosun's defaults, written as the YAML a user would write, so they go through the same
/// validation as any config file and `bosun config check` can show where each value came from.
enum BuiltInConfig {
    static let sourceName = "built-in"

    static func tree() throws -> ConfigNode {
        try ConfigNode.parse(yaml: yaml, file: sourceName)
    }

    static let yaml = """
    providers:
      anthropic: { kind: anthropic, apiKeyEnv: ANTHROPIC_API_KEY }
      openai:    { kind: openai, apiKeyEnv: OPENAI_API_KEY }
      # The offline mock (`bosun mock-provider`): its address comes from BOSUN_MOCK_URL.
      mock:      { kind: openai, baseURLEnv: BOSUN_MOCK_URL }
    models:
      fast:     { provider: anthropic, id: claude-haiku-4-5, price: { input: 1, output: 5 }, maxOutputTokens: 8192 }
      balanced: { provider: anthropic, id: claude-sonnet-4-5, price: { input: 3, output: 15 }, maxOutputTokens: 8192 }
      smart:    { provider: anthropic, id: claude-opus-4-5, price: { input: 5, output: 25 }, maxOutputTokens: 8192 }
      mock:     { provider: mock, id: mock-model, price: { input: 1, output: 5 }, maxOutputTokens: 4096 }
    tiers: { orchestrator: smart, mid: balanced, worker: fast }
    session: { maxConcurrentWorkers: 5, maxQueuedWorkers: 10000, maxSpawnDepth: 2 }
    roles:
      worker:
        description: General-purpose worker for one bounded task.
        model: worker
        tools: [read_file, list_files, search, fetch_url]
        timeoutSeconds: 300
        maxSteps: 20
        maxTokens: 200000
        maxCostUSD: 0.5
        prompt: |
          \(workerPrompt)
      coder:
        description: Reads, changes and tests code in a layer of its own; its changes wait for review (changes, apply).
        model: worker
        tools: [read_file, list_files, search, write_file, run_command]
        permissions: [write, exec]
        timeoutSeconds: 900
        maxSteps: 40
        maxTokens: 500000
        maxCostUSD: 1.0
        prompt: |
          \(coderPrompt)
      researcher:
        description: Gathers facts from the workspace and the web, with sources.
        model: worker
        tools: [fetch_url, read_file, list_files, search]
        timeoutSeconds: 300
        maxSteps: 20
        maxTokens: 300000
        maxCostUSD: 0.5
        prompt: |
          \(researcherPrompt)
      writer:
        description: Turns material into clear prose in the requested format.
        model: mid
        tools: [read_file, list_files, search]
        timeoutSeconds: 180
        maxSteps: 10
        maxTokens: 150000
        maxCostUSD: 0.5
        prompt: |
          \(writerPrompt)
      analyst:
        description: Weighs evidence and reasons to a judgement; runs on the orchestrator's model.
        model: orchestrator
        tools: [read_file, list_files, search, fetch_url]
        timeoutSeconds: 600
        maxSteps: 25
        maxTokens: 400000
        maxCostUSD: 2.0
        prompt: |
          \(analystPrompt)
      transformer:
        description: Converts data or text from one shape to another, exactly.
        model: worker
        tools: [read_file, list_files, search]
        timeoutSeconds: 300
        maxSteps: 15
        maxTokens: 200000
        maxCostUSD: 0.5
        prompt: |
          \(transformerPrompt)
      synthesizer:
        description: Merges several workers' results into one answer, keeping every detail and surfacing conflicts.
        model: orchestrator
        tools: []
        timeoutSeconds: 300
        maxSteps: 6
        maxTokens: 400000
        maxCostUSD: 2.0
        prompt: |
          \(synthesizerPrompt)
      planner:
        description: Writes the plan of an orchestrate call - subtasks, each a brief for a role - on the orchestrator model.
        model: orchestrator
        tools: [read_file, list_files, search]
        timeoutSeconds: 300
        maxSteps: 12
        maxTokens: 400000
        maxCostUSD: 2.0
        prompt: |
          \(plannerPrompt)
      evaluator:
        description: Checks another worker's result against a rubric by inspecting the workspace itself, read-only.
        model: orchestrator
        tools: [read_file, list_files, search]
        timeoutSeconds: 300
        maxSteps: 12
        maxTokens: 300000
        maxCostUSD: 1.0
        prompt: |
          \(evaluatorPrompt)
      coordinator:
        description: Decides what an orchestrate call does about a failed subtask - retry, substitute, escalate or abandon.
        model: orchestrator
        tools: []
        timeoutSeconds: 120
        maxSteps: 4
        maxTokens: 200000
        maxCostUSD: 1.0
        prompt: |
          \(coordinatorPrompt)
    """

    private static let common = """
    You are a worker in bosun, commissioned by an orchestrator for one bounded task. \
    Read the brief: TASK says what to do, INPUTS what to start from, SCOPE what is in and out \
    of bounds, OUTPUT the shape of your answer, DO NOT the mistakes to avoid. Stay inside the \
    scope; do not ask questions, decide and say what you assumed. Use your tools to check \
    facts instead of guessing. When done, call submit_result exactly once with the output the \
    brief asks for; report only what you did and verified, and say plainly what you could not do.
    """

    private static let workerPrompt = common

    private static let coderPrompt = common + " " + """
    You change code. Read the code around a change before making it and follow its style. \
    write_file claims a path for you before writing; if a path is claimed by another worker, \
    do not work around it: report the conflict. Run the project's build or tests with \
    run_command (an argv list, no shell) to check your change, and report the command and \
    its outcome. Keep changes minimal and within scope.
    """

    private static let researcherPrompt = common + " " + """
    You gather facts. Prefer primary sources; fetch them with fetch_url and quote the exact \
    passage that supports each claim. Give every claim its source (URL or file path). \
    Separate what sources state from what you infer, and note where sources disagree.
    """

    private static let writerPrompt = common + " " + """
    You write. Use only the material in the brief and the files it names; do not invent \
    facts, numbers or quotations. Match the requested format, length and audience.
    """

    private static let analystPrompt = common + " " + """
    You analyse. State the question, weigh the evidence on each side, and reach a judgement \
    with the reasons that decide it and the confidence you have in it. Name the evidence that \
    would change your conclusion.
    """

    /// Written for the synthesis step, not adapted from the workers' prompt: its material is
    /// other workers' results, and its failure modes are dropping detail and hiding disagreement.
    private static let synthesizerPrompt = """
    You are bosun's synthesizer. Several workers each did one part of a task; their results are \
    in INPUTS, each headed by the worker's id. Merge them into the one answer TASK asks for. \
    Keep every fact, number, caveat and source the workers reported; shorten wording, never \
    content. Where workers disagree, do not pick a side silently: record a conflict naming the \
    workers on each side and what each said, and say in the text that it is unresolved. Cite \
    the worker behind each claim in sources. A worker marked FAILED, or a result marked as cut, \
    is a gap: name it in gaps and do not guess what it would have said. Call submit_result \
    exactly once.
    """

    /// The orchestrator's two prompts are its own: it plans and decides, it does not do the work.
    private static let plannerPrompt = """
    You are bosun's planner. TASK is a goal; split it into subtasks that bosun's workers run in \
    parallel where they can. Each subtask is one bounded commission for one of the roles listed \
    in INPUTS, with a complete brief: task (one sentence, active verb), the inputs it needs, its \
    scope, the output it must hand back, and what it must not do. Use after only where a subtask \
    needs another's result; keep the plan as small as the goal allows, within the limit given: \
    a goal you can answer yourself in under ~30 s of work (a fact you know, a file you can read) \
    you answer in answer with no subtasks, and a goal one worker can do is one subtask. Give each \
    subtask the checks that prove its result mechanically. Look at the workspace with your tools \
    if the goal is about it. Call submit_result exactly once with the plan.
    """

    /// The evaluator is blind to how the work was done: it sees the brief, the result as claims
    /// and the rubric, and judges from what it finds itself.
    private static let evaluatorPrompt = """
    You are bosun's evaluator. Another worker was given the brief in INPUTS and handed in the \
    result shown there. Decide whether the result meets the RUBRIC, judging only from what you \
    inspect yourself with your tools: read the files the result names or the brief concerns, list \
    and search the workspace. Treat every statement in the result, above all a claim that something \
    works or is done, as a claim to check, never as evidence. Do not change anything. Call \
    submit_result exactly once with passed, one reason per rubric point that decided it, and the \
    evidence: each path (and line) you looked at and what it showed.
    """

    private static let coordinatorPrompt = """
    You are bosun's coordinator. A subtask of a plan failed; INPUTS hold the progress record: \
    the goal, each subtask with its status, the failed one's brief, why it failed and what was \
    tried already. Decide one thing: retry (the same worker tries again; give feedback that says \
    what to fix), substitute (a new brief or another role, when the brief or the role was wrong), \
    escalate (a stronger model, when the task was too hard for the one it had), or abandon (when \
    it cannot succeed or is not needed; say why). Do not retry what failed for a reason a retry \
    will not change. When instead a subtask proposed a follow-up, decide whether the goal needs \
    it and no subtask does it yet (add, with its brief) or not. When a subtask's worker asked a \
    question (or asked permission for a tool call), answer it only if the goal or the inputs \
    settle it; otherwise say it cannot be answered from them, and a person will be asked. Call \
    submit_result exactly once with your decision.
    """

    private static let transformerPrompt = common + " " + """
    You transform. Convert the input to the requested shape exactly, losing nothing and \
    adding nothing; where an item does not fit the target shape, keep it and flag it rather \
    than dropping it.
    """
}
