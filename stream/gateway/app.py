"""The gateway's Starlette app: routes, auth, CORS, probes and metrics, built from the settings.

Routes (every ``/v1`` one needs a token when tokens are configured):

- ``GET /v1/matches``: live matches, their kinds and last ``event_ts``;
- ``GET /v1/matches/{id}/latest`` and ``/v1/matches/{id}/{kind}/latest``: the latest state
  (``?format=json|rows|csv``);
- ``WS /v1/matches/{id}/stream`` and ``GET /v1/matches/{id}/events`` (SSE): a snapshot (or, with
  ``since=``, what was missed), then every output in order (``?kinds=a,b&since=SEQ``);
- ``/healthz``, ``/readyz`` (Redis answers), ``/metrics``;
- ``/overlay/{id}``: the broadcast overlay page for a match (static, no token; see ``overlay_page``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
import redis.asyncio as aioredis
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from models.settings import Settings

from ..contracts import OUTPUT_KINDS
from .auth import BearerAuth
from .formats import to_csv, to_rows
from .hub import StreamHub
from .latest import latest_outputs, live_matches
from .metrics import GatewayMetrics
from .overlay_page import overlay_routes
from .params import BadParameter, parse_follow, parse_format, parse_kind, parse_match_id
from .resume import StreamFollower
from .session import ClientSession, SlowClient
from .sse import EventStreamResponse
from .streams import Outgoing, RedisStreams

__all__ = ["SLOW_CLIENT_CLOSE", "create_app"]

log = logging.getLogger(__name__)

# WebSocket close codes: a client dropped for reading too slowly, and Redis failing under it.
SLOW_CLIENT_CLOSE = 4008
REDIS_FAILED_CLOSE = 1011


def _bad(exc: BadParameter) -> JSONResponse:
    return JSONResponse({"error": "bad_parameter", "parameter": exc.parameter, "detail": exc.problem}, 400)


def _json(body: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code, media_type="application/json")


class Gateway:
    """The handlers, holding the Redis client, settings and metrics (no module-level state)."""

    def __init__(self, settings: Settings, client: aioredis.Redis, metrics: GatewayMetrics) -> None:
        self.settings = settings
        self.client = client
        self.metrics = metrics
        self.prefix = settings.redis_prefix
        # One shared live reader per followed (match, kinds), not one per client.
        self.hub = StreamHub(RedisStreams(client), on_feeds=metrics.feeds.set)

    async def matches(self, request: Request) -> Response:
        found = await live_matches(self.client, self.prefix, self.settings.match_idle_s)
        return _json({"matches": found})

    async def latest(self, request: Request) -> Response:
        try:
            match_id = parse_match_id(request.path_params["match_id"])
            kind = request.path_params.get("kind")
            kinds = (parse_kind(kind),) if kind is not None else OUTPUT_KINDS
            fmt = parse_format(request.query_params)
        except BadParameter as exc:
            return _bad(exc)
        outputs = await latest_outputs(self.client, self.prefix, match_id, kinds)
        if kind is not None and not outputs:
            return _json({"error": "not_found", "detail": f"no latest {kind} for match {match_id}"}, 404)
        if fmt == "rows":
            return _json(to_rows(outputs))
        if fmt == "csv":
            return PlainTextResponse(to_csv(to_rows(outputs)), media_type="text/csv")
        return _json(outputs[0] if kind is not None else {"match_id": match_id, "outputs": outputs})

    def _session(self, match_id: str, query: Any, transport: str) -> ClientSession:
        follower = StreamFollower(self.client, self.prefix, parse_follow(match_id, query))
        return ClientSession(
            follower,
            self.hub,
            queue_max=self.settings.gateway_client_queue_max,
            metrics=self.metrics,
            transport=transport,
        )

    async def stream(self, websocket: WebSocket) -> None:
        try:
            session = self._session(websocket.path_params["match_id"], websocket.query_params, "ws")
        except BadParameter as exc:
            await websocket.send_denial_response(_bad(exc))
            return
        await websocket.accept()
        clients = self.metrics.clients.labels("ws")
        clients.inc()
        try:
            await self._serve_ws(websocket, session)
        finally:
            clients.dec()

    async def _serve_ws(self, websocket: WebSocket, session: ClientSession) -> None:
        async def send() -> None:
            async for message in session.messages():
                await websocket.send_text(message.text)

        async def until_gone() -> None:
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass  # clients have nothing to say; whatever they send is ignored

        pump = asyncio.create_task(session.pump())
        tasks = {pump, asyncio.create_task(send()), asyncio.create_task(until_gone())}
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if not pump.cancelled() and pump.done() and (failure := pump.exception()) is not None:
            code, reason = self._dropped("ws", failure)
            # Behind a full send buffer the close frame waits its turn; do not wait for ever.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    websocket.close(code, reason), timeout=self.settings.gateway_close_timeout_s
                )

    def _dropped(self, transport: str, failure: BaseException) -> tuple[int, str]:
        if isinstance(failure, SlowClient):
            self.metrics.dropped.labels(transport, "slow").inc()
            limit = self.settings.gateway_client_queue_max
            log.info("dropped a slow %s client: over %d messages queued", transport, limit)
            return SLOW_CLIENT_CLOSE, f"slow client: over {limit} messages queued"
        self.metrics.dropped.labels(transport, "redis").inc()
        log.warning("dropped a %s client: Redis failed under it (%s)", transport, failure)
        return REDIS_FAILED_CLOSE, "Redis unavailable"

    async def events(self, request: Request) -> Response:
        try:
            session = self._session(request.path_params["match_id"], request.query_params, "sse")
        except BadParameter as exc:
            return _bad(exc)
        return EventStreamResponse(
            self._sse(session), headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )

    async def _sse(self, session: ClientSession) -> AsyncIterator[bytes]:
        clients = self.metrics.clients.labels("sse")
        clients.inc()
        pump = asyncio.create_task(session.pump())
        messages = session.messages()
        nxt: asyncio.Future[Outgoing] | None = None
        try:
            while True:
                nxt = asyncio.ensure_future(anext(messages))
                await asyncio.wait({nxt, pump}, return_when=asyncio.FIRST_COMPLETED)
                if not nxt.done():  # the pump stopped: the client is dropped (SSE has no close code)
                    failure = pump.exception()
                    if failure is not None:
                        self._dropped("sse", failure)
                    return
                yield nxt.result().sse
        finally:
            # Also on a disconnect, which cancels this generator mid-wait: stop the reads first,
            # then close the message generator once nothing is waiting on it.
            for task in (pump, nxt):
                if task is not None:
                    task.cancel()
            await asyncio.gather(*(t for t in (pump, nxt) if t is not None), return_exceptions=True)
            await messages.aclose()
            clients.dec()

    async def healthz(self, request: Request) -> Response:
        return _json({"status": "ok"})

    async def readyz(self, request: Request) -> Response:
        try:
            await asyncio.wait_for(self.client.ping(), timeout=2.0)
        except (RedisError, OSError, TimeoutError) as exc:
            return _json({"status": "unavailable", "redis": str(exc) or type(exc).__name__}, 503)
        return _json({"status": "ready"})

    async def metrics_view(self, request: Request) -> Response:
        return Response(generate_latest(self.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def create_app(
    settings: Settings, client: aioredis.Redis | None = None, metrics: GatewayMetrics | None = None
) -> Starlette:
    """The gateway app. ``client`` defaults to one built from the settings (closed on shutdown)."""
    from ..worker.app import redis_client

    owned = client is None
    redis_conn = client if client is not None else redis_client(settings)
    gateway = Gateway(settings, redis_conn, metrics or GatewayMetrics())
    tokens = [t.get_secret_value() for t in settings.gateway_tokens]
    if not tokens:
        log.warning(
            "NO AUTH: PITCHSIDE_GATEWAY_TOKENS is empty, so the gateway serves every match to anyone "
            "who can reach it. Set tokens before exposing it beyond a trusted network."
        )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await gateway.hub.close()
        if owned:
            await redis_conn.aclose()

    routes = [
        Route("/v1/matches", gateway.matches),
        Route("/v1/matches/{match_id}/latest", gateway.latest),
        Route("/v1/matches/{match_id}/events", gateway.events),
        Route("/v1/matches/{match_id}/{kind}/latest", gateway.latest),
        WebSocketRoute("/v1/matches/{match_id}/stream", gateway.stream),
        Route("/healthz", gateway.healthz),
        Route("/readyz", gateway.readyz),
        Route("/metrics", gateway.metrics_view),
        *overlay_routes(),
    ]
    middleware = [Middleware(BearerAuth, tokens=tokens)]
    if settings.gateway_cors_origins:
        # Outside the auth, so a browser's preflight (which carries no token) is answered.
        cors = Middleware(
            CORSMiddleware,
            allow_origins=list(settings.gateway_cors_origins),
            allow_methods=["GET"],
            allow_headers=["Authorization"],
        )
        middleware.insert(0, cors)
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.gateway = gateway
    return app
