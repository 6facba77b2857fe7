"""JSON-RPC 2.0 over stdio with LSP framing (`Content-Length`), as bosun/1 speaks it."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional


class BosunError(Exception):
    """A JSON-RPC error response: `code`, `message` and optional `data`, as the server sent them."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


@dataclass
class Notification:
    method: str
    params: Any


class BosunClient:
    """One connection to one `bosun serve` process.

    Requests may be issued from several threads; responses are matched by id. Server
    notifications (`worker/event`, `$/progress`, `window/logMessage`,
    `bosun/notificationsDropped`) go to `on_notification` when given, and are queued for
    `next_notification` otherwise.
    """

    def __init__(self, process: subprocess.Popen, on_notification: Optional[Callable[[Notification], None]] = None):
        self.process = process
        self._ids = itertools.count(1)
        self._pending: dict[int, "queue.Queue[dict]"] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._notifications: "queue.Queue[Notification]" = queue.Queue()
        self._on_notification = on_notification
        self._reader = threading.Thread(target=self._read_loop, name="bosun-reader", daemon=True)
        self._reader.start()

    @classmethod
    def start(cls, argv: list[str], env: Optional[dict] = None, cwd: Optional[str] = None,
              stderr=None, on_notification=None) -> "BosunClient":
        """Starts `argv` (e.g. ["bosun", "serve", "--config", path]) and connects to it."""
        process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=stderr if stderr is not None else subprocess.DEVNULL,
                                   env={**os.environ, **(env or {})}, cwd=cwd)
        return cls(process, on_notification)

    # -- protocol -----------------------------------------------------------------

    def initialize(self, root: Optional[str] = None, **options) -> dict:
        """Runs the `initialize` / `initialized` handshake; `options` become initializationOptions."""
        params: dict[str, Any] = {"processId": os.getpid(), "clientInfo": {"name": "bosun_client.py"}}
        if root:
            params["rootUri"] = "file://" + os.path.abspath(root)
        if options:
            params["initializationOptions"] = options
        result = self.request("initialize", params)
        self.notify("initialized", {})
        return result

    def request(self, method: str, params: Any = None, timeout: Optional[float] = 60) -> Any:
        """Sends a request and waits for its result; raises BosunError on an error response."""
        request_id = next(self._ids)
        slot: "queue.Queue[dict]" = queue.Queue(maxsize=1)
        with self._lock:
            self._pending[request_id] = slot
        message = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)
        try:
            response = slot.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no answer to {method} (id {request_id}) within {timeout} s") from None
        finally:
            with self._lock:
                self._pending.pop(request_id, None)
        if "error" in response:
            error = response["error"]
            raise BosunError(error.get("code"), error.get("message", ""), error.get("data"))
        return response.get("result")

    def notify(self, method: str, params: Any = None) -> None:
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)

    def next_notification(self, timeout: Optional[float] = 10) -> Notification:
        return self._notifications.get(timeout=timeout)

    def close(self, timeout: float = 10) -> int:
        """Shuts the server down politely (`shutdown`, `exit`) and returns its exit code."""
        if self.process.poll() is None:
            try:
                self.request("shutdown", timeout=timeout)
                self.notify("exit")
            except (BosunError, TimeoutError, BrokenPipeError, OSError):
                pass
            try:
                self.process.stdin.close()
            except OSError:
                pass
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __enter__(self) -> "BosunClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transport ----------------------------------------------------------------

    def _send(self, message: dict) -> None:
        body = json.dumps(message, separators=(",", ":")).encode()
        with self._write_lock:
            self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.process.stdin.flush()

    def _read_loop(self) -> None:
        stream = self.process.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return self._fail_pending()
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length is None:
                continue
            message = json.loads(stream.read(length))
            for item in message if isinstance(message, list) else [message]:
                self._dispatch(item)

    def _dispatch(self, message: dict) -> None:
        if "id" in message and ("result" in message or "error" in message):
            with self._lock:
                slot = self._pending.get(message["id"])
            if slot is not None:
                slot.put(message)
        elif "method" in message:
            note = Notification(message["method"], message.get("params"))
            if self._on_notification:
                self._on_notification(note)
            else:
                self._notifications.put(note)

    def _fail_pending(self) -> None:
        with self._lock:
            pending = list(self._pending.items())
        for request_id, slot in pending:
            slot.put({"id": request_id, "error": {"code": -32099, "message": "bosun closed the connection"}})
