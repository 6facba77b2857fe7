"""The asyncio client: the same methods as `BosunClient`, as coroutines."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import os
from typing import Any, AsyncIterator, Callable, Optional, Sequence, Union, cast, overload

from . import asks, framing, params
from .asks import AskDecision, AsyncAskCallback
from .client import CANCEL_GRACE_SECONDS, Notification
from .errors import BosunError, ConnectionClosed, ErrorCode, RequestTimeout, server_not_found
from .params import LimitsLike
from .streams import TRACE_PAGE, AnyEvent, EventCursor, OrchestrationCallback, OrchestrationWatches, events_of_trace
from .types import (AnswerResult, Ask, AwaitResult, CancelResult, InitializeResult, OrchestrateResult, OrchestrationEvent, Role,
                    SessionStatus, SteerResult, SynthesisResult, VerifyResult, Worker, WorkerEvent)


class AsyncBosunClient:
    """One connection to one `bosun serve` process, for asyncio.

    Any number of calls may be in flight at once. No call has a time limit unless you pass
    `timeout`; when it passes, or when the awaiting task is cancelled, the client sends
    `$/cancelRequest` so the server stops the work too.

        async with await AsyncBosunClient.start(["bosun", "serve"]) as bosun:
            await bosun.initialize(root=".")
            worker = await bosun.spawn("Summarise README.md", inputs=["README.md"])
            async for event in bosun.events(worker.id):
                print(event.seq, event.kind)

    `on_ask` answers workers' asks as `BosunClient`'s does; here each ask runs it as a task of
    its own, and it may be a coroutine function (a plain function runs on the event loop).
    """

    client_name = "bosun_client.aio"

    def __init__(self, process: asyncio.subprocess.Process,
                 on_notification: Optional[Callable[[Notification], None]] = None,
                 on_ask: Optional[AsyncAskCallback] = None):
        if process.stdin is None or process.stdout is None:
            raise ValueError("bosun serve must be started with stdin and stdout pipes (see AsyncBosunClient.start)")
        self.process = process
        self._stdin: asyncio.StreamWriter = process.stdin
        self._stdout: asyncio.StreamReader = process.stdout
        self._ids = itertools.count(1)
        self._pending: "dict[int, asyncio.Future[dict[str, Any]]]" = {}
        self._streams: "dict[str, list[asyncio.Queue[AnyEvent]]]" = {}
        self._orchestrations = OrchestrationWatches()
        self._closed = False
        self._write_lock = asyncio.Lock()
        self._on_notification = on_notification
        self._on_ask = on_ask
        self._asking: "set[asyncio.Task[None]]" = set()
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def start(cls, argv: Sequence[str], env: Optional[dict[str, Any]] = None, cwd: Optional[str] = None,
                    stderr: Any = None, on_notification: Optional[Callable[[Notification], None]] = None,
                    on_ask: Optional[AsyncAskCallback] = None) -> "AsyncBosunClient":
        """Starts `argv` (such as `["bosun", "serve"]`) and connects to it; see `BosunClient.start`."""
        try:
            process = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=stderr if stderr is not None else asyncio.subprocess.DEVNULL,
                env={**os.environ, **(env or {})}, cwd=cwd)
        except FileNotFoundError as error:
            raise server_not_found(list(argv), error) from error
        return cls(process, on_notification, on_ask)

    # -- the methods of bosun/1 (documented on BosunClient) ----------------------

    async def initialize(self, root: Optional[str] = None, *, session: Optional[str] = None,
                         max_concurrent_workers: Optional[int] = None, events: Optional[str] = None,
                         log_level: Optional[str] = None, timeout: Optional[float] = None) -> InitializeResult:
        result = await self.request("initialize", params.initialize(
            root=root, client_name=self.client_name, session=session, max_concurrent_workers=max_concurrent_workers,
            events=events, log_level=log_level, asks=self._on_ask is not None), timeout)
        await self.notify("initialized", {})
        return InitializeResult.from_wire(result)

    async def spawn(self, task: str, *, inputs: Optional[Sequence[str]] = None, scope: Optional[str] = None,
                    output_format: Optional[str] = None, output_schema: Optional[dict[str, Any]] = None,
                    do_not: Optional[Sequence[str]] = None, role: Optional[str] = None, model: Optional[str] = None,
                    tools: Optional[Sequence[str]] = None, limits: LimitsLike = None,
                    after: Optional[Sequence[str]] = None, priority: Optional[int] = None, wait: bool = False,
                    work_done_token: Union[int, str, None] = None, timeout: Optional[float] = None) -> Worker:
        return Worker.from_wire(await self.request("spawn", params.spawn(
            task=task, inputs=inputs, scope=scope, output_format=output_format, output_schema=output_schema,
            do_not=do_not, role=role, model=model, tools=tools, limits=limits, after=after, priority=priority,
            wait=wait, work_done_token=work_done_token), timeout))

    async def steer(self, worker_id: str, message: str, *, timeout: Optional[float] = None) -> SteerResult:
        return SteerResult.from_wire(await self.request("steer", params.steer(
            worker_id=worker_id, message=message), timeout))

    async def changes(self, worker_id: Optional[str] = None, *, orchestration_id: Optional[str] = None,
                context: Optional[int] = None, timeout: Optional[float] = None) -> dict[str, Any]:
        """A writing worker's (or an orchestration's) changes, waiting for review in its layer:
        `{base, files: [{path, status, additions, deletions, workerId}], diff, ignored?}`; the diff has
        `context` lines of context around each change (default 3). `ignored` lists changed files that
        .gitignore ignores: `apply` carries them only when `paths` names them."""
        result: dict[str, Any] = await self.request("changes", params.review(
            worker_id=worker_id, orchestration_id=orchestration_id, context=context), timeout)
        return result

    async def apply(self, worker_id: Optional[str] = None, *, orchestration_id: Optional[str] = None,
              paths: Optional[Sequence[str]] = None, timeout: Optional[float] = None) -> dict[str, Any]:
        """Writes the changes into the workspace, all or nothing per worker:
        `{applied: [path], conflicts: [{path, reason, workerId}], state}`. With `paths`, only those
        files; the rest keeps waiting for a later `apply`."""
        result: dict[str, Any] = await self.request("apply", params.review(
            worker_id=worker_id, orchestration_id=orchestration_id, paths=paths), timeout)
        return result

    async def discard(self, worker_id: Optional[str] = None, *, orchestration_id: Optional[str] = None,
                timeout: Optional[float] = None) -> dict[str, Any]:
        """Throws the changes away: `{discarded: [path]}`."""
        result: dict[str, Any] = await self.request("discard", params.review(worker_id=worker_id, orchestration_id=orchestration_id), timeout)
        return result

    async def answer(self, ask_id: str, decision: Optional[AskDecision] = None, text: Optional[str] = None, *,
                     timeout: Optional[float] = None) -> AnswerResult:
        return AnswerResult.from_wire(await self.request("answer", params.answer(
            ask_id=ask_id, decision=decision, text=text), timeout))

    async def cancel(self, worker_id: str, *, reason: Optional[str] = None,
                     timeout: Optional[float] = None) -> CancelResult:
        return CancelResult.from_wire(await self.request("cancel", params.cancel(
            worker_id=worker_id, everyone=False, reason=reason), timeout))

    async def cancel_all(self, *, reason: Optional[str] = None, timeout: Optional[float] = None) -> CancelResult:
        return CancelResult.from_wire(await self.request("cancel", params.cancel(
            worker_id=None, everyone=True, reason=reason), timeout))

    async def await_workers(self, workers: Optional[Sequence[str]] = None, *, mode: Optional[str] = None,
                            timeout_seconds: Optional[float] = None, timeout: Optional[float] = None) -> AwaitResult:
        return AwaitResult.from_wire(await self.request(
            "await", params.await_workers(workers=workers, mode=mode, timeout_seconds=timeout_seconds), timeout))

    @overload
    async def status(self, worker_id: None = None, *, timeout: Optional[float] = None) -> SessionStatus: ...

    @overload
    async def status(self, worker_id: str, *, timeout: Optional[float] = None) -> Worker: ...

    async def status(self, worker_id: Optional[str] = None, *,
                     timeout: Optional[float] = None) -> Union[Worker, SessionStatus]:
        if worker_id is not None:
            return Worker.from_wire(await self.request("status", {"workerId": worker_id}, timeout))
        return SessionStatus.from_wire(await self.request("status", None, timeout))

    async def trace(self, worker_id: Optional[str] = None, *, after_seq: Optional[int] = None,
                    limit: Optional[int] = None, timeout: Optional[float] = None) -> list[WorkerEvent]:
        if worker_id is None or limit is not None:
            return events_of_trace(await self.request("trace", params.trace(
                worker_id=worker_id, after_seq=after_seq, limit=limit), timeout))
        return await self._stored_events(worker_id, after_seq, WorkerEvent.from_wire, timeout)

    async def _stored_events(self, ident: str, after_seq: Optional[int], parse: Callable[[dict[str, Any]], Any],
                             timeout: Optional[float] = None) -> list[Any]:
        events: list[Any] = []
        while True:
            answer = await self.request("trace", params.trace(
                worker_id=ident, after_seq=after_seq, limit=TRACE_PAGE), timeout)
            page = [parse(e) for e in answer["events"]]
            events += page
            if len(page) < TRACE_PAGE:
                return events
            after_seq = page[-1].seq

    async def roles(self, *, timeout: Optional[float] = None) -> list[Role]:
        return [Role.from_wire(r) for r in (await self.request("roles", None, timeout))["roles"]]

    async def verify(self, worker_id: str, checks: Sequence[dict[str, Any]], *, feedback: Optional[str] = None,
                     max_rounds: Optional[int] = None, escalate: Optional[bool] = None,
                     timeout: Optional[float] = None) -> VerifyResult:
        return VerifyResult.from_wire(await self.request("verify", params.verify(
            worker_id=worker_id, checks=checks, feedback=feedback, max_rounds=max_rounds, escalate=escalate),
            timeout))

    async def synthesize(self, workers: Sequence[str], instruction: str, *, output_format: Optional[str] = None,
                         output_schema: Optional[dict[str, Any]] = None, model: Optional[str] = None,
                         require_all: Optional[bool] = None, timeout_seconds: Optional[float] = None,
                         max_input_chars: Optional[int] = None, timeout: Optional[float] = None) -> SynthesisResult:
        return SynthesisResult.from_wire(await self.request("synthesize", params.synthesize(
            workers=workers, instruction=instruction, output_format=output_format, output_schema=output_schema,
            model=model, require_all=require_all, timeout_seconds=timeout_seconds, max_input_chars=max_input_chars),
            timeout))

    async def orchestrate(self, goal: Optional[str] = None, *, inputs: Optional[Sequence[str]] = None,
                          roles: Optional[Sequence[str]] = None, checks: Optional[Sequence[dict[str, Any]]] = None,
                          output_format: Optional[str] = None, output_schema: Optional[dict[str, Any]] = None,
                          max_workers: Optional[int] = None, max_replans: Optional[int] = None,
                          max_cost_usd: Optional[float] = None, timeout_seconds: Optional[float] = None,
                          resume: Optional[str] = None, verify: Optional[bool] = None,
                          on_event: Optional[OrchestrationCallback] = None,
                          work_done_token: Union[int, str, None] = None,
                          timeout: Optional[float] = None) -> OrchestrateResult:
        """See `BosunClient.orchestrate`; `on_event` is called in the client's reader task."""
        if on_event is None:
            return OrchestrateResult.from_wire(await self.request("orchestrate", params.orchestrate(
                goal=goal, inputs=inputs, roles=roles, checks=checks, output_format=output_format,
                output_schema=output_schema, max_workers=max_workers, max_replans=max_replans,
                max_cost_usd=max_cost_usd, timeout_seconds=timeout_seconds, resume=resume,
                work_done_token=work_done_token, verify=verify), timeout))
        token = work_done_token if work_done_token is not None else OrchestrationWatches.new_token()
        key = self._orchestrations.add(token, resume, on_event)
        try:
            return OrchestrateResult.from_wire(await self.request("orchestrate", params.orchestrate(
                goal=goal, inputs=inputs, roles=roles, checks=checks, output_format=output_format,
                output_schema=output_schema, max_workers=max_workers, max_replans=max_replans,
                max_cost_usd=max_cost_usd, timeout_seconds=timeout_seconds, resume=resume, work_done_token=token,
                verify=verify), timeout))
        finally:
            self._orchestrations.remove(key)

    def events(self, worker_id: str, *, after_seq: Optional[int] = None,
               poll_seconds: float = 2.0) -> AsyncIterator[WorkerEvent]:
        """One worker's events to the end of its run; see `BosunClient.events`."""
        return self._follow(worker_id, after_seq, poll_seconds, WorkerEvent.from_wire)

    def orchestration_events(self, orchestration_id: str, *, after_seq: Optional[int] = None,
                             poll_seconds: float = 2.0) -> AsyncIterator[OrchestrationEvent]:
        """One orchestration's events to its end; see `BosunClient.orchestration_events`."""
        return self._follow(orchestration_id, after_seq, poll_seconds, OrchestrationEvent.from_wire)

    async def _follow(self, ident: str, after_seq: Optional[int], poll_seconds: float,
                      parse: Callable[[dict[str, Any]], Any]) -> AsyncIterator[Any]:
        inbox: "asyncio.Queue[AnyEvent]" = asyncio.Queue()
        self._streams.setdefault(ident, []).append(inbox)
        try:
            cursor = EventCursor(after_seq)
            for event in cursor.take(await self._stored_events(ident, after_seq, parse), history=True):
                yield event
            while not cursor.done:
                try:
                    event = await asyncio.wait_for(inbox.get(), poll_seconds)
                except asyncio.TimeoutError:
                    batch = await self._stored_events(ident, cursor.last_seq, parse)
                else:
                    batch = (await self._stored_events(ident, cursor.last_seq, parse)
                             if cursor.missed_some_before(event) else [event])
                for event in cursor.take(batch):
                    yield event
        finally:
            self._streams[ident].remove(inbox)
            if not self._streams[ident]:
                del self._streams[ident]

    # -- JSON-RPC ------------------------------------------------------------------

    async def request(self, method: str, params: Any = None, timeout: Optional[float] = None) -> Any:
        """Sends a request and returns its result; see `BosunClient.request`."""
        if self._closed:
            raise ConnectionClosed(method, self.process.returncode)
        request_id = next(self._ids)
        answer: "asyncio.Future[dict[str, Any]]" = asyncio.get_running_loop().create_future()
        self._pending[request_id] = answer
        try:
            try:
                await self._send(framing.request(request_id, method, params))
            except OSError:
                raise ConnectionClosed(method, self.process.returncode) from None
            try:
                response = await asyncio.wait_for(asyncio.shield(answer), timeout)
            except asyncio.TimeoutError:
                await self.notify("$/cancelRequest", {"id": request_id})
                try:
                    response = await asyncio.wait_for(answer, CANCEL_GRACE_SECONDS)
                except asyncio.TimeoutError:
                    raise RequestTimeout(method, request_id, cast(float, timeout), False, CANCEL_GRACE_SECONDS) from None
                if response.get("error", {}).get("code") == ErrorCode.REQUEST_CANCELLED:
                    raise RequestTimeout(method, request_id, cast(float, timeout), True, CANCEL_GRACE_SECONDS) from None
            except asyncio.CancelledError:
                if not self._closed:
                    await self.notify("$/cancelRequest", {"id": request_id})
                raise
        finally:
            self._pending.pop(request_id, None)
        if response.get("closed"):
            raise ConnectionClosed(method, self.process.returncode)
        if "error" in response:
            raise BosunError.from_wire(response["error"])
        return response.get("result")

    async def notify(self, method: str, params: Any = None) -> None:
        await self._send(framing.notification(method, params))

    async def close(self, timeout: float = 10) -> int:
        """Shuts the server down politely (`shutdown`, `exit`) and returns its exit code."""
        if self.process.returncode is None:
            try:
                await self.request("shutdown", timeout=timeout)
                await self.notify("exit")
            except (BosunError, OSError):
                pass
            self._stdin.close()
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        await self._reader
        for task in list(self._asking):  # callbacks still deciding: nothing waits for their answers now
            task.cancel()
        return code

    async def __aenter__(self) -> "AsyncBosunClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    # -- transport ----------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        async with self._write_lock:
            self._stdin.write(framing.encode(message))
            await self._stdin.drain()

    async def _read_loop(self) -> None:
        stream = self._stdout
        try:
            while True:
                length = None
                while True:
                    line = await stream.readline()
                    if not line:
                        return
                    if not line.strip():
                        break
                    length = framing.content_length(line) if length is None else length
                if length is not None:
                    for message in framing.messages(await stream.readexactly(length)):
                        self._dispatch(message)
        except asyncio.IncompleteReadError:
            return
        finally:
            self._closed = True
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_result({"closed": True})

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" in message and ("result" in message or "error" in message):
            answer = self._pending.get(message["id"])
            if answer is not None and not answer.done():
                answer.set_result(message)
            return
        if "method" not in message:
            return
        if "id" in message:
            self._serve(message["id"], message["method"], message.get("params"))
            return
        note = Notification(message["method"], message.get("params"))
        if note.method == "worker/event" and isinstance(note.params, dict):
            inboxes = self._streams.get(str(note.params.get("workerId")), [])
            if inboxes:
                event = WorkerEvent.from_wire(note.params)
                for inbox in inboxes:
                    inbox.put_nowait(event)
        if note.method == "orchestration/event" and isinstance(note.params, dict):
            orchestration_event = OrchestrationEvent.from_wire(note.params)
            for inbox in self._streams.get(orchestration_event.orchestration_id, []):
                inbox.put_nowait(orchestration_event)
            callback = self._orchestrations.callback_for(orchestration_event)
            if callback is not None:
                callback(orchestration_event)
        if self._on_notification:
            self._on_notification(note)

    def _serve(self, request_id: Any, method: str, ask: Any) -> None:
        """A request from the server: `worker/ask` goes to `on_ask` in a task of its own."""
        callback = self._on_ask
        if method != asks.ASK_REQUEST or callback is None:
            self._asking_task(self._reply(asks.unknown_request(request_id, method)))
            return
        self._asking_task(self._answer_ask(callback, request_id, ask))

    def _asking_task(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._asking.add(task)
        task.add_done_callback(self._asking.discard)

    async def _answer_ask(self, callback: AsyncAskCallback, request_id: Any, ask: Any) -> None:
        try:
            reply = callback(Ask.from_wire(ask))
            if inspect.isawaitable(reply):
                reply = await reply
            message = asks.response(request_id, reply)
        except Exception as exception:
            message = asks.failure(request_id, exception)
        await self._reply(message)

    async def _reply(self, message: dict[str, Any]) -> None:
        try:
            await self._send(message)
        except (OSError, RuntimeError):
            pass  # the server is gone: nothing waits for this answer
