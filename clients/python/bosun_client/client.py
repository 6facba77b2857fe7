"""The synchronous client: one `bosun serve` process, JSON-RPC over its stdin and stdout."""

from __future__ import annotations

import itertools
import os
import queue
import subprocess
import threading
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterator, Optional, Sequence, Union, cast, overload

from . import asks, framing, params
from .asks import AskCallback, AskDecision
from .errors import BosunError, ConnectionClosed, ErrorCode, RequestTimeout, server_not_found
from .params import LimitsLike
from .streams import TRACE_PAGE, AnyEvent, EventCursor, OrchestrationCallback, OrchestrationWatches, events_of_trace
from .types import (AnswerResult, Ask, AwaitResult, CancelResult, InitializeResult, OrchestrateResult, OrchestrationEvent, Role,
                    SessionStatus, SteerResult, SynthesisResult, VerifyResult, Worker, WorkerEvent)

CANCEL_GRACE_SECONDS = 5.0
"""How long a timed-out request waits for the server to confirm its `$/cancelRequest`."""


@dataclass(frozen=True)
class Notification:
    """A message from the server that is not an answer: `worker/event`, `orchestration/event`, `$/progress`, …"""
    method: str
    params: Any


class BosunClient:
    """One connection to one `bosun serve` process.

    Methods may be called from several threads; answers are matched by id. No call has a
    time limit unless you pass `timeout` (seconds): then, when it passes, the client sends
    `$/cancelRequest` and raises `RequestTimeout`. Error answers raise `BosunError` with the
    server's code, message and data.

    Every notification goes to `on_notification` when given (on the reader thread: keep it
    short). `events(worker_id)` follows one worker's events, `orchestration_events(id)` one
    orchestration's.

    With `on_ask`, the client tells the server it answers asks: each ask of a worker that goes
    to the client calls `on_ask(ask)` on a thread of its own, and what it returns,
    `{"decision": "allow" | "allow_always" | "deny"}` or `{"text": …}`, answers it. When it
    returns None or raises, the ask stays pending (see `bosun_client.asks`). `answer()`
    answers any ask of the session, with or without `on_ask`.
    """

    client_name = "bosun_client.py"

    def __init__(self, process: subprocess.Popen[bytes], on_notification: Optional[Callable[[Notification], None]] = None,
                 on_ask: Optional[AskCallback] = None):
        if process.stdin is None or process.stdout is None:
            raise ValueError("bosun serve must be started with stdin and stdout pipes (see BosunClient.start)")
        self.process = process
        self._stdin: IO[bytes] = process.stdin
        self._stdout: IO[bytes] = process.stdout
        self._ids = itertools.count(1)
        self._pending: "dict[int, queue.Queue[dict[str, Any]]]" = {}
        self._streams: "dict[str, list[queue.Queue[AnyEvent]]]" = {}
        self._orchestrations = OrchestrationWatches()
        self._closed = False
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._on_notification = on_notification
        self._on_ask = on_ask
        self._reader = threading.Thread(target=self._read_loop, name="bosun-reader", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, argv: Sequence[str], env: Optional[dict[str, Any]] = None, cwd: Optional[str] = None, stderr: Any = None,
              on_notification: Optional[Callable[[Notification], None]] = None,
              on_ask: Optional[AskCallback] = None) -> "BosunClient":
        """Starts `argv` (such as `["bosun", "serve", "--config", path]`) and connects to it.

        `env` is added to this process's environment. The server's log (its stderr) is
        discarded unless `stderr` is a file to write it to.
        """
        try:
            process = subprocess.Popen(list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=stderr if stderr is not None else subprocess.DEVNULL,
                                       env={**os.environ, **(env or {})}, cwd=cwd)
        except FileNotFoundError as error:
            raise server_not_found(list(argv), error) from error
        return cls(process, on_notification, on_ask)

    # -- the methods of bosun/1 -------------------------------------------------

    def initialize(self, root: Optional[str] = None, *, session: Optional[str] = None,
                   max_concurrent_workers: Optional[int] = None, events: Optional[str] = None,
                   log_level: Optional[str] = None, timeout: Optional[float] = None) -> InitializeResult:
        """The `initialize` / `initialized` handshake. `root` is the workspace for file tools;
        `session` resumes a session id; `events` is `all` (default), `terminal` or `none`."""
        result = self.request("initialize", params.initialize(
            root=root, client_name=self.client_name, session=session, max_concurrent_workers=max_concurrent_workers,
            events=events, log_level=log_level, asks=self._on_ask is not None), timeout)
        self.notify("initialized", {})
        return InitializeResult.from_wire(result)

    def spawn(self, task: str, *, inputs: Optional[Sequence[str]] = None, scope: Optional[str] = None,
              output_format: Optional[str] = None, output_schema: Optional[dict[str, Any]] = None,
              do_not: Optional[Sequence[str]] = None, role: Optional[str] = None, model: Optional[str] = None,
              tools: Optional[Sequence[str]] = None, limits: LimitsLike = None, after: Optional[Sequence[str]] = None,
              priority: Optional[int] = None, wait: bool = False, work_done_token: Union[int, str, None] = None,
              timeout: Optional[float] = None) -> Worker:
        """Starts a worker. With `wait=True` the answer is the finished worker with its result,
        however long that takes (the worker's own limits bound it)."""
        return Worker.from_wire(self.request("spawn", params.spawn(
            task=task, inputs=inputs, scope=scope, output_format=output_format, output_schema=output_schema,
            do_not=do_not, role=role, model=model, tools=tools, limits=limits, after=after, priority=priority,
            wait=wait, work_done_token=work_done_token), timeout))

    def steer(self, worker_id: str, message: str, *, timeout: Optional[float] = None) -> SteerResult:
        return SteerResult.from_wire(self.request("steer", params.steer(
            worker_id=worker_id, message=message), timeout))

    def changes(self, worker_id: Optional[str] = None, *, orchestration_id: Optional[str] = None,
                context: Optional[int] = None, timeout: Optional[float] = None) -> dict[str, Any]:
        """A writing worker's (or an orchestration's) changes, waiting for review in its layer:
        `{base, files: [{path, status, additions, deletions, workerId}], diff, ignored?}`; the diff has
        `context` lines of context around each change (default 3). `ignored` lists changed files that
        .gitignore ignores: `apply` carries them only when `paths` names them."""
        result: dict[str, Any] = self.request("changes", params.review(
            worker_id=worker_id, orchestration_id=orchestration_id, context=context), timeout)
        return result

    def apply(self, worker_id: Optional[str] = None, *, orchestration_id: Optional[str] = None,
              paths: Optional[Sequence[str]] = None, timeout: Optional[float] = None) -> dict[str, Any]:
        """Writes the changes into the workspace, all or nothing per worker:
        `{applied: [path], conflicts: [{path, reason, workerId}], state}`. With `paths`, only those
        files; the rest keeps waiting for a later `apply`."""
        result: dict[str, Any] = self.request("apply", params.review(
            worker_id=worker_id, orchestration_id=orchestration_id, paths=paths), timeout)
        return result

    def discard(self, worker_id: Optional[str] = None, *, orchestration_id: Optional[str] = None,
                timeout: Optional[float] = None) -> dict[str, Any]:
        """Throws the changes away: `{discarded: [path]}`."""
        result: dict[str, Any] = self.request("discard", params.review(worker_id=worker_id, orchestration_id=orchestration_id), timeout)
        return result

    def answer(self, ask_id: str, decision: Optional[AskDecision] = None, text: Optional[str] = None, *,
               timeout: Optional[float] = None) -> AnswerResult:
        """Answers a worker's ask: a permission with `decision` (`allow`, `allow_always` or
        `deny`; `text` goes to the worker with it), a question with `text` (one of its options'
        ids when it has options) or `decision="deny"` to decline it. An unknown or closed ask
        raises BosunError naming `askId`, an answer that does not fit the ask one naming
        `decision` or `text`; the worker keeps waiting."""
        return AnswerResult.from_wire(self.request("answer", params.answer(ask_id=ask_id, decision=decision, text=text),
                                                   timeout))

    def cancel(self, worker_id: str, *, reason: Optional[str] = None, timeout: Optional[float] = None) -> CancelResult:
        return CancelResult.from_wire(self.request("cancel", params.cancel(
            worker_id=worker_id, everyone=False, reason=reason), timeout))

    def cancel_all(self, *, reason: Optional[str] = None, timeout: Optional[float] = None) -> CancelResult:
        return CancelResult.from_wire(self.request("cancel", params.cancel(
            worker_id=None, everyone=True, reason=reason), timeout))

    def await_workers(self, workers: Optional[Sequence[str]] = None, *, mode: Optional[str] = None,
                      timeout_seconds: Optional[float] = None, timeout: Optional[float] = None) -> AwaitResult:
        """bosun's `await` (a Python keyword): waits for `workers` (default all) to end, `mode`
        `all` or `any`. `timeout_seconds` makes the server answer with what is still pending."""
        return AwaitResult.from_wire(self.request("await", params.await_workers(
            workers=workers, mode=mode, timeout_seconds=timeout_seconds), timeout))

    @overload
    def status(self, worker_id: None = None, *, timeout: Optional[float] = None) -> SessionStatus: ...

    @overload
    def status(self, worker_id: str, *, timeout: Optional[float] = None) -> Worker: ...

    def status(self, worker_id: Optional[str] = None, *, timeout: Optional[float] = None) -> Union[Worker, SessionStatus]:
        """One worker with its result, or the whole session (counts, usage, every worker)."""
        if worker_id is not None:
            return Worker.from_wire(self.request("status", {"workerId": worker_id}, timeout))
        return SessionStatus.from_wire(self.request("status", None, timeout))

    def trace(self, worker_id: Optional[str] = None, *, after_seq: Optional[int] = None, limit: Optional[int] = None,
              timeout: Optional[float] = None) -> list[WorkerEvent]:
        """Stored events in order. For one worker without `limit`, every page of them."""
        if worker_id is None or limit is not None:
            return events_of_trace(self.request("trace", params.trace(
                worker_id=worker_id, after_seq=after_seq, limit=limit), timeout))
        return self._stored_events(worker_id, after_seq, WorkerEvent.from_wire, timeout)

    def _stored_events(self, ident: str, after_seq: Optional[int], parse: Callable[[dict[str, Any]], Any],
                       timeout: Optional[float] = None) -> list[Any]:
        """Every stored event of one worker or orchestration after `after_seq`, a page at a time."""
        events: list[Any] = []
        while True:
            page = [parse(e) for e in self.request("trace", params.trace(
                worker_id=ident, after_seq=after_seq, limit=TRACE_PAGE), timeout)["events"]]
            events += page
            if len(page) < TRACE_PAGE:
                return events
            after_seq = page[-1].seq

    def roles(self, *, timeout: Optional[float] = None) -> list[Role]:
        return [Role.from_wire(r) for r in self.request("roles", None, timeout)["roles"]]

    def verify(self, worker_id: str, checks: Sequence[dict[str, Any]], *, feedback: Optional[str] = None,
               max_rounds: Optional[int] = None, escalate: Optional[bool] = None,
               timeout: Optional[float] = None) -> VerifyResult:
        """Runs `checks` (wire form, such as `{"kind": "command", "command": ["pytest", "-q"]}`) on a
        worker's output, waiting for it to end first. With `feedback="steer"` failures go back to the
        worker, up to `max_rounds`; with `escalate=True` a still-failing worker moves a model tier up."""
        return VerifyResult.from_wire(self.request("verify", params.verify(
            worker_id=worker_id, checks=checks, feedback=feedback, max_rounds=max_rounds, escalate=escalate),
            timeout))

    def synthesize(self, workers: Sequence[str], instruction: str, *, output_format: Optional[str] = None,
                   output_schema: Optional[dict[str, Any]] = None, model: Optional[str] = None,
                   require_all: Optional[bool] = None, timeout_seconds: Optional[float] = None,
                   max_input_chars: Optional[int] = None, timeout: Optional[float] = None) -> SynthesisResult:
        """One answer from several workers' results (waited for up to `timeout_seconds`), with
        the conflicts between them named and the workers it could not use in `gaps`."""
        return SynthesisResult.from_wire(self.request("synthesize", params.synthesize(
            workers=workers, instruction=instruction, output_format=output_format, output_schema=output_schema,
            model=model, require_all=require_all, timeout_seconds=timeout_seconds, max_input_chars=max_input_chars),
            timeout))

    def orchestrate(self, goal: Optional[str] = None, *, inputs: Optional[Sequence[str]] = None,
                    roles: Optional[Sequence[str]] = None, checks: Optional[Sequence[dict[str, Any]]] = None,
                    output_format: Optional[str] = None, output_schema: Optional[dict[str, Any]] = None,
                    max_workers: Optional[int] = None, max_replans: Optional[int] = None,
                    max_cost_usd: Optional[float] = None, timeout_seconds: Optional[float] = None,
                    resume: Optional[str] = None, verify: Optional[bool] = None,
                    on_event: Optional[OrchestrationCallback] = None,
                    work_done_token: Union[int, str, None] = None, timeout: Optional[float] = None) -> OrchestrateResult:
        """bosun as the orchestrator: it plans `goal` into subtasks, runs them on workers (in
        parallel where they do not depend on each other), checks each with `checks` and the
        plan's own, decides about failures (retry, substitute, escalate, abandon; at most
        `max_replans` runs again) and answers with one synthesis, when it has ended.

        `roles` limits the roles the plan may use; `max_workers` the subtasks in the plan;
        `max_cost_usd` and `timeout_seconds` bound the whole orchestration. `resume="o_…"`
        continues one of the session that did not succeed (interrupted by a restart,
        cancelled, failed or partial) and needs no goal. Every subtask is verified (the plan's
        checks, the project's tests for writing roles, an evaluator otherwise) unless
        `verify=False`; `result.verified` gives the share. `on_event` is called with each `OrchestrationEvent` of this orchestration as it
        comes, on the reader thread: keep it short, and make no call of this client in it
        (its answer would wait for the very thread that is running the callback); to act on
        an event, such as `cancel(event.orchestration_id)`, hand it to another thread.
        Cancelling the call (`timeout`, Ctrl-C) cancels the orchestration.
        """
        if on_event is None:
            return OrchestrateResult.from_wire(self.request("orchestrate", params.orchestrate(
                goal=goal, inputs=inputs, roles=roles, checks=checks, output_format=output_format,
                output_schema=output_schema, max_workers=max_workers, max_replans=max_replans,
                max_cost_usd=max_cost_usd, timeout_seconds=timeout_seconds, resume=resume,
                work_done_token=work_done_token, verify=verify), timeout))
        token = work_done_token if work_done_token is not None else OrchestrationWatches.new_token()
        with self._lock:
            key = self._orchestrations.add(token, resume, on_event)
        try:
            return OrchestrateResult.from_wire(self.request("orchestrate", params.orchestrate(
                goal=goal, inputs=inputs, roles=roles, checks=checks, output_format=output_format,
                output_schema=output_schema, max_workers=max_workers, max_replans=max_replans,
                max_cost_usd=max_cost_usd, timeout_seconds=timeout_seconds, resume=resume, work_done_token=token,
                verify=verify), timeout))
        finally:
            with self._lock:
                self._orchestrations.remove(key)

    def events(self, worker_id: str, *, after_seq: Optional[int] = None, poll_seconds: float = 2.0) -> Iterator[WorkerEvent]:
        """One worker's events, from the first (or after `after_seq`) to the end of its run.

        Events sent before the call come from the trace store; `poll_seconds` of quiet
        makes the stream check the store for events the server dropped.
        """
        return self._follow(worker_id, after_seq, poll_seconds, WorkerEvent.from_wire)

    def orchestration_events(self, orchestration_id: str, *, after_seq: Optional[int] = None,
                             poll_seconds: float = 2.0) -> Iterator[OrchestrationEvent]:
        """One orchestration's events (`o_…`), from the first (or after `after_seq`) to its end
        (`succeeded`, `partial`, `failed`, `cancelled`, `interrupted`); like `events`."""
        return self._follow(orchestration_id, after_seq, poll_seconds, OrchestrationEvent.from_wire)

    def _follow(self, ident: str, after_seq: Optional[int], poll_seconds: float, parse: Callable[[dict[str, Any]], Any]) -> Iterator[Any]:
        inbox: "queue.Queue[AnyEvent]" = queue.Queue()
        with self._lock:
            self._streams.setdefault(ident, []).append(inbox)
        try:
            cursor = EventCursor(after_seq)
            yield from cursor.take(self._stored_events(ident, after_seq, parse), history=True)
            while not cursor.done:
                try:
                    event = inbox.get(timeout=poll_seconds)
                except queue.Empty:
                    batch = self._stored_events(ident, cursor.last_seq, parse)
                else:
                    batch = self._stored_events(ident, cursor.last_seq, parse) if cursor.missed_some_before(event) else [event]
                yield from cursor.take(batch)
        finally:
            with self._lock:
                self._streams[ident].remove(inbox)
                if not self._streams[ident]:
                    del self._streams[ident]

    # -- JSON-RPC ------------------------------------------------------------------

    def request(self, method: str, params: Any = None, timeout: Optional[float] = None) -> Any:
        """Sends a request and returns its result; raises BosunError for an error answer.

        With `timeout`, a request still unanswered after that many seconds is cancelled with
        `$/cancelRequest` and raises RequestTimeout. Ctrl-C cancels it on the server too.
        """
        request_id = next(self._ids)
        slot: "queue.Queue[dict[str, Any]]" = queue.Queue(maxsize=1)
        with self._lock:
            if self._closed:
                raise ConnectionClosed(method, self.process.poll())
            self._pending[request_id] = slot
        try:
            try:
                self._send(framing.request(request_id, method, params))
            except OSError:
                raise ConnectionClosed(method, self.process.poll()) from None
            try:
                response = slot.get(timeout=timeout)
            except queue.Empty:
                self.notify("$/cancelRequest", {"id": request_id})
                try:
                    response = slot.get(timeout=CANCEL_GRACE_SECONDS)
                except queue.Empty:
                    raise RequestTimeout(method, request_id, cast(float, timeout), False, CANCEL_GRACE_SECONDS) from None
                if response.get("error", {}).get("code") == ErrorCode.REQUEST_CANCELLED:
                    raise RequestTimeout(method, request_id, cast(float, timeout), True, CANCEL_GRACE_SECONDS) from None
            except KeyboardInterrupt:
                self.notify("$/cancelRequest", {"id": request_id})
                raise
        finally:
            with self._lock:
                self._pending.pop(request_id, None)
        if response.get("closed"):
            raise ConnectionClosed(method, self.process.poll())
        if "error" in response:
            raise BosunError.from_wire(response["error"])
        return response.get("result")

    def notify(self, method: str, params: Any = None) -> None:
        self._send(framing.notification(method, params))

    def close(self, timeout: float = 10) -> int:
        """Shuts the server down politely (`shutdown`, `exit`) and returns its exit code."""
        if self.process.poll() is None:
            try:
                self.request("shutdown", timeout=timeout)
                self.notify("exit")
            except (BosunError, OSError):
                pass
            try:
                self._stdin.close()
            except OSError:
                pass
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __enter__(self) -> "BosunClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        with self._write_lock:
            self._stdin.write(framing.encode(message))
            self._stdin.flush()

    def _read_loop(self) -> None:
        stream = self._stdout
        try:
            while True:
                length = None
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    if not line.strip():
                        break
                    length = framing.content_length(line) if length is None else length
                if length is not None:
                    for message in framing.messages(stream.read(length)):
                        self._dispatch(message)
        finally:
            self._fail_pending()

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and ("result" in message or "error" in message):
            with self._lock:
                slot = self._pending.get(message["id"])
            if slot is not None:
                slot.put(message)
            return
        if "method" not in message:
            return
        if "id" in message:
            self._serve(message["id"], message["method"], message.get("params"))
            return
        note = Notification(message["method"], message.get("params"))
        if note.method == "worker/event" and isinstance(note.params, dict):
            with self._lock:
                inboxes = list(self._streams.get(str(note.params.get("workerId")), []))
            if inboxes:
                event = WorkerEvent.from_wire(note.params)
                for inbox in inboxes:
                    inbox.put(event)
        if note.method == "orchestration/event" and isinstance(note.params, dict):
            orchestration_event = OrchestrationEvent.from_wire(note.params)
            with self._lock:
                inboxes = list(self._streams.get(orchestration_event.orchestration_id, []))
                callback = self._orchestrations.callback_for(orchestration_event)
            for inbox in inboxes:
                inbox.put(orchestration_event)
            if callback is not None:
                callback(orchestration_event)
        if self._on_notification:
            self._on_notification(note)

    def _serve(self, request_id: Any, method: str, ask: Any) -> None:
        """A request from the server: `worker/ask` goes to `on_ask` on a thread of its own."""
        callback = self._on_ask
        if method != asks.ASK_REQUEST or callback is None:
            self._reply(asks.unknown_request(request_id, method))
            return
        threading.Thread(target=self._answer_ask, args=(callback, request_id, ask), name="bosun-ask", daemon=True).start()

    def _answer_ask(self, callback: AskCallback, request_id: Any, ask: Any) -> None:
        try:
            message = asks.response(request_id, callback(Ask.from_wire(ask)))
        except Exception as exception:
            message = asks.failure(request_id, exception)
        self._reply(message)

    def _reply(self, message: dict[str, Any]) -> None:
        try:
            self._send(message)
        except (OSError, ValueError):
            pass  # the server is gone: nothing waits for this answer

    def _fail_pending(self) -> None:
        with self._lock:
            self._closed = True
            pending = list(self._pending.values())
        for slot in pending:
            slot.put({"closed": True})
