"""The gateway's shared live reader against the real Redis, through the real app on uvicorn: many
clients of one match on one feed with a slow one dropped alone, and clients resuming with ``since=``
while outputs keep coming, handed from their own catch-up reads to the feed without losing or
repeating a ``seq``."""

from __future__ import annotations

import asyncio
import secrets
import socket
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from models.settings import Settings
from stream.gateway.app import SLOW_CLIENT_CLOSE
from stream.outputs.publisher import RedisPublisher
from tests.integration.test_gateway import (
    AUTH,
    gw_settings,
    outputs_until,
    publish,
    publishing,
    recv,
    redis_up,
    seqs,
    serve,
    until,
)

__all__ = ["gw_settings", "redis_up"]  # fixtures, shared with test_gateway

pytestmark = pytest.mark.integration


def stalled_socket(ws_url: str) -> socket.socket:
    """A socket with a fixed, small receive buffer (no autotuning): a reader that stops reading
    backs up into the gateway quickly."""
    small = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    small.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16_384)
    small.connect(("127.0.0.1", int(ws_url.rpartition(":")[2])))
    small.setblocking(False)
    return small


async def test_many_clients_share_one_feed_and_a_slow_one_is_dropped_alone(
    gw_settings: Settings, match_id: str
) -> None:
    bounded = gw_settings.model_copy(
        update={"gateway_client_queue_max": 256, "gateway_close_timeout_s": 30.0}
    )
    last, fast_clients = 3000, 6
    blob = secrets.token_hex(4096)  # 8 KB outputs: 24 MB in all, past the socket buffers
    url = f"{{}}/v1/matches/{match_id}/stream?kinds=frame"
    options: dict[str, Any] = {"additional_headers": AUTH, "max_size": None, "compression": None}
    async with serve(bounded) as gw, publishing(bounded) as pub:
        fast: list[ClientConnection] = [
            await connect(url.format(gw.ws), **options) for _ in range(fast_clients)
        ]
        slow = await connect(url.format(gw.ws), max_queue=1, sock=stalled_socket(gw.ws), **options)
        try:
            for ws in [*fast, slow]:
                assert (await recv(ws))["type"] == "snapshot"
            await until("every client on the feed", lambda: gw.sample("pitchside_gateway_feeds") == 1)
            got: list[list[dict[str, Any]]] = [[] for _ in fast]
            for start in range(1, last + 1, 50):
                await publish(pub, match_id, "frame", range(start, start + 50), blob=blob)
                batches = await asyncio.gather(*(outputs_until(ws, start + 49) for ws in fast))
                for mine, batch in zip(got, batches, strict=True):
                    mine += batch
            dropped = {"transport": "ws", "reason": "slow"}
            await until(
                "the slow reader to be dropped",
                lambda: gw.sample("pitchside_gateway_clients_dropped_total", **dropped) == 1,
            )
            assert all(seqs(mine) == list(range(1, last + 1)) for mine in got)
            slow_got: list[int] = []
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    slow_got.append((await recv(slow))["output"]["seq"])
            assert closed.value.rcvd is not None and closed.value.rcvd.code == SLOW_CLIENT_CLOSE
            assert slow_got == list(range(1, len(slow_got) + 1)) and len(slow_got) < last
            # The fast ones are still served, by the same feed.
            await publish(pub, match_id, "frame", range(last + 1, last + 3))
            assert all(
                seqs(batch) == [last + 1, last + 2]
                for batch in await asyncio.gather(*(outputs_until(ws, last + 2) for ws in fast))
            )
            assert gw.sample("pitchside_gateway_feeds") == 1
        finally:
            for ws in [*fast, slow]:
                await ws.close()
        await until(
            "the feed to stop with its last client", lambda: gw.sample("pitchside_gateway_feeds") == 0
        )
        sent = gw.sample("pitchside_gateway_messages_sent_total", transport="ws")
        assert sent >= fast_clients * (last + 3) + len(slow_got) + 1


async def publish_in_small_batches(pub: RedisPublisher, match_id: str, seqs_: range) -> None:
    """Outputs written as a busy worker writes them, a few per round trip with no pause, so that a
    client's own reads and the feed's interleave every which way."""
    for start in range(seqs_.start, seqs_.stop, 3):
        await publish(pub, match_id, "frame", range(start, min(start + 3, seqs_.stop)))


async def test_clients_resuming_while_outputs_come_get_every_seq_exactly_once(
    gw_settings: Settings, match_id: str
) -> None:
    """Each resuming client reads what it missed itself, then joins the feed that a live client
    started: whether it reaches the feed's cursor before or after the feed reads on, it gets every
    ``seq`` after its ``since`` once, in order."""
    url = f"{{}}/v1/matches/{match_id}/stream?kinds=frame,event"
    end = 600
    async with serve(gw_settings) as gw, publishing(gw_settings) as pub:
        await publish(pub, match_id, "frame", range(1, 301))
        await publish(pub, match_id, "event", range(1, 4))
        async with connect(url.format(gw.ws), additional_headers=AUTH) as live:
            assert (await recv(live))["type"] == "snapshot"
            more = asyncio.create_task(publish_in_small_batches(pub, match_id, range(301, end + 1)))
            sinces = [0, 1, 50, 150, 299, 300, *range(302, 560, 6)]

            async def resume(since: int) -> list[int]:
                query = f"&since=frame:{since},event:3"
                async with connect(url.format(gw.ws) + query, additional_headers=AUTH) as ws:
                    return seqs(await outputs_until(ws, end))

            resumed = await asyncio.gather(*(resume(s) for s in sinces))
            await more
            assert seqs(await outputs_until(live, end)) == list(range(301, end + 1))
        for since, got in zip(sinces, resumed, strict=True):
            assert got == list(range(since + 1, end + 1)), f"since={since}"
        assert gw.sample("pitchside_gateway_clients_dropped_total", transport="ws", reason="slow") == 0
