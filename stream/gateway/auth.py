"""Bearer-token authentication for HTTP and WebSocket requests (pure ASGI middleware).

The token comes in ``Authorization: Bearer TOKEN`` or, for clients that cannot set headers (a
browser's ``WebSocket`` and ``EventSource``), in ``?token=TOKEN``. A refused request gets 401 and no
data. With no tokens configured the gateway is open (``create_app`` logs that as a warning).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["OPEN_PATHS", "OPEN_PREFIXES", "BearerAuth"]

# Probes and the scrape need no token (they carry no match data), nor the overlay page's static
# files (its data comes over the WebSocket, which does need one).
OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
OPEN_PREFIXES = ("/overlay/",)


def _presented(scope: Scope) -> bytes | None:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.partition(b" ")
            return token.strip() if scheme.lower() == b"bearer" else None
    query: bytes = scope.get("query_string", b"")
    for key, text in parse_qsl(query.decode("latin-1")):
        if key == "token":
            return text.encode()
    return None


class BearerAuth:
    def __init__(self, app: ASGIApp, tokens: Iterable[str]) -> None:
        self._app = app
        self._tokens = tuple(t.encode() for t in tokens)

    def _allowed(self, scope: Scope) -> bool:
        path: str = scope["path"]
        if not self._tokens or path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
            return True
        if scope.get("method") == "OPTIONS":
            return True
        presented = _presented(scope)
        # Compare against every token, always: the time taken does not tell which one nearly matched.
        matches = [hmac.compare_digest(presented or b"", token) for token in self._tokens]
        return presented is not None and any(matches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            await self._app(scope, receive, send)
            return
        refusal = JSONResponse(
            {"error": "unauthorized", "detail": "a valid bearer token is required"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="pitchside"'},
        )
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            if "websocket.http.response" not in scope.get("extensions", {}):
                # The server cannot send a denial response: a close before accept is its 403.
                await send({"type": "websocket.close", "code": 1008})
                return
        # Starlette sends a response in a websocket scope as the denial response (the ASGI extension).
        await refusal(scope, receive, send)
