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

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens

    @classmethod
    def from_wire(cls, data: Optional[dict]) -> "Usage":
        data = data or {}
        return cls(data.get("inputTokens", 0), data.get("outputTokens", 0),
                   data.get("cacheReadTokens", 0), data.get("costUSD", 0.0))


@dataclass(frozen=True)
class WorkerResult:
    text: str
    structured: Any = None
    sources: Optional[list[Any]] = None

    @classmethod
    def from_wire(cls, data: Optional[dict]) -> Optional["WorkerResult"]:
        if data is None:
            return None
        return cls(data.get("text", ""), data.get("structured"), data.get("sources"))


@dataclass(frozen=True)
class WorkerError:
    """Why a worker ended without succeeding: `code` is max_steps, timeout, provider_error, …"""
    code: str
    message: str

    @classmethod
    def from_wire(cls, data: Optional[dict]) -> Optional["WorkerError"]:
        if data is None:
            return None
        return cls(data.get("code", ""), data.get("message", ""))


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
    raw: dict[str, Any] = _raw()

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL_STATES

    @classmethod
    def from_wire(cls, data: dict) -> "Worker":
        return cls(id=data["id"], role=data.get("role", ""), state=data["state"], task=data.get("task", ""),
                   model=data.get("model"), created_at=parse_time(data.get("createdAt")),
                   started_at=parse_time(data.get("startedAt")), ended_at=parse_time(data.get("endedAt")),
                   steps=data.get("steps", 0), usage=Usage.from_wire(data.get("usage")),
                   queue_position=data.get("queuePosition"), after=data.get("after"),
                   result=WorkerResult.from_wire(data.get("result")), error=WorkerError.from_wire(data.get("error")),
                   verification=data.get("verification"), raw=data)


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
    def from_wire(cls, data: dict) -> "WorkerEvent":
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
    def from_wire(cls, data: dict) -> "InitializeResult":
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
    def from_wire(cls, data: dict) -> "SteerResult":
        return cls(data["workerId"], data["state"], data["delivery"])


@dataclass(frozen=True)
class CancelResult:
    cancelled: list[str]

    @classmethod
    def from_wire(cls, data: dict) -> "CancelResult":
        return cls(list(data.get("cancelled", [])))


@dataclass(frozen=True)
class AwaitResult:
    finished: list[Worker]
    """The ended workers, as `Worker`s with their results."""
    pending: list[str]
    """Ids of the workers still queued or running when `await` answered."""

    @classmethod
    def from_wire(cls, data: dict) -> "AwaitResult":
        return cls([Worker.from_wire(w) for w in data.get("finished", [])], list(data.get("pending", [])))


@dataclass(frozen=True)
class SessionStatus:
    session_id: str
    max_concurrent_workers: int
    counts: dict[str, int]
    """Workers per state: queued, running, succeeded, failed, cancelled, timed_out, interrupted."""
    usage: Usage
    workers: list[Worker]
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_wire(cls, data: dict) -> "SessionStatus":
        session = data["session"]
        return cls(session["id"], session.get("maxConcurrentWorkers", 0), dict(session.get("counts", {})),
                   Usage.from_wire(data.get("usage")), [Worker.from_wire(w) for w in data.get("workers", [])], data)


@dataclass(frozen=True)
class Role:
    name: str
    model: str
    tools: list[str]
    description: Optional[str] = None
    limits: Optional[dict[str, Any]] = None

    @classmethod
    def from_wire(cls, data: dict) -> "Role":
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

    @classmethod
    def from_wire(cls, data: dict) -> "CheckResult":
        return cls(data["kind"], data["passed"], data.get("summary", ""), data.get("output"), data.get("durationMs"))


@dataclass(frozen=True)
class VerifyRound:
    round: int
    checks: list[CheckResult]
    model: Optional[str] = None
    """The model the worker ran on in this round (a higher tier after escalation)."""

    @classmethod
    def from_wire(cls, data: dict) -> "VerifyRound":
        return cls(data["round"], [CheckResult.from_wire(c) for c in data.get("checks", [])], data.get("model"))


@dataclass(frozen=True)
class VerifyResult:
    passed: bool
    rounds: list[VerifyRound]
    worker: Worker
    raw: dict[str, Any] = _raw()

    @classmethod
    def from_wire(cls, data: dict) -> "VerifyResult":
        return cls(data["passed"], [VerifyRound.from_wire(r) for r in data.get("rounds", [])],
                   Worker.from_wire(data["worker"]), data)


@dataclass(frozen=True)
class Conflict:
    topic: str
    workers: list[str]
    summary: str


@dataclass(frozen=True)
class Source:
    """A worker the synthesis drew on, and what it took from it."""
    worker_id: str
    claim: str = ""


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
    def from_wire(cls, data: dict) -> "SynthesisResult":
        return cls(data.get("text", ""), [Source(s.get("workerId", ""), s.get("claim", "")) for s in data.get("sources", [])],
                   [Conflict(c.get("topic", ""), list(c.get("workers", [])), c.get("summary", ""))
                    for c in data.get("conflicts", [])],
                   Usage.from_wire(data.get("usage")), data.get("id"), list(data.get("gaps", [])),
                   data.get("structured"), data)
