"""Params of each bosun/1 method, built from Python keyword arguments (snake_case in, camelCase out).

Both clients build their requests here, so the sync and asyncio clients cannot drift apart.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union


@dataclass(frozen=True)
class Limits:
    """A worker's limits; each one given replaces the role's."""
    timeout_seconds: Optional[float] = None
    max_steps: Optional[int] = None
    max_tokens: Optional[int] = None
    max_cost_usd: Optional[float] = None

    def to_wire(self) -> dict[str, Any]:
        return compact(timeoutSeconds=self.timeout_seconds, maxSteps=self.max_steps,
                       maxTokens=self.max_tokens, maxCostUSD=self.max_cost_usd)


LimitsLike = Union[Limits, dict[str, Any], None]
"""A `Limits`, or the wire form `{"timeoutSeconds": …, "maxSteps": …}`."""


def compact(**fields: Any) -> dict[str, Any]:
    """The fields that were given: None means "not sent", so the server's default applies."""
    return {name: value for name, value in fields.items() if value is not None}


def _list(values: Optional[Sequence[str]]) -> Optional[list[str]]:
    return list(values) if values is not None else None


def initialize(*, root: Optional[str], client_name: str, session: Optional[str], max_concurrent_workers: Optional[int],
               events: Optional[str], log_level: Optional[str], asks: bool = False) -> dict[str, Any]:
    params: dict[str, Any] = {"processId": os.getpid(), "clientInfo": {"name": client_name}}
    if asks:
        params["capabilities"] = {"bosun": {"asks": True}}
    if root is not None:
        params["rootUri"] = Path(os.path.abspath(root)).as_uri()
    options = compact(session=session, maxConcurrentWorkers=max_concurrent_workers, events=events, logLevel=log_level)
    if options:
        params["initializationOptions"] = options
    return params


def spawn(*, task: str, inputs: Optional[Sequence[str]], scope: Optional[str], output_format: Optional[str],
          output_schema: Optional[dict[str, Any]], do_not: Optional[Sequence[str]], role: Optional[str], model: Optional[str],
          tools: Optional[Sequence[str]], limits: LimitsLike, after: Optional[Sequence[str]], priority: Optional[int],
          wait: bool, work_done_token: Union[int, str, None]) -> dict[str, Any]:
    output = compact(format=output_format, schema=output_schema)
    return compact(task=task, inputs=_list(inputs), scope=scope, output=output or None, doNot=_list(do_not),
                   role=role, model=model, tools=_list(tools),
                   limits=limits.to_wire() if isinstance(limits, Limits) else limits,
                   after=_list(after), priority=priority, wait=wait or None, workDoneToken=work_done_token)


def steer(*, worker_id: str, message: str) -> dict[str, Any]:
    return {"workerId": worker_id, "message": message}


def cancel(*, worker_id: Optional[str], everyone: bool, reason: Optional[str]) -> dict[str, Any]:
    return compact(workerId=worker_id, all=True if everyone else None, reason=reason)


def await_workers(*, workers: Optional[Sequence[str]], mode: Optional[str], timeout_seconds: Optional[float]) -> dict[str, Any]:
    return compact(workers=_list(workers), mode=mode, timeoutSeconds=timeout_seconds)


def trace(*, worker_id: Optional[str], after_seq: Optional[int], limit: Optional[int]) -> dict[str, Any]:
    return compact(workerId=worker_id, afterSeq=after_seq, limit=limit)


def verify(*, worker_id: str, checks: Sequence[dict[str, Any]], feedback: Optional[str], max_rounds: Optional[int],
           escalate: Optional[bool]) -> dict[str, Any]:
    return compact(workerId=worker_id, checks=list(checks), feedback=feedback, maxRounds=max_rounds, escalate=escalate)


def synthesize(*, workers: Sequence[str], instruction: str, output_format: Optional[str], output_schema: Optional[dict[str, Any]],
               model: Optional[str], require_all: Optional[bool], timeout_seconds: Optional[float],
               max_input_chars: Optional[int]) -> dict[str, Any]:
    output = compact(format=output_format, schema=output_schema)
    return compact(workers=list(workers), instruction=instruction, output=output or None, model=model,
                   requireAll=require_all, timeoutSeconds=timeout_seconds, maxInputChars=max_input_chars)



def orchestrate(*, goal: Optional[str], inputs: Optional[Sequence[str]], roles: Optional[Sequence[str]],
                checks: Optional[Sequence[dict[str, Any]]], output_format: Optional[str], output_schema: Optional[dict[str, Any]],
                max_workers: Optional[int], max_replans: Optional[int], max_cost_usd: Optional[float],
                timeout_seconds: Optional[float], resume: Optional[str], work_done_token: Union[int, str, None],
                verify: Optional[bool] = None) -> dict[str, Any]:
    output = compact(format=output_format, schema=output_schema)
    limits = compact(maxWorkers=max_workers, maxReplans=max_replans, maxCostUSD=max_cost_usd,
                     timeoutSeconds=timeout_seconds)
    return compact(goal=goal, inputs=_list(inputs), roles=_list(roles),
                   checks=list(checks) if checks is not None else None, output=output or None, limits=limits or None,
                   workDoneToken=work_done_token, resume=resume, verify=verify)


def review(*, worker_id: Optional[str], orchestration_id: Optional[str],
           paths: Optional[Sequence[str]] = None, context: Optional[int] = None) -> dict[str, Any]:
    """`changes`, `apply` and `discard` name one worker or every subtask of an orchestration."""
    out: dict[str, Any] = {}
    if worker_id is not None:
        out["workerId"] = worker_id
    if orchestration_id is not None:
        out["orchestrationId"] = orchestration_id
    if paths is not None:
        out["paths"] = list(paths)
    if context is not None:
        out["context"] = context
    return out


def answer(*, ask_id: str, decision: Optional[str], text: Optional[str]) -> dict[str, Any]:
    return compact(askId=ask_id, decision=decision, text=text)
