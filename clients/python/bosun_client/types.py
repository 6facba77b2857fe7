"""Typed results of bosun/1: one dataclass per shape in protocol/bosun-1.schema.json.

Each type has `from_wire(dict)`, which reads the server's camelCase JSON. Fields the
schema marks optional are `None` when absent. The untouched JSON stays in `raw`, so a
field added by a newer server is never out of reach.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

TERMINAL_STATES = frozenset({"succeeded", "failed", "cancelled", "timed_out", "interrupted"})
"""The states (and `worker/event` kinds) that end a worker's run."""

ORCHESTRATION_TERMINAL_STATES = frozenset({"succeeded", "partial", "failed", "cancelled", "interrupted"})
"""The states (and `orchestration/event` kinds) that end an orchestration's run."""


def parse_time(text: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 UTC timestamp (`2026-11-22T00:13:31.517Z`) as an aware datetime."""
    if text is None:
        return None
    # Python before 3.11 parses only 3 or 6 fraction digits and no "Z".
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    whole, fraction, zone = match.groups()
    micro = "." + (fraction or "0").ljust(6, "0")[:6]
    return datetime.fromisoformat(whole + micro + ("+00:00" if zone == "Z" else zone))


def _required_time(text: str) -> datetime:
    parsed = parse_time(text)
    assert parsed is not None
    return parsed


def _raw() -> Any:
    return field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost_usd: float = 0.0
    cache_write_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens

    @classmethod
    def from_wire(cls, data: Optional[dict[str, Any]]) -> "Usage":
        data = data or {}
        return cls(data.get("inputTokens", 0), data.get("outputTokens", 0),
                   data.get("cacheReadTokens", 0), data.get("costUSD", 0.0),
                   data.get("cacheWriteTokens", 0))


@dataclass(frozen=True)
class WorkerResult:
    text: str
    structured: Any = None
    sources: Optional[list[Any]] = None

    @classmethod
    def from_wire(cls, data: Optional[dict[str, Any]]) -> Optional["WorkerResult"]:
        if data is None:
            return None
        return cls(data.get("text", ""), data.get("structured"), data.get("sources"))


@dataclass(frozen=True)
class WorkerError:
    """Why a worker ended without succeeding: `code` is max_steps, timeout, provider_error, …"""
    code: str
    message: str

    @classmethod
    def from_wire(cls, data: Optional[dict[str, Any]]) -> Optional["WorkerError"]:
        if data is None:
            return None
        return cls(data.get("code", ""), data.get("message", ""))


@dataclass(frozen=True)
class AskOption:
    """One choice an ask offers: a decision of a permission ask, an option of a question."""
    id: str
    label: str


@dataclass(frozen=True)
class Ask:
    """A worker's question to a person: `worker/ask`'s params, an entry of `Worker.asks`, the
    `asked` event's `ask`. The worker is `waiting` until it is answered.

    `kind` is `permission` (may it make the tool call `tool` with `input`? answer with a
    decision of `options`: `allow`, `allow_always`, `deny`) or `question` (its own question;
    answer with text, one of the `options`' ids when it has options, or decline with `deny`).
    """
    ask_id: str
    worker_id: str
    kind: str
    question: str
    created_at: datetime
    tool: Optional[str] = None
    input: Any = None
    options: Optional[list[AskOption]] = None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Ask":
        options = data.get("options")
        return cls(data["askId"], data["workerId"], data["kind"], data.get("question", ""),
                   _required_time(data["createdAt"]), data.get("tool"), data.get("input"),
                   [AskOption(o["id"], o.get("label", o["id"])) for o in options] if options is not None else None, data)


@dataclass(frozen=True)
class AnswerResult:
    """`answer`'s result: the worker the ask was of, and its state now (`queued` until it has a slot again)."""
    ask_id: str
    worker_id: str
    state: str

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "AnswerResult":
        return cls(data["askId"], data["workerId"], data["state"])


@dataclass(frozen=True)
class Worker:
    """A worker as `spawn`, `status`, `await` and `verify` return it.

    `status()` of the whole session lists workers without `result` (WorkerSummary on the
    wire); those have `result` None and may lack `model`.
    """
    id: str
    role: str
    state: str
    task: str
    model: Optional[str] = None
    created_at: Optional[datetime] = None
    started_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    queue_position: Optional[int] = None
    after: Optional[list[str]] = None
    result: Optional[WorkerResult] = None
    error: Optional[WorkerError] = None
    verification: Optional[str] = None
    """`unverified`, `passed` or `failed`: the outcome of the last `verify` of this worker."""
    parent: Optional[str] = None
    """The orchestration (`o_…`) that ran this worker, if one did."""
    asks: list[Ask] = field(default_factory=list)
    """Its asks that wait for an answer (while it is `waiting`)."""
    waited_ms: Optional[int] = None
    """Time it spent `waiting` for answers, in milliseconds, apart from its running time."""
    raw: dict[str, Any] = _raw()

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL_STATES

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Worker":
        return cls(id=data["id"], role=data.get("role", ""), state=data["state"], task=data.get("task", ""),
                   model=data.get("model"), created_at=parse_time(data.get("createdAt")),
                   started_at=parse_time(data.get("startedAt")), ended_at=parse_time(data.get("endedAt")),
                   steps=data.get("steps", 0), usage=Usage.from_wire(data.get("usage")),
                   queue_position=data.get("queuePosition"), after=data.get("after"),
                   result=WorkerResult.from_wire(data.get("result")), error=WorkerError.from_wire(data.get("error")),
                   verification=data.get("verification"), parent=data.get("parent"),
                   asks=[Ask.from_wire(a) for a in data.get("asks") or []], waited_ms=data.get("waitedMs"), raw=data)


@dataclass(frozen=True)
class WorkerEvent:
    """One `worker/event`: `seq` counts up per worker; `data` depends on `kind`."""
    worker_id: str
    seq: int
    kind: str
    at: datetime
    data: Any = None

    @property
    def terminal(self) -> bool:
        return self.kind in TERMINAL_STATES

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "WorkerEvent":
        return cls(data["workerId"], data["seq"], data["kind"], _required_time(data["at"]), data.get("data"))


@dataclass(frozen=True)
class Session:
    id: str
    resumed: bool
    max_concurrent_workers: int


@dataclass(frozen=True)
class InitializeResult:
    server_name: str
    server_version: str
    methods: list[str]
    """Every request method this server answers now (`capabilities.methods`)."""
    session: Session
    raw: dict[str, Any] = _raw()

    def supports(self, method: str) -> bool:
        return method in self.methods

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "InitializeResult":
        info, session = data.get("serverInfo", {}), data["session"]
        return cls(info.get("name", ""), info.get("version", ""), list(data.get("capabilities", {}).get("methods", [])),
                   Session(session["id"], session.get("resumed", False), session.get("maxConcurrentWorkers", 0)), data)


@dataclass(frozen=True)
class SteerResult:
    worker_id: str
    state: str
    delivery: str
    """`next-step` (a running worker reads it before its next call) or `resumed` (an ended worker runs again)."""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "SteerResult":
        return cls(data["workerId"], data["state"], data["delivery"])


@dataclass(frozen=True)
class CancelResult:
    cancelled: list[str]

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "CancelResult":
        return cls(list(data.get("cancelled", [])))


@dataclass(frozen=True)
class AwaitResult:
    finished: list[Worker]
    """The ended workers, as `Worker`s with their results."""
    pending: list[str]
    """Ids of the workers still queued or running when `await` answered."""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "AwaitResult":
        return cls([Worker.from_wire(w) for w in data.get("finished", [])], list(data.get("pending", [])))


@dataclass(frozen=True)
class OrchestrationSummary:
    """An orchestration as the session's `status` lists it."""
    id: str
    goal: str
    state: str
    subtasks: dict[str, int]
    """Subtasks of the plan per status (`pending`, `running`, `passed`, `abandoned`); empty while planning."""
    decisions: int
    created_at: Optional[datetime] = None
    ended_at: Optional[datetime] = None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "OrchestrationSummary":
        return cls(data["id"], data.get("goal", ""), data["state"], dict(data.get("subtasks", {})),
                   data.get("decisions", 0), parse_time(data.get("createdAt")), parse_time(data.get("endedAt")))


@dataclass(frozen=True)
class SessionStatus:
    session_id: str
    max_concurrent_workers: int
    counts: dict[str, int]
    """Workers per state: queued, running, succeeded, failed, cancelled, timed_out, interrupted."""
    usage: Usage
    workers: list[Worker]
    raw: dict[str, Any] = _raw()
    orchestrations: list[OrchestrationSummary] = field(default_factory=list)
    """The session's `orchestrate` runs, oldest first."""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "SessionStatus":
        session = data["session"]
        return cls(session["id"], session.get("maxConcurrentWorkers", 0), dict(session.get("counts", {})),
                   Usage.from_wire(data.get("usage")), [Worker.from_wire(w) for w in data.get("workers", [])], data,
                   [OrchestrationSummary.from_wire(o) for o in data.get("orchestrations", [])])


@dataclass(frozen=True)
class Role:
    name: str
    model: str
    tools: list[str]
    description: Optional[str] = None
    limits: Optional[dict[str, Any]] = None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Role":
        return cls(data["name"], data.get("model", ""), list(data.get("tools", [])),
                   data.get("description"), data.get("limits"))


@dataclass(frozen=True)
class CheckResult:
    kind: str
    passed: bool
    summary: str
    """One line to read first; `output` is the evidence (bounded)."""
    output: Optional[str] = None
    duration_ms: Optional[int] = None
    code: Optional[str] = None
    """`command_not_found` when the check could not run because of the setup, not the work."""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "CheckResult":
        return cls(data["kind"], data["passed"], data.get("summary", ""), data.get("output"), data.get("durationMs"),
                   data.get("code"))


@dataclass(frozen=True)
class VerifyRound:
    round: int
    checks: list[CheckResult]
    model: Optional[str] = None
    """The model the worker ran on in this round (a higher tier after escalation)."""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "VerifyRound":
        return cls(data["round"], [CheckResult.from_wire(c) for c in data.get("checks", [])], data.get("model"))


@dataclass(frozen=True)
class VerifyResult:
    passed: bool
    rounds: list[VerifyRound]
    worker: Worker
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "VerifyResult":
        return cls(data["passed"], [VerifyRound.from_wire(r) for r in data.get("rounds", [])],
                   Worker.from_wire(data["worker"]), data)


@dataclass(frozen=True)
class Conflict:
    topic: str
    workers: list[str]
    summary: str


@dataclass(frozen=True)
class Source:
    """A worker the synthesis drew on, what it took from it, and the file or URL behind it."""
    worker_id: str
    claim: str = ""
    source: Optional[str] = None


@dataclass(frozen=True)
class SynthesisResult:
    text: str
    sources: list[Source]
    conflicts: list[Conflict]
    """Where the workers disagree: named, not settled silently."""
    usage: Usage
    id: Optional[str] = None
    """The synthesizer's own worker id (it runs as a worker: in `status`, the trace and the timeline)."""
    gaps: list[str] = field(default_factory=list)
    """What the synthesis could not draw on, such as workers that did not succeed."""
    structured: Any = None
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "SynthesisResult":
        return cls(data.get("text", ""), [Source(s.get("workerId", ""), s.get("claim", ""), s.get("source"))
                                          for s in data.get("sources", [])],
                   [Conflict(c.get("topic", ""), list(c.get("workers", [])), c.get("summary", ""))
                    for c in data.get("conflicts", [])],
                   Usage.from_wire(data.get("usage")), data.get("id"), list(data.get("gaps", [])),
                   data.get("structured"), data)


@dataclass(frozen=True)
class SubtaskBrief:
    """What a subtask's worker is told: `spawn`'s brief without the scheduling fields."""
    task: str
    inputs: Optional[list[str]] = None
    scope: Optional[str] = None
    output: Optional[dict[str, Any]] = None
    do_not: Optional[list[str]] = None

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "SubtaskBrief":
        return cls(data.get("task", ""), data.get("inputs"), data.get("scope"), data.get("output"), data.get("doNot"))


@dataclass(frozen=True)
class PlanSubtask:
    id: str
    role: str
    brief: SubtaskBrief
    after: list[str] = field(default_factory=list)
    """The subtasks whose results this one needs; it starts once they passed."""
    checks: Optional[list[dict[str, Any]]] = None
    """Its own checks (wire form), besides the ones the `orchestrate` call gave."""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "PlanSubtask":
        return cls(data["id"], data.get("role", ""), SubtaskBrief.from_wire(data.get("brief", {})),
                   list(data.get("after") or []), data.get("checks"))


@dataclass(frozen=True)
class Plan:
    """The plan bosun's planner wrote and bosun checked (unique ids, no cycle, known roles)."""
    subtasks: list[PlanSubtask]

    @classmethod
    def from_wire(cls, data: Optional[dict[str, Any]]) -> Optional["Plan"]:
        if data is None:
            return None
        return cls([PlanSubtask.from_wire(s) for s in data.get("subtasks", [])])


@dataclass(frozen=True)
class SubtaskOutcome:
    """Where one subtask of the plan ended: the worker whose result counts and what its checks found."""
    subtask: str
    status: str
    """`passed` or `abandoned` once the orchestration ended (`pending`, `running` before)."""
    worker_id: Optional[str]
    """The worker of its last attempt."""
    attempts: list[str]
    """Every worker it ran on, oldest first."""
    verification: str
    """`passed`, `failed`, or `unverified` (no checks)."""
    reason: Optional[str] = None
    """Why it was abandoned, or why its last attempt failed."""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "SubtaskOutcome":
        return cls(data["subtask"], data["status"], data.get("workerId"), list(data.get("attempts", [])),
                   data.get("verification", "unverified"), data.get("reason"))


@dataclass(frozen=True)
class Decision:
    """What bosun's coordinator decided about a failed subtask: `retry`, `substitute`, `escalate` or `abandon`."""
    at: datetime
    kind: str
    subtask: str
    reason: str

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "Decision":
        return cls(_required_time(data["at"]), data["kind"], data["subtask"], data.get("reason", ""))


@dataclass(frozen=True)
class OrchestrateResult:
    """What `orchestrate` answers: the plan, every worker it ran, each subtask's outcome, the decisions and the synthesis."""
    id: str
    """`o_…`: what `cancel`, `trace`, `orchestration_events` and `orchestrate(resume=…)` take."""
    state: str
    """`succeeded` (every subtask passed), `partial` (some were abandoned), `failed`, `cancelled` or `interrupted`."""
    goal: str
    plan: Optional[Plan]
    workers: list[Worker]
    """Every worker it ran (planner, subtasks, coordinators, synthesizer), oldest first, with its result."""
    verification: list[SubtaskOutcome]
    """One outcome per subtask of the plan."""
    synthesis: Optional[SynthesisResult]
    """The answer; None when no subtask passed or it ended before synthesizing."""
    decisions: list[Decision]
    reason: Optional[str]
    """Why it failed or ended partial, in words."""
    usage: Usage
    """Its workers' usage, summed."""
    verified: Optional["VerifiedShare"] = None
    """How many of the subtasks that passed were verified by checks."""
    raw: dict[str, Any] = _raw()

    @property
    def ended(self) -> bool:
        return self.state in ORCHESTRATION_TERMINAL_STATES

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "OrchestrateResult":
        synthesis = data.get("synthesis")
        return cls(data["id"], data["state"], data.get("goal", ""), Plan.from_wire(data.get("plan")),
                   [Worker.from_wire(w) for w in data.get("workers", [])],
                   [SubtaskOutcome.from_wire(o) for o in data.get("verification", [])],
                   SynthesisResult.from_wire(synthesis) if synthesis is not None else None,
                   [Decision.from_wire(d) for d in data.get("decisions", [])], data.get("reason"),
                   Usage.from_wire(data.get("usage")), VerifiedShare.from_wire(data.get("verified")), data)


@dataclass(frozen=True)
class VerifiedShare:
    """The share of an orchestration's passed subtasks whose checks passed."""
    passed: int
    verified: int
    share: Optional[float]
    """`verified / passed`; None when no subtask passed."""
    opted_out: bool
    """The call said `verify=False`."""

    @classmethod
    def from_wire(cls, data: Optional[dict[str, Any]]) -> Optional["VerifiedShare"]:
        if data is None:
            return None
        return cls(data["passed"], data["verified"], data.get("share"), data.get("optedOut", False))


@dataclass(frozen=True)
class OrchestrationEvent:
    """One `orchestration/event`: `seq` counts up per orchestration; `data` depends on `kind`.

    `kind` is `started`, `plan`, `replan`, `subtask`, `decision`, `synthesis`, or a terminal
    state (`succeeded`, `partial`, `failed`, `cancelled`, `interrupted`).
    """
    orchestration_id: str
    seq: int
    kind: str
    at: datetime
    data: Any = None

    @property
    def terminal(self) -> bool:
        return self.kind in ORCHESTRATION_TERMINAL_STATES

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> "OrchestrationEvent":
        """From a notification's params, or from a `trace` event stored under the `o_…` id (`workerId`)."""
        ident = data["orchestrationId"] if "orchestrationId" in data else data["workerId"]
        return cls(ident, data["seq"], data["kind"], _required_time(data["at"]), data.get("data"))
