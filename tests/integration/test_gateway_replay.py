"""The gateway end to end: a real replay of the 2018 final (real events, simulated tracking) goes
through Kafka and a real worker process into Redis, and WebSocket clients of a real gateway process
read it. A client that goes away mid-replay and comes back with ``since=`` ends with every seq of
every kind exactly once; a late joiner gets the snapshot, then follows.

Assertions are on ``match_id``, ``kind`` and ``seq`` only (the payloads' contract is evolving)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from websockets.asyncio.client import ClientConnection, connect

from models.settings import Settings
from stream.contracts import MatchEvent, TrackingFrame
from stream.outputs.publisher import latest_key
from stream.sources.pacing import send_paced
from stream.sources.producer import RecordProducer
from stream.sources.replay import resolve_match
from stream.sources.replay_plan import MatchPlan, plan_match
from stream.sources.statsbomb import load_events
from stream.stack import Stack

from .conftest import WorkerProcess
from .gateway_process import GatewayProcess

pytestmark = pytest.mark.integration

# Every kind a soccer replay gives; shots (hence shot_context and xg) start at 20:51 of the final.
KINDS = ("frame", "event", "player_stats", "team_stats", "shot_context", "xg")
RECV_TIMEOUT_S = 20.0
SeqMap = dict[str, list[int]]


@pytest.fixture(scope="module")
def gateway(
    stack: Stack, overrides: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    proc = GatewayProcess(overrides, tmp_path_factory.mktemp("gateway") / "gateway.log")
    yield proc
    proc.stop()


def replay_plan(settings: Settings, match_id: str, minutes: float) -> MatchPlan:
    events = load_events(resolve_match(settings, "8658").path)
    # 1 Hz keeps the test short (a frame and both stats each second); the worker handles each frame
    # the same at any rate.
    return plan_match(
        events, match_id, kickoff_ms=time.time_ns() // 1_000_000, tracking_hz=1.0, home_team="France"
    ).until(minutes)


def records(plan: MatchPlan) -> list[TrackingFrame | MatchEvent]:
    return [m.record for m in plan]


def split_at_minutes(
    messages: Sequence[TrackingFrame | MatchEvent], *minutes: float
) -> list[list[TrackingFrame | MatchEvent]]:
    """``messages`` cut at each of ``minutes`` after the first one's time."""
    parts: list[list[TrackingFrame | MatchEvent]] = [[] for _ in range(len(minutes) + 1)]
    for record in messages:
        parts[sum(record.ts - messages[0].ts >= m * 60_000 for m in minutes)].append(record)
    return parts


def expected_counts(messages: Sequence[TrackingFrame | MatchEvent]) -> dict[str, int]:
    """Outputs the worker gives one of per input: a frame per frame, an event per event, a shot
    context and an xG per shot. (Stats follow the frames; their count is read from Redis.)"""
    frames = sum(isinstance(r, TrackingFrame) for r in messages)
    shots = sum(r.type == "shot" for r in messages if not isinstance(r, TrackingFrame))
    return {"frame": frames, "event": len(messages) - frames, "shot_context": shots, "xg": shots}


async def latest_seqs(
    client: aioredis.Redis, prefix: str, match_id: str, kinds: Sequence[str]
) -> dict[str, int]:
    """Each kind's seq in its ``:latest`` key (0 where there is none yet)."""
    raw = await client.mget([latest_key(prefix, match_id, k) for k in kinds])
    return {k: int(orjson.loads(v)["seq"]) if v else 0 for k, v in zip(kinds, raw, strict=True)}


async def until(
    what: str, check: Callable[[], Awaitable[bool]], timeout_s: float, worker: WorkerProcess
) -> None:
    """Poll ``check`` (a coroutine function) until it is true; fail with the worker's log."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; worker log:\n{worker.tail()}")
        await asyncio.sleep(0.05)


class Reader:
    """One WebSocket client's view: every output's seq per kind in the order received, and any
    snapshot or gap messages."""

    def __init__(self, match_id: str) -> None:
        self.match_id = match_id
        self.seqs: SeqMap = defaultdict(list)
        self.snapshots: list[list[dict[str, Any]]] = []
        self.gaps: list[dict[str, Any]] = []

    def last(self, kind: str) -> int:
        return self.seqs[kind][-1] if self.seqs[kind] else 0

    async def one(self, ws: ClientConnection) -> None:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=RECV_TIMEOUT_S))
        if message["type"] == "output":
            output = message["output"]
            assert output["match_id"] == self.match_id
            self.seqs[output["kind"]].append(output["seq"])
        elif message["type"] == "snapshot":
            assert message["match_id"] == self.match_id
            self.snapshots.append(message["outputs"])
            for output in message["outputs"]:
                self.seqs[output["kind"]].append(output["seq"])
        else:
            self.gaps.append(message)

    async def until(self, ws: ClientConnection, reached: Callable[[], bool], timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not reached():
            assert time.monotonic() < deadline, (
                f"not reached; received up to { {k: self.last(k) for k in self.seqs} }"
            )
            await self.one(ws)


def stream_url(
    gateway: GatewayProcess, match_id: str, kinds: Sequence[str], since: dict[str, int] | None = None
) -> str:
    url = f"{gateway.ws}/v1/matches/{match_id}/stream?kinds={','.join(kinds)}"
    if since:
        url += "&since=" + ",".join(f"{k}:{s}" for k, s in since.items())
    return url


async def test_a_client_that_drops_mid_replay_and_resumes_gets_every_seq_of_every_kind_once(
    worker: WorkerProcess,
    gateway: GatewayProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
) -> None:
    messages = records(replay_plan(settings, match_id, minutes=22))  # the first shot is at 20:51
    expected = expected_counts(messages)
    assert expected["xg"] >= 1
    # Three parts, each sent on a signal rather than a clock, so the order of things holds however
    # busy the machine: live while the client is there, while it is away, after it is back.
    watched, away, back = split_at_minutes(messages, 5, 12)
    prefix = settings.redis_prefix
    reader = Reader(match_id)

    async def latest() -> dict[str, int]:
        return await latest_seqs(redis_conn, prefix, match_id, KINDS)

    async with connect(stream_url(gateway, match_id, KINDS), max_size=None) as ws:
        await reader.one(ws)  # the snapshot, empty: nothing of this match exists yet
        assert reader.snapshots == [[]]
        # At 120x, as a broadcast's replay runs; the client goes away in the middle of it.
        first = asyncio.create_task(send_paced(producer, watched, speed=120))
        await reader.until(ws, lambda: reader.last("frame") >= 200, timeout_s=30)
    await asyncio.wait_for(first, timeout=60)
    await send_paced(producer, away, speed=0)
    missed = expected_counts(watched + away)["frame"]

    async def moved_on() -> bool:
        return (await latest())["frame"] >= missed

    await until("what the client missed in Redis", moved_on, timeout_s=30, worker=worker)
    since = {k: reader.last(k) for k in KINDS}  # 0 for kinds not begun: every one of those is wanted
    assert since["frame"] <= missed // 2, "the client was away for most of it"
    # The rest goes out while the client catches up: the switch-over to live is under a live flow.
    rest = asyncio.create_task(send_paced(producer, back, speed=120))
    async with connect(stream_url(gateway, match_id, KINDS, since), max_size=None) as ws:
        await asyncio.wait_for(rest, timeout=60)

        async def all_published() -> bool:
            now = await latest()
            return all(now[k] >= n for k, n in expected.items())

        await until("every output of the replay in Redis", all_published, timeout_s=60, worker=worker)
        final = await latest()
        await reader.until(ws, lambda: all(reader.last(k) >= final[k] for k in KINDS), timeout_s=60)
    assert len(reader.snapshots) == 1, "a resume sends no snapshot"
    assert reader.gaps == [], "nothing was trimmed: a gap means a lost output"
    assert {k: final[k] for k in expected} == expected  # one output per input, none twice
    assert final["player_stats"] > 0 and final["team_stats"] > 0
    # Every seq of every kind, exactly once, in order, up to the :latest key's (the seq map).
    assert {k: reader.seqs[k] for k in KINDS} == {k: list(range(1, final[k] + 1)) for k in KINDS}
    assert await latest() == final, "the worker published more after the replay's last input"


async def test_a_late_joiner_gets_the_snapshot_from_the_worker_then_follows(
    worker: WorkerProcess,
    gateway: GatewayProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
) -> None:
    kinds = ("frame", "event", "player_stats", "team_stats")
    messages = records(replay_plan(settings, match_id, minutes=6))
    before, after = split_at_minutes(messages, 3)
    prefix = settings.redis_prefix

    async def latest() -> dict[str, int]:
        return await latest_seqs(redis_conn, prefix, match_id, kinds)

    def published(wanted: dict[str, int]) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            now = await latest()
            return all(now[k] >= wanted[k] for k in ("frame", "event"))

        return check

    await send_paced(producer, before, speed=0)
    await until("the first three minutes in Redis", published(expected_counts(before)), 30, worker)
    joined_at = await latest()
    reader = Reader(match_id)
    async with connect(stream_url(gateway, match_id, kinds), max_size=None) as ws:
        await reader.one(ws)
        [snapshot] = reader.snapshots
        # The latest of each kind, once each, as the :latest keys have them (nothing came since).
        assert sorted((o["kind"], o["seq"]) for o in snapshot) == sorted(joined_at.items())
        await send_paced(producer, after, speed=0)
        await until("the next three minutes in Redis", published(expected_counts(messages)), 30, worker)
        final = await latest()
        await reader.until(ws, lambda: all(reader.last(k) >= final[k] for k in kinds), timeout_s=30)
    assert reader.gaps == []
    assert {k: reader.seqs[k] for k in kinds} == {k: list(range(joined_at[k], final[k] + 1)) for k in kinds}
    assert final["frame"] == expected_counts(messages)["frame"]
