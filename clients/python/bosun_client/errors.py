"""The exceptions of the client: every JSON-RPC error keeps the server's code, message and data."""

from __future__ import annotations

from typing import Any, Optional


class ErrorCode:
    """The error codes of bosun/1 (protocol/README.md, "Errors")."""
    PARSE_ERROR = -32700
    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    NOT_INITIALIZED = -32002
    REQUEST_CANCELLED = -32800
    REQUEST_FAILED = -32803
    UNKNOWN_WORKER = -32010
    WRONG_WORKER_STATE = -32011
    UNKNOWN_ROLE_MODEL_OR_PROVIDER = -32012
    BUDGET_SPENT = -32013
    CONNECTION_CLOSED = -32099
    """Not sent by the server: the client's own code for a connection that ended."""


class BosunError(Exception):
    """A JSON-RPC error response: `code`, `message` and `data` exactly as the server sent them.

    Errors about params carry `data["field"]`, the path of the field that was wrong.
    """

    def __init__(self, code: int, message: str, data: Any = None):
        field = data.get("field") if isinstance(data, dict) else None
        super().__init__(f"{message} (code {code}" + (f", field {field})" if field else ")"))
        self.code = code
        self.message = message
        self.data = data

    @property
    def field(self) -> Optional[str]:
        return self.data.get("field") if isinstance(self.data, dict) else None

    @classmethod
    def from_wire(cls, error: dict[str, Any]) -> "BosunError":
        return cls(error.get("code", ErrorCode.INTERNAL_ERROR), error.get("message", ""), error.get("data"))


class ConnectionClosed(BosunError):
    """`bosun serve` closed its output (it exited or was killed) before answering."""

    def __init__(self, method: str, exit_code: Optional[int]):
        how = f"exited with code {exit_code}" if exit_code is not None else "closed its output"
        super().__init__(ErrorCode.CONNECTION_CLOSED,
                         f"bosun serve {how} before answering {method}; its stderr says why", {"method": method})


class RequestTimeout(BosunError, TimeoutError):
    """No answer came within the client's `timeout`, so the client sent `$/cancelRequest`.

    `cancelled` is True when the server confirmed the cancellation (-32800). Cancelling a
    `spawn` with `wait=True` cancels its worker too; other workers are not touched.
    """

    def __init__(self, method: str, request_id: int, timeout: float, cancelled: bool, grace: float):
        outcome = ("the server confirmed the cancellation" if cancelled
                   else f"the server did not confirm it within {grace:g} s")
        note = "; the worker is cancelled too" if cancelled and method == "spawn" else ""
        super().__init__(ErrorCode.REQUEST_CANCELLED,
                         f"{method} (request {request_id}) got no answer within the client's timeout of {timeout:g} s, "
                         f"so the client sent $/cancelRequest and {outcome}{note}. Pass a larger timeout, "
                         "or timeout=None to wait as long as it takes",
                         {"method": method, "id": request_id, "timeoutSeconds": timeout, "cancelled": cancelled})
        self.cancelled = cancelled


def server_not_found(argv: "list[str]", error: FileNotFoundError) -> FileNotFoundError:
    """What `start` raises when the program it was given is not there: how to get bosun, not
    only ENOENT. Any other missing file (a `cwd` that does not exist) is `error` itself."""
    program = argv[0] if argv else ""
    if error.filename != program:
        return error
    return FileNotFoundError(error.errno, (
        f"{program} was not found: put the bosun binary on PATH (a checkout's build is .build/debug/bosun; "
        "`make install` installs one) or give its path as the first item of argv"), program)
