"""LSP base-protocol framing (`Content-Length: N\\r\\n\\r\\n` then N bytes of JSON), shared by both clients."""

from __future__ import annotations

import json
from typing import Any, Optional


def encode(message: dict[str, Any]) -> bytes:
    body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def content_length(header_line: bytes) -> Optional[int]:
    """The length a header line announces, or None for any other header."""
    name, _, value = header_line.decode("latin-1").partition(":")
    if name.strip().lower() != "content-length":
        return None
    return int(value.strip())


def messages(body: bytes) -> list[Any]:
    """The JSON-RPC messages of one frame: a batch answer is an array of them."""
    decoded: Any = json.loads(body)
    return decoded if isinstance(decoded, list) else [decoded]


def request(request_id: int, method: str, params: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification(method: str, params: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message
