"""Per-worker event streams: each event once, in `seq` order, ending with the worker's run.

A stream starts from the trace store (so it sees events sent before it subscribed), then
follows live `worker/event` notifications. A jump in `seq` (notifications the server
dropped for a slow reader) and a quiet spell are filled from the trace store, so a stream
never misses an event and never waits forever on one that was dropped.
"""

from __future__ import annotations

from typing import Iterable, Optional

from .types import WorkerEvent

TRACE_PAGE = 1000
"""Events per `trace` request when a stream or `trace()` pages through a worker's history."""


def events_of_trace(result: dict) -> list[WorkerEvent]:
    """The events of a `trace` answer."""
    return [WorkerEvent.from_wire(e) for e in result["events"]]


class EventCursor:
    """Where one stream is in one worker's events. Pure bookkeeping; the clients do the I/O."""

    def __init__(self, after_seq: Optional[int]):
        self.last_seq = after_seq
        self.done = False

    def missed_some_before(self, event: WorkerEvent) -> bool:
        """True when `event` skips over seqs this stream has not seen: fetch them from the trace."""
        return self.last_seq is not None and event.seq > self.last_seq + 1

    def take(self, events: Iterable[WorkerEvent], history: bool = False) -> list:
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
