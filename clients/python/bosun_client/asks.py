"""Answering a worker's asks from a callback, for both clients.

A client started with `on_ask` declares `capabilities.bosun.asks` in `initialize`, and the
server then sends each ask that goes to the client as the request `worker/ask`: the
callback gets the `Ask` and returns `{"decision": …}` (a permission ask: `allow`,
`allow_always` or `deny`) or `{"text": …}` (a question: the answer, or one of its options'
ids), which answers it.

A callback that returns None, raises, or returns something that is not such a reply leaves
the ask pending: the client answers `worker/ask` with an error that says why, the worker
keeps waiting, and the ask can still be answered with `answer` (from this client or any
other, `bosun answer`, `bosun top`) until the worker's `limits.maxWaitSeconds` passes, when
bosun declines it. An error in the callback is not a person's decision, so it is never
turned into `deny`.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Literal, Optional, TypedDict, Union

from .errors import ErrorCode
from .types import Ask

ASK_REQUEST = "worker/ask"
"""The request the server sends a client that declared `capabilities.bosun.asks`."""

AskDecision = Literal["allow", "allow_always", "deny"]
"""How a permission ask is answered; `deny` also declines a question."""

DECISIONS: frozenset[str] = frozenset({"allow", "allow_always", "deny"})


class AskReply(TypedDict, total=False):
    """What an `on_ask` callback returns: `worker/ask`'s result."""
    decision: AskDecision
    text: str


AskCallback = Callable[[Ask], Optional[AskReply]]
"""`BosunClient`'s `on_ask`: called on a thread of its own for each ask, so it may block (to
ask a person) and may call the client."""

AsyncAskCallback = Callable[[Ask], Union[Optional[AskReply], Awaitable[Optional[AskReply]]]]
"""`AsyncBosunClient`'s `on_ask`: a coroutine function (or a plain function, which runs on the
event loop and must not block), run as a task of its own for each ask."""


def response(request_id: Any, reply: Any) -> dict[str, Any]:
    """The JSON-RPC response to `worker/ask` for what the callback returned."""
    if reply is None:
        return error(request_id, "on_ask returned None: the ask stays pending; answer it with answer()")
    if not isinstance(reply, dict) or not reply or set(reply) - {"decision", "text"}:
        return error(request_id, f"on_ask must return {{'decision': …}} or {{'text': …}}; it returned {reply!r}. "
                                 "The ask stays pending.")
    decision, text = reply.get("decision"), reply.get("text")
    if decision is not None and decision not in DECISIONS:
        return error(request_id, f"on_ask returned decision {decision!r}; use one of {sorted(DECISIONS)}. The ask stays pending.")
    if text is not None and not isinstance(text, str):
        return error(request_id, f"on_ask returned text {text!r}, which is not a string. The ask stays pending.")
    return {"jsonrpc": "2.0", "id": request_id, "result": dict(reply)}


def failure(request_id: Any, exception: BaseException) -> dict[str, Any]:
    """The response to `worker/ask` when the callback raised."""
    return error(request_id, f"on_ask raised {type(exception).__name__}: {exception}. The ask stays pending.")


def error(request_id: Any, message: str, code: int = ErrorCode.INTERNAL_ERROR) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def unknown_request(request_id: Any, method: str) -> dict[str, Any]:
    """The response to a request from the server this client does not take."""
    return error(request_id, f"this client does not handle {method}", ErrorCode.METHOD_NOT_FOUND)
