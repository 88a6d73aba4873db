"""The gateway against the real Redis: the real app served by uvicorn on a free port, real WebSocket
and HTTP clients, and outputs written by the real RedisPublisher (as a worker writes them). Needs
only Redis (started here unless one answers at PITCHSIDE_REDIS_URL), not Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import logging
import math
import secrets
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from models.settings import Settings
from stream.contracts import Output
from stream.gateway import create_app
from stream.gateway.app import SLOW_CLIENT_CLOSE
from stream.gateway.metrics import GatewayMetrics
from stream.outputs.publisher import RedisPublisher
from stream.stack.redis import RedisServer, redis_ready
from stream.worker.app import redis_client

pytestmark = pytest.mark.integration

TOKEN = secrets.token_hex(16)
TIMEOUT_S = 20.0


@pytest.fixture(scope="session")
def redis_up(settings: Settings) -> Iterator[None]:
    if redis_ready(settings):
        yield
        return
    server = RedisServer(settings)
    server.start()
    deadline = time.monotonic() + 15
    while not redis_ready(settings):
        assert time.monotonic() < deadline, f"Redis did not start; see {server.log_dir / 'redis.log'}"
        time.sleep(0.05)
    yield
    server.process.stop()


@dataclass
class Gateway:
    http: str
    ws: str
    metrics: GatewayMetrics

    def sample(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


async def until(what: str, check: Callable[[], bool], timeout_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[Gateway]:
    metrics = GatewayMetrics()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings, metrics=metrics), log_level="warning", ws="websockets-sansio", lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await until("the gateway to start", lambda: server.started or task.done())
        assert not task.done(), "the gateway stopped at start"
        yield Gateway(f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}", metrics)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=TIMEOUT_S)
        sock.close()


@contextlib.asynccontextmanager
async def publishing(settings: Settings) -> AsyncIterator[RedisPublisher]:
    client = redis_client(settings)
    pub = RedisPublisher(client, prefix=settings.redis_prefix, stream_maxlen=settings.stream_maxlen)
    task = asyncio.create_task(pub.run())
    try:
        yield pub
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.aclose()


def output(match_id: str, kind: str, seq: int, **data: Any) -> Output:
    now = time.time_ns() // 1_000_000
    return Output(
        match_id=match_id,
        kind=kind,
        seq=seq,
        event_ts=1_531_671_000_000 + seq,
        produced_ts=now,
        ingest_ts=now,
        data=data or {"n": seq},
    )


async def publish(pub: RedisPublisher, match_id: str, kind: str, seqs: range, **data: Any) -> None:
    await pub.publish_many([output(match_id, kind, s, **data) for s in seqs])
    await asyncio.wait_for(pub.flush(), timeout=TIMEOUT_S)


async def recv(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=TIMEOUT_S))
    return message


async def outputs_until(ws: ClientConnection, last_seq: int, kind: str = "frame") -> list[dict[str, Any]]:
    """Messages received until the output ``kind`` with ``last_seq`` (included)."""
    received: list[dict[str, Any]] = []
    while True:
        message = await recv(ws)
        received.append(message)
        if message["type"] == "output" and (message["output"]["kind"], message["output"]["seq"]) == (
            kind,
            last_seq,
        ):
            return received


def seqs(messages: list[dict[str, Any]], kind: str = "frame") -> list[int]:
    return [m["output"]["seq"] for m in messages if m["type"] == "output" and m["output"]["kind"] == kind]


@pytest.fixture
def gw_settings(settings: Settings, redis_up: None) -> Settings:
    return settings.model_copy(update={"gateway_tokens": (SecretStr(TOKEN),)})


AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def test_a_late_joiner_gets_the_snapshot_then_follows(gw_settings: Settings, match_id: str) -> None:
    async with serve(gw_settings) as gw, publishing(gw_settings) as pub:
        await publish(pub, match_id, "frame", range(1, 6))
        await publish(pub, match_id, "event", range(1, 3))
        url = f"{gw.ws}/v1/matches/{match_id}/stream?kinds=frame,event"
        async with connect(url, additional_headers=AUTH) as ws:
            snapshot = await recv(ws)
            assert snapshot["type"] == "snapshot" and snapshot["match_id"] == match_id
            assert sorted((o["kind"], o["seq"]) for o in snapshot["outputs"]) == [("event", 2), ("frame", 5)]
            await publish(pub, match_id, "frame", range(6, 9))
            assert seqs(await outputs_until(ws, 8)) == [6, 7, 8]
            assert gw.sample("pitchside_gateway_clients", transport="ws") == 1
        await until(
            "the client to be let go", lambda: gw.sample("pitchside_gateway_clients", transport="ws") == 0
        )
        # Counted once each send has returned on the gateway's side: the snapshot and three outputs.
        await until(
            "4 messages counted",
            lambda: gw.sample("pitchside_gateway_messages_sent_total", transport="ws") == 4,
        )
        assert gw.sample("pitchside_gateway_fanout_latency_seconds_count", transport="ws") == 3


async def test_the_same_over_server_sent_events(
    gw_settings: Settings, match_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve(gw_settings) as gw, publishing(gw_settings) as pub, httpx.AsyncClient() as http:
        await publish(pub, match_id, "frame", range(1, 4))
        url = f"{gw.http}/v1/matches/{match_id}/events?kinds=frame&token={TOKEN}"
        async with http.stream("GET", url, timeout=TIMEOUT_S) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            events: list[tuple[str, dict[str, Any]]] = []
            name = ""
            lines = response.aiter_lines()
            while not events or events[-1][1].get("output", {}).get("seq") != 5:
                line = await asyncio.wait_for(anext(lines), timeout=TIMEOUT_S)
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((name, json.loads(line.removeprefix("data: "))))
                    if len(events) == 1:  # the snapshot is in: what follows is live
                        await publish(pub, match_id, "frame", range(4, 6))
            assert gw.sample("pitchside_gateway_clients", transport="sse") == 1
        # The client hung up mid-stream: the gateway lets go of it cleanly.
        await until(
            "the SSE client to be let go",
            lambda: gw.sample("pitchside_gateway_clients", transport="sse") == 0,
        )
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
        assert events[0][0] == "snapshot" and [o["seq"] for o in events[0][1]["outputs"]] == [3]
        assert [(n, e["output"]["seq"]) for n, e in events[1:]] == [("output", 4), ("output", 5)]


async def test_a_client_that_reconnects_with_since_gets_every_seq_exactly_once(
    gw_settings: Settings, match_id: str
) -> None:
    url = f"{{}}/v1/matches/{match_id}/stream?kinds=frame"
    async with serve(gw_settings) as gw, publishing(gw_settings) as pub:
        got: list[int] = []
        async with connect(url.format(gw.ws), additional_headers=AUTH) as ws:
            assert (await recv(ws))["type"] == "snapshot"
            await publish(pub, match_id, "frame", range(1, 21))
            got += seqs(await outputs_until(ws, 6))  # the client goes away mid-stream, at 6
        await publish(pub, match_id, "frame", range(21, 201))  # missed while away
        clients = lambda: gw.sample("pitchside_gateway_clients", transport="ws")  # noqa: E731
        sent = lambda: gw.sample("pitchside_gateway_messages_sent_total", transport="ws")  # noqa: E731
        timed = lambda: gw.sample("pitchside_gateway_fanout_latency_seconds_count", transport="ws")  # noqa: E731
        await until("the first client let go", lambda: clients() == 0)
        sent_before, timed_before = sent(), timed()
        # Outputs keep coming while it reconnects: the switch from catching up to live is in there.
        more = asyncio.create_task(publish_one_by_one(pub, match_id, range(201, 401)))
        async with connect(url.format(gw.ws) + f"&since={got[-1]}", additional_headers=AUTH) as ws:
            received = await outputs_until(ws, 400)
            await more
            await publish(pub, match_id, "frame", range(401, 403))
            received += await outputs_until(ws, 402)
        assert all(m["type"] == "output" for m in received), "no snapshot or gap on a resume"
        got += seqs(received)
        assert got == list(range(1, 403))
        await until("the resumed client's 396 sends counted", lambda: sent() - sent_before == 396)
        # 7..200 were in Redis before it came back: caught up, sent, but not timed as fan-out.
        assert timed() - timed_before <= 396 - 194


async def publish_one_by_one(pub: RedisPublisher, match_id: str, seqs_: range) -> None:
    for seq in seqs_:
        await publish(pub, match_id, "frame", range(seq, seq + 1))


async def test_a_trimmed_range_is_reported_as_a_gap(gw_settings: Settings, match_id: str) -> None:
    trimmed = gw_settings.model_copy(update={"stream_maxlen": 100})
    async with serve(trimmed) as gw, publishing(trimmed) as pub:
        await publish(pub, match_id, "frame", range(1, 1001))  # the stream keeps about the last 100
        url = f"{gw.ws}/v1/matches/{match_id}/stream?kinds=frame&since=5"
        async with connect(url, additional_headers=AUTH) as ws:
            received = await outputs_until(ws, 1000)
    gap, first = received[0], received[1]
    assert gap["type"] == "gap" and gap["kind"] == "frame" and gap["match_id"] == match_id
    assert gap["from_seq"] == 6 and 800 <= gap["to_seq"] < 1000
    assert first["type"] == "output" and first["output"]["seq"] == gap["to_seq"] + 1
    assert seqs(received) == list(range(gap["to_seq"] + 1, 1001))


async def test_a_wrong_or_missing_token_gets_401_and_no_data(gw_settings: Settings, match_id: str) -> None:
    async with serve(gw_settings) as gw, publishing(gw_settings) as pub, httpx.AsyncClient() as http:
        await publish(pub, match_id, "frame", range(1, 3))
        for path in ("/v1/matches", f"/v1/matches/{match_id}/latest", f"/v1/matches/{match_id}/events"):
            for headers in ({}, {"Authorization": "Bearer not-the-token-at-all"}, {"Authorization": TOKEN}):
                response = await http.get(gw.http + path, headers=headers, timeout=TIMEOUT_S)
                assert response.status_code == 401, (path, headers)
                assert match_id not in response.text and "seq" not in response.text
            assert (
                await http.get(f"{gw.http}{path}?token=wrong-wrong-wrong", timeout=TIMEOUT_S)
            ).status_code == 401
        for headers in ({}, {"Authorization": "Bearer wrong-wrong-wrong"}):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(f"{gw.ws}/v1/matches/{match_id}/stream", additional_headers=headers):
                    pass
            assert refused.value.response.status_code == 401
            assert match_id.encode() not in refused.value.response.body
        ok = await http.get(f"{gw.http}/v1/matches/{match_id}/frame/latest", headers=AUTH, timeout=TIMEOUT_S)
        assert ok.status_code == 200 and ok.json()["seq"] == 2
        by_query = await http.get(f"{gw.http}/v1/matches?token={TOKEN}", timeout=TIMEOUT_S)
        assert by_query.status_code == 200
        assert (await http.get(f"{gw.http}/healthz", timeout=TIMEOUT_S)).status_code == 200


async def timed_outputs_until(ws: ClientConnection, last_seq: int) -> list[tuple[int, float]]:
    """(seq, ms from the publisher's Redis write to receipt here) of each frame output until
    ``last_seq``; publisher and client share this process's clock."""
    timed: list[tuple[int, float]] = []
    while not timed or timed[-1][0] != last_seq:
        message = await recv(ws)
        received_ms = time.time() * 1000.0
        if message["type"] == "output" and message["output"]["kind"] == "frame":
            timed.append((message["output"]["seq"], received_ms - message["output"]["published_ts"]))
    return timed


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


async def test_a_slow_reader_is_dropped_while_a_fast_one_gets_everything(
    gw_settings: Settings, match_id: str
) -> None:
    bounded = gw_settings.model_copy(
        update={"gateway_client_queue_max": 256, "gateway_close_timeout_s": 30.0}
    )
    alone, last, burst = 1000, 3000, 50
    # 24 MB in all, uncompressed: more than the socket buffers between the gateway and the slow reader.
    blob = secrets.token_hex(4096)
    url = f"{{}}/v1/matches/{match_id}/stream?kinds=frame"
    dropped = ("pitchside_gateway_clients_dropped_total", {"transport": "ws", "reason": "slow"})
    async with (
        serve(bounded) as gw,
        publishing(bounded) as pub,
        connect(url.format(gw.ws), additional_headers=AUTH, max_size=None, compression=None) as fast,
    ):
        assert (await recv(fast))["type"] == "snapshot"
        # Paced by the fast reader (it has each burst before the next goes out), which the stalled
        # one cannot follow. First its baseline on this machine now, beside a second reader that
        # keeps up: the gateway then sends each output twice, as it will with the slow one there.
        fast_got: list[tuple[int, float]] = []
        async with connect(
            url.format(gw.ws), additional_headers=AUTH, max_size=None, compression=None
        ) as peer:
            assert (await recv(peer))["type"] == "snapshot"
            for start in range(1, alone + 1, burst):
                await publish(pub, match_id, "frame", range(start, start + burst), blob=blob)
                fast_got += await timed_outputs_until(fast, start + burst - 1)
                await timed_outputs_until(peer, start + burst - 1)
        baseline = [ms for _, ms in fast_got[2 * burst :]]  # after the first bursts' warm-up
        # A fixed, small receive buffer (no autotuning) so the reader's kernel does not soak up it all.
        small = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)
        small.connect(("127.0.0.1", int(gw.ws.rpartition(":")[2])))
        small.setblocking(False)
        async with connect(
            url.format(gw.ws),
            additional_headers=AUTH,
            max_size=None,
            max_queue=1,
            compression=None,
            sock=small,
        ) as slow:
            snapshot = await recv(slow)
            assert [o["seq"] for o in snapshot["outputs"]] == [alone]
            with_slow: list[float] = []  # the fast reader's latencies while the slow one is connected
            for start in range(alone + 1, last + 1, burst):
                present = gw.sample(dropped[0], **dropped[1]) == 0
                await publish(pub, match_id, "frame", range(start, start + burst), blob=blob)
                timed = await timed_outputs_until(fast, start + burst - 1)
                fast_got += timed
                if present:
                    with_slow += [ms for _, ms in timed]
            await until("the slow reader to be dropped", lambda: gw.sample(dropped[0], **dropped[1]) == 1)
            assert [seq for seq, _ in fast_got] == list(range(1, last + 1))
            # The slow reader's stall cost the fast one no more than a reader that keeps up does.
            # Bounded as a ratio to the baseline of the same run, with a floor for a busy two-core
            # machine, where a few ms of scheduling noise would make a bare ratio flaky.
            assert len(with_slow) >= 2 * burst, "the slow reader was dropped before it could weigh"
            assert p99(with_slow) <= max(3 * p99(baseline), 50.0), (p99(with_slow), p99(baseline))
            # The slow reader now reads what reached it, then the close frame with the code.
            slow_got: list[int] = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    message = await recv(slow)
                    slow_got.append(message["output"]["seq"])
            assert closed.value.rcvd is not None and closed.value.rcvd.code == SLOW_CLIENT_CLOSE
            assert (
                slow_got == list(range(alone + 1, alone + 1 + len(slow_got))) and len(slow_got) < last - alone
            )
        assert gw.sample("pitchside_gateway_clients_dropped_total", transport="ws", reason="slow") == 1


async def test_latest_as_rows_and_csv_and_the_live_matches(gw_settings: Settings, match_id: str) -> None:
    players = [
        {"id": "3009", "team": "home", "speed_ms": 6.5},
        {"id": "5468", "team": "away", "speed_ms": 2.0},
    ]
    async with serve(gw_settings) as gw, publishing(gw_settings) as pub, httpx.AsyncClient() as http:
        await publish(pub, match_id, "player_stats", range(1, 3), period=2, players=players)
        await publish(pub, match_id, "frame", range(1, 4), period=2, ball=[1.0, 2.0, 0.1])
        base = f"{gw.http}/v1/matches/{match_id}"
        rows = (await http.get(f"{base}/player_stats/latest?format=rows", headers=AUTH)).json()
        assert [
            (r["data.players.id"], r["data.players.speed_ms"], r["seq"], r["data.period"]) for r in rows
        ] == [
            ("3009", 6.5, 2, 2),
            ("5468", 2.0, 2, 2),
        ]
        response = await http.get(f"{base}/latest?format=csv", headers=AUTH)
        assert response.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(response.text)))
        assert sorted((r["kind"], r["seq"], r["data.players.id"]) for r in table) == [
            ("frame", "3", ""),
            ("player_stats", "2", "3009"),
            ("player_stats", "2", "5468"),
        ]
        assert [r["data.ball.2"] for r in table if r["kind"] == "frame"] == ["0.1"]
        latest = (await http.get(f"{base}/latest", headers=AUTH)).json()
        assert {o["kind"]: o["seq"] for o in latest["outputs"]} == {"player_stats": 2, "frame": 3}
        listed = (await http.get(f"{gw.http}/v1/matches", headers=AUTH)).json()["matches"]
        [mine] = [m for m in listed if m["match_id"] == match_id]
        assert mine["kinds"] == ["frame", "player_stats"] and mine["event_ts"] == 1_531_671_000_003


async def test_bad_parameters_get_400_naming_the_parameter(gw_settings: Settings, match_id: str) -> None:
    async with serve(gw_settings) as gw, httpx.AsyncClient() as http:
        base = f"{gw.http}/v1/matches/{match_id}"
        cases = {
            f"{base}/events?kinds=frame,bogus": "kinds",
            f"{base}/events?since=abc": "since",
            f"{base}/events?kinds=frame&since=event:3": "since",
            f"{base}/latest?format=xml": "format",
            f"{base}/bogus/latest": "kind",
            f"{gw.http}/v1/matches/bad:id/latest": "match_id",
        }
        for url, parameter in cases.items():
            response = await http.get(url, headers=AUTH, timeout=TIMEOUT_S)
            assert response.status_code == 400, url
            assert response.json()["parameter"] == parameter, url
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"{gw.ws}/v1/matches/{match_id}/stream?since=-1", additional_headers=AUTH):
                pass
        assert refused.value.response.status_code == 400
        assert json.loads(refused.value.response.body)["parameter"] == "since"


async def test_readyz_fails_when_redis_is_unreachable(gw_settings: Settings) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    away = gw_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed}/0"})
    for settings, status in ((away, 503), (gw_settings, 200)):
        app = create_app(settings)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as http:
            assert (await http.get("/readyz")).status_code == status
            assert (await http.get("/healthz")).status_code == 200
        await app.state.gateway.client.aclose()
