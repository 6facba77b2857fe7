"""Event streams of one worker or one orchestration: each event once, in `seq` order, ending with its run.

A stream starts from the trace store (so it sees events sent before it subscribed), then
follows live `worker/event` (or `orchestration/event`) notifications. A jump in `seq`
(notifications the server dropped for a slow reader) and a quiet spell are filled from the
trace store, so a stream never misses an event and never waits forever on one that was
dropped. An orchestration's events are stored under its `o_…` id, so `trace` reads them too.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Union

from .types import OrchestrationEvent, WorkerEvent

AnyEvent = Union[WorkerEvent, OrchestrationEvent]

TRACE_PAGE = 1000
"""Events per `trace` request when a stream or `trace()` pages through a worker's history."""


def events_of_trace(result: dict[str, Any]) -> list[WorkerEvent]:
    """The events of a `trace` answer."""
    return [WorkerEvent.from_wire(e) for e in result["events"]]


class EventCursor:
    """Where one stream is in one worker's events. Pure bookkeeping; the clients do the I/O."""

    def __init__(self, after_seq: Optional[int]):
        self.last_seq = after_seq
        self.done = False

    def missed_some_before(self, event: AnyEvent) -> bool:
        """True when `event` skips over seqs this stream has not seen: fetch them from the trace."""
        return self.last_seq is not None and event.seq > self.last_seq + 1

    def take(self, events: Iterable[AnyEvent], history: bool = False) -> list[Any]:
        """The events this stream has not yielded yet, in order, up to the end of the run.

        Live, a terminal event ends the stream. In the stored history an earlier terminal
        event may be followed by a `steered` run, so there only a terminal *last* event does.
        """
        fresh = sorted((e for e in events if self.last_seq is None or e.seq > self.last_seq), key=lambda e: e.seq)
        if history:
            self.done = bool(fresh) and fresh[-1].terminal
            if fresh:
                self.last_seq = fresh[-1].seq
            return fresh
        taken = []
        for event in fresh:
            taken.append(event)
            self.last_seq = event.seq
            if event.terminal:
                self.done = True
                break
        return taken


OrchestrationCallback = Callable[[OrchestrationEvent], Any]


@dataclass
class _Watch:
    token: Union[int, str]
    callback: OrchestrationCallback
    orchestration_id: Optional[str]


class OrchestrationWatches:
    """Which `orchestrate` call in flight an `orchestration/event` belongs to. Pure bookkeeping.

    The server names a new orchestration (`o_…`) in its events before the call answers; the
    first, `started`, carries the call's `workDoneToken`. So a call with `on_event` always
    sends a token (its own, or one made here, unique in the process) and claims the
    orchestration whose `started` carries it; a `resume` call knows its id from the start.
    """

    def __init__(self) -> None:
        self._keys = itertools.count(1)
        self._watches: dict[int, _Watch] = {}

    @staticmethod
    def new_token() -> str:
        return f"bosun-client-orchestrate-{uuid.uuid4().hex}"

    def add(self, token: Union[int, str], resume: Optional[str], callback: OrchestrationCallback) -> int:
        key = next(self._keys)
        self._watches[key] = _Watch(token, callback, resume)
        return key

    def remove(self, key: int) -> None:
        self._watches.pop(key, None)

    def callback_for(self, event: OrchestrationEvent) -> Optional[OrchestrationCallback]:
        for watch in self._watches.values():
            if watch.orchestration_id == event.orchestration_id:
                return watch.callback
        data = event.data if isinstance(event.data, dict) else {}
        if event.kind != "started" or "workDoneToken" not in data:
            return None
        for watch in self._watches.values():
            if watch.orchestration_id is None and watch.token == data["workDoneToken"]:
                watch.orchestration_id = event.orchestration_id
                return watch.callback
        return None
        for watch in self._watches.values():  # oldest call first
            if watch.orchestration_id is None and watch.goal == data.get("goal"):
                watch.orchestration_id = event.orchestration_id
                return watch.callback
        return None
