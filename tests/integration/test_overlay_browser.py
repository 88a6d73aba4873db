"""The overlay page in a real browser: Debian's headless Chromium, driven over the DevTools protocol
(tests/integration/cdp.py), loads ``/overlay/{id}`` from a real gateway (uvicorn in process) that reads
the real Redis, while a real worker processes a replay of the bundled 2018 World Cup final through the
real broker. Everything is read back from the page's DOM.

A screenshot of each run is kept in ``$PITCHSIDE_TEST_ARTIFACTS`` (default ``tests/artifacts/``,
ignored by git); the test prints where.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
import uvicorn
from pydantic import SecretStr

from models.settings import Settings
from stream.contracts import ShotEvent
from stream.gateway import create_app
from stream.outputs.publisher import latest_key
from stream.sources.pacing import send_paced
from stream.sources.producer import RecordProducer
from stream.sources.replay import resolve_match
from stream.sources.replay_plan import PlannedMessage, plan_match
from stream.sources.statsbomb import load_events
from stream.stack import Stack

from .cdp import CHROMIUM, Page, launch
from .conftest import WorkerProcess
from .test_gateway import publish, publishing

pytestmark = pytest.mark.integration

TOKEN = secrets.token_hex(16)
TIMEOUT_S = 45.0
VIEWPORT = (1280, 720)
TRACKING_HZ = 5.0
# Sent as fast as the worker takes it; then the last seconds before the first shot at SPEED x.
LEAD_IN_MS = 20_000
SPEED = 4.0

PLAYERS_AND_BALL = """(() => {
  const players = document.querySelectorAll('#pitch circle.player');
  const ball = document.getElementById('ball');
  return players.length === 22 && ball.getAttribute('visibility') === 'visible'
    && !document.getElementById('pitch-panel').hidden;
})()"""
POSITIONS = """Object.fromEntries([...document.querySelectorAll('#pitch circle.player')].map((c) => [
  c.dataset.side + ':' + c.dataset.id, [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]]))"""
BALL = (
    "[Number(document.getElementById('ball').getAttribute('cx')), "
    "Number(document.getElementById('ball').getAttribute('cy'))]"
)
SHOT_CARD = """(() => {
  const card = document.getElementById('shot-card');
  if (card.hidden || !card.dataset.xg) return null;
  return {xg: Number(card.dataset.xg), value: card.querySelector('.value').textContent,
          reasons: [...card.querySelectorAll('.shot-reasons li')].map((li) => li.textContent),
          player: card.querySelector('.shot-player').textContent};
})()"""


@pytest.fixture
def artifacts() -> Path:
    root = Path(os.environ.get("PITCHSIDE_TEST_ARTIFACTS") or Path(__file__).parents[1] / "artifacts")
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(autouse=True)
def chromium_installed() -> None:
    if not CHROMIUM.is_file():  # a failure, not a skip: CI must not pass without the browser test
        pytest.fail(f"{CHROMIUM} is missing: scripts/bootstrap installs Debian's chromium")


class GatewayServer:
    """The real gateway app on uvicorn in this event loop, on one port that survives a restart."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.http = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the same port again after a stop
        sock.bind(("127.0.0.1", self.port))
        config = uvicorn.Config(
            create_app(self.settings),
            log_level="warning",
            ws="websockets-sansio",
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        self._server = server = uvicorn.Server(config)
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        deadline = time.monotonic() + TIMEOUT_S
        while not server.started:
            assert not self._task.done(), "the gateway stopped at start"
            assert time.monotonic() < deadline, "the gateway did not start"
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        await asyncio.wait_for(self._task, timeout=TIMEOUT_S)
        self._server = self._task = None


@contextlib.asynccontextmanager
async def gateway(settings: Settings) -> AsyncIterator[GatewayServer]:
    server = GatewayServer(settings.model_copy(update={"gateway_tokens": (SecretStr(TOKEN),)}))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def until(page: Page, what: str, expression: str, timeout_s: float = TIMEOUT_S) -> Any:
    """Poll the page until ``expression`` is truthy; its value. Fails naming ``what`` and any page errors."""
    deadline = time.monotonic() + timeout_s
    while not (value := await page.evaluate(expression)):
        assert time.monotonic() < deadline, f"timed out waiting for {what}; page errors: {page.errors()}"
        await asyncio.sleep(0.05)
    return value


async def moved(page: Page, before: dict[str, list[float]], what: str) -> dict[str, list[float]]:
    """Positions once most players have moved from ``before`` (the same players still drawn)."""

    async def changed() -> dict[str, list[float]] | None:
        now: dict[str, list[float]] = await page.evaluate(POSITIONS)
        shifted = [k for k in before if k in now and now[k] != before[k]]
        return now if len(shifted) >= 11 else None

    deadline = time.monotonic() + TIMEOUT_S
    while (now := await changed()) is None:
        assert time.monotonic() < deadline, f"timed out waiting for {what}; page errors: {page.errors()}"
        await asyncio.sleep(0.05)
    return now


def split_at_first_shot(messages: list[PlannedMessage]) -> tuple[list[PlannedMessage], list[PlannedMessage]]:
    """The replay up to ``LEAD_IN_MS`` before its first shot, and the rest. Of the first part, every
    event (the line-ups, the build-up) but only the last ``LEAD_IN_MS`` of frames: a backlog of
    twenty minutes of frames would leave the pitch minutes behind the shot while the worker caught up."""
    shot_ts = next(m.ts for m in messages if isinstance(m.record, ShotEvent))
    cut = next(i for i, m in enumerate(messages) if m.ts >= shot_ts - LEAD_IN_MS)
    frames_from = shot_ts - 2 * LEAD_IN_MS
    head = [m for m in messages[:cut] if m.topic == "events" or m.ts >= frames_from]
    return head, messages[cut:]


async def test_the_overlay_draws_a_replayed_match_and_resumes_after_a_drop(
    worker: WorkerProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    started = time.monotonic()
    source = resolve_match(settings, "8658")
    now = time.time_ns() // 1_000_000
    plan = plan_match(
        load_events(source.path),
        match_id,
        kickoff_ms=now,
        tracking_hz=TRACKING_HZ,
        home_team=source.home_team,
    )
    fast, paced = split_at_first_shot(list(plan.until(30)))
    await send_paced(producer, (m.record for m in fast), speed=0)
    async with gateway(settings) as gw, launch(tmp_path / "chromium", tmp_path / "chromium.log") as browser:
        page = await browser.new_page(*VIEWPORT)
        await page.navigate(f"{gw.http}/overlay/{match_id}?token={TOKEN}")
        replay = asyncio.create_task(send_paced(producer, (m.record for m in paced), speed=SPEED))
        try:
            await until(page, "22 players and the ball", PLAYERS_AND_BALL)
            assert await page.evaluate(SHOT_CARD) is None, "a shot card before the first shot"
            assert (
                await page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgba(0, 0, 0, 0)"
            )
            first = await page.evaluate(POSITIONS)
            ball = await page.evaluate(BALL)
            await moved(page, first, "the players to move")
            await until(
                page, "the ball to move", f"JSON.stringify({BALL}) !== {json.dumps(json.dumps(ball))}"
            )

            card = await until(page, "the shot card", SHOT_CARD)
            await until(
                page, "the shot card's entry animation to end", "document.getAnimations().length === 0"
            )
            stored = await redis_conn.get(latest_key(settings.redis_prefix, match_id, "xg"))
            assert stored is not None, "the page shows a shot Redis has no xg for"
            scored = orjson.loads(stored)
            assert card["xg"] == pytest.approx(scored["data"]["xg"], abs=5e-4)
            assert card["value"] == f"{scored['data']['xg']:.2f}" and 0.0 < card["xg"] < 1.0
            assert card["reasons"] == scored["data"]["explanation"] and len(card["reasons"]) == 3
            assert await page.evaluate("document.querySelector('#team-stats td[data-side=home]').textContent")
            shot = await save_screenshot(page, artifacts / f"overlay-{match_id}.png")
            print(f"overlay screenshot: {shot}")

            # A drop: the gateway goes away and comes back on the same port. The page reconnects by
            # itself and resumes from the seq it had, so the players keep moving.
            at_drop = int(await page.evaluate("document.body.dataset.seqFrame"))
            await gw.stop()
            await until(page, "the page to see the drop", "document.body.dataset.connection !== 'live'")
            await gw.start()
            await until(page, "the page to reconnect", "document.body.dataset.connects === '2'")
            since = await page.evaluate("document.body.dataset.since")
            resumed_from = dict(part.split(":") for part in since.split(","))
            assert int(resumed_from["frame"]) >= at_drop and "xg" in resumed_from, since
            await until(
                page, "frames after the resume", f"Number(document.body.dataset.seqFrame) > {at_drop}"
            )
            await moved(page, await page.evaluate(POSITIONS), "the players to move after the resume")
            assert page.errors() == []
        finally:
            replay.cancel()
            await asyncio.gather(replay, return_exceptions=True)
    print(f"overlay browser test took {time.monotonic() - started:.1f}s")


async def save_screenshot(page: Page, path: Path) -> Path:
    """The page over a dark stand-in for the video it is keyed onto (the page itself stays transparent)."""
    await page.send(
        "Emulation.setDefaultBackgroundColorOverride", {"color": {"r": 24, "g": 30, "b": 38, "a": 1}}
    )
    png = await page.screenshot()
    await asyncio.to_thread(path.write_bytes, png)
    await page.send("Emulation.setDefaultBackgroundColorOverride", {})
    return path


async def test_the_overlay_draws_v2_shapes_and_the_lead_curve(
    stack: Stack, settings: Settings, match_id: str, tmp_path: Path
) -> None:
    """Outputs in the v2 contract's shapes (docs: /work/contract-v2.md until merged), written to
    Redis as a worker writes them: object frames, a player object on the shot, a baseball lead curve."""
    objects: list[dict[str, Any]] = [
        {"id": f"{side[0]}{i}", "side": side, "role": "player", "x": -40.0 + 4 * i, "y": y}
        for side, y in (("home", 20.0), ("away", -20.0))
        for i in range(11)
    ]
    objects.append({"id": "ref", "side": "officials", "role": "referee", "x": 0.0, "y": 0.0})
    frame: dict[str, Any] = {
        "frame": 1,
        "period": 2,
        "clock_s": 3061,
        "ball": [10.0, -5.0, 0.1],
        "objects": objects,
        "carrier": None,
    }
    xg = {
        "event_id": "s1",
        "xg": 0.4321,
        "explanation": ["distance 8 m: +0.60", "angle: +0.2", "head: -0.4"],
        "player": {"id": "3009", "name": "Kylian Mbappé Lottin"},
        "side": "home",
        "team": "France",
        "outcome": "Goal",
        "goal": True,
    }
    curve = {
        "leads_ft": [float(v) for v in range(21)],
        "probabilities": [0.3 + 0.03 * v for v in range(21)],
        "current_lead_ft": 12.7,
        "current_probability": 0.68,
        "runner": {"id": "682829", "name": "X"},
    }
    async with gateway(settings) as gw, publishing(settings) as pub:
        await publish(pub, match_id, "frame", range(1, 2), **frame)
        await publish(pub, match_id, "xg", range(1, 2), **xg)
        await publish(pub, match_id, "lead_curve", range(1, 2), **curve)
        async with launch(tmp_path / "chromium", tmp_path / "chromium.log") as browser:
            page = await browser.new_page(*VIEWPORT)
            await page.navigate(f"{gw.http}/overlay/{match_id}?token={TOKEN}")
            await until(page, "22 players and the ball", PLAYERS_AND_BALL)
            assert await page.evaluate("document.querySelectorAll('#pitch circle.official').length") == 1
            # y grows to the left of a player facing +x: on screen (y down) it is drawn as -y.
            h0 = await page.evaluate("document.querySelector('circle.player[data-id=h0]').getAttribute('cy')")
            assert float(h0) == -20.0
            card = await until(page, "the shot card", SHOT_CARD)
            assert card == {
                "xg": 0.432,
                "value": "0.43",
                "reasons": xg["explanation"],
                "player": "Kylian Mbappé Lottin",
            }
            await until(
                page, "the lead curve", "document.querySelectorAll('#lead-curve .lead-point').length === 21"
            )
            marker = await page.evaluate("document.getElementById('lead-current').dataset.leadFt")
            assert marker == "12.7"
            # Live after the snapshot: a v2 frame moving everyone 1 m.
            moved_frame = {**frame, "objects": [{**o, "x": o["x"] + 1.0} for o in objects]}
            await publish(pub, match_id, "frame", range(2, 3), **moved_frame)
            await until(
                page,
                "the live frame",
                "document.querySelector('circle.player[data-id=h0]').getAttribute('cx') === '-39.00'",
            )
            assert page.errors() == []
