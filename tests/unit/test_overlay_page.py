"""The overlay page's route on the gateway app, without Redis: its files come from the package and
need no token, while the WebSocket it opens still refuses a wrong ``?token=`` (the browser's only way
to send one). tests/integration/test_overlay_browser.py runs the page in a real browser."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from importlib.resources import files
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from models.settings import Settings
from stream.gateway import create_app
from stream.gateway.auth import BearerAuth

TOKEN = "t" * 24


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # redis-py connects lazily: nothing here reaches Redis (refusals happen before it is asked).
    app = create_app(Settings(gateway_tokens=(SecretStr(TOKEN),)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
        yield http
    await app.state.gateway.client.aclose()


async def test_the_page_and_its_files_are_served_without_a_token(client: httpx.AsyncClient) -> None:
    page = await client.get("/overlay/8658")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.content == (files("stream.gateway") / "overlay" / "index.html").read_bytes()
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for name, media in (("overlay.js", "text/javascript"), ("overlay.css", "text/css")):
        asset = await client.get(f"/overlay/assets/{name}")
        assert asset.status_code == 200 and asset.headers["content-type"].startswith(media), name


async def test_only_the_listed_files_and_valid_match_ids(client: httpx.AsyncClient) -> None:
    for path in ("/overlay/assets/..%2F__init__.py", "/overlay/assets/app.py", "/overlay/assets/index.html"):
        assert (await client.get(path)).status_code == 404, path
    refused = await client.get("/overlay/bad:id")
    assert refused.status_code == 400 and refused.json()["parameter"] == "match_id"


async def test_the_data_still_needs_the_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/matches/8658/latest")).status_code == 401
    assert (await client.get("/v1/matches/8658/latest?token=not-the-token-at-all")).status_code == 401
    # The prefix opens the overlay's own paths only, not a look-alike.
    assert (await client.get("/overlayx/8658")).status_code == 401


async def websocket_handshake(query: str) -> list[dict[str, Any]]:
    """What the auth sends back for a WebSocket handshake with ``query`` (``reached`` if let through)."""
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        sent.append({"type": "reached"})

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "websocket",
        "path": "/v1/matches/8658/stream",
        "query_string": query.encode(),
        "headers": [],
        "extensions": {"websocket.http.response": {}},
    }
    await BearerAuth(app, [TOKEN])(scope, receive, send)
    return sent


@pytest.mark.parametrize(
    "query", ["", "token=not-the-token-at-all", f"token={TOKEN[:-1]}", "access=" + TOKEN]
)
async def test_a_websocket_with_a_wrong_or_missing_query_token_is_refused(query: str) -> None:
    sent = await websocket_handshake(query)
    assert sent[0]["type"] == "websocket.http.response.start" and sent[0]["status"] == 401, sent


async def test_a_websocket_with_the_query_token_is_let_through() -> None:
    assert await websocket_handshake(f"since=frame:3&token={TOKEN}") == [{"type": "reached"}]
