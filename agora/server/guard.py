"""What every HTTP request must pass before the policy server parses it.

A pure ASGI middleware: the ``Host`` header must name a loopback address (DNS-rebinding
defence: a web page cannot reach the server through a name it controls), the body may hold at
most :data:`MAX_BODY_BYTES` and nest JSON at most :data:`MAX_JSON_DEPTH` deep (so no parser
downstream recurses without bound). Failures are answered with an OpenAI-style JSON error.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import numpy as np

MAX_BODY_BYTES = 1 << 20
"""Largest request body accepted (1 MiB); larger ones get 413."""
MAX_JSON_DEPTH = 100
"""Deepest nesting of JSON arrays and objects in a request body."""
LOOPBACK_NAMES = frozenset({"localhost"})
"""Host names accepted besides loopback IP addresses."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def is_loopback_host(host: str) -> bool:
    """Whether a ``Host`` header value (name or address, optional port) is loopback."""
    host = host.strip().lower()
    if host.startswith("["):
        name = host[1:host.find("]")] if "]" in host else ""
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.rstrip(".")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def json_nesting(body: bytes) -> int:
    """Deepest bracket nesting of JSON text (brackets inside strings are ignored)."""
    kept = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if not kept:
        return 0
    codes = np.frombuffer(kept, dtype=np.uint8)
    steps = np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)
    return int(np.cumsum(steps).max())


class RequestGuard:
    """ASGI middleware enforcing the Host check and the body limits before ``app`` runs.

    Args:
        app: The wrapped ASGI app.
        check_host: Refuse requests whose ``Host`` is not loopback (turned off when the server
            was asked to listen on an explicit ``--host``).
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *,
                 check_host: bool = True) -> None:
        self.app, self.check_host = app, check_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if self.check_host and not is_loopback_host(headers.get("host", "")):
            await _reply(send, 421, f"Host header {headers.get('host', '')!r} is not a loopback "
                         "address; start agora serve with --host to accept other names")
            return
        length = headers.get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            await _reply(send, 413, f"request body must be at most {MAX_BODY_BYTES} bytes")
            return
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY_BYTES:
                await _reply(send, 413, f"request body must be at most {MAX_BODY_BYTES} bytes")
                return
        if json_nesting(bytes(body)) > MAX_JSON_DEPTH:
            await _reply(send, 400, f"request body nests JSON deeper than {MAX_JSON_DEPTH} levels")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


async def _reply(send: Send, status: int, message: str) -> None:
    payload = json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                    "code": status}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
