"""The fan-out benchmark's receivers, each run in a process of its own: many WebSocket clients of
the gateway on one event loop, and a plain Redis ``PSUBSCRIBE`` client (the baseline).

The WebSocket client is a bare asyncio protocol (the handshake, unmasked server frames, pongs): a
general-purpose client library costs several times the CPU per message, and with thousands of
clients on the benchmark's second core the receivers, not the gateway, would set the figures. A
message is stamped on arrival (one clock read per socket read) before it is parsed.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import os
import struct
import time
from array import array
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import msgspec
import redis.asyncio as aioredis

__all__ = ["ClientPlan", "ClientReport", "run_baseline", "run_clients"]


class _Data(msgspec.Struct):
    bench_ns: int = 0


class _Output(msgspec.Struct):
    kind: str
    seq: int
    data: _Data
    published_ts: int = 0


class _Message(msgspec.Struct):
    type: str
    output: _Output | None = None


_decode_message = msgspec.json.Decoder(_Message).decode
_decode_output = msgspec.json.Decoder(_Output).decode


@dataclass(frozen=True)
class ClientPlan:
    """What one receiver process does: its clients' matches, the gateway, and when to give up."""

    host: str
    port: int
    matches: list[str]  # one per client
    expected: dict[str, int]  # outputs each client of a match should get
    connect_at_once: int = 50
    deadline_s: float = 300.0


@dataclass
class ClientReport:
    """What a receiver process saw; latencies in ms (perf stamp, and from ``published_ts``)."""

    latency_ms: array[float] = field(default_factory=lambda: array("d"))
    published_ms: array[float] = field(default_factory=lambda: array("d"))
    received: list[int] = field(default_factory=list)  # outputs per client
    repeats: int = 0
    gaps: int = 0
    closed_early: int = 0  # clients whose connection ended before they had everything
    close_codes: dict[int, int] = field(default_factory=dict)
    cpu_s: float = 0.0
    first_ns: int = 0
    last_ns: int = 0


class _Client(asyncio.Protocol):
    def __init__(
        self, path: str, host: str, report: ClientReport, expected: int, done: asyncio.Event
    ) -> None:
        self._path, self._host = path, host
        self._report, self.expected, self._done = report, expected, done
        self._buf = bytearray()
        self._wall_ms = 0.0
        self._upgraded = False
        self._last: dict[str, int] = {}
        self.count = 0
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - a TCP connection
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self._path} HTTP/1.1\r\nHost: {self._host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        now, self._wall_ms = time.perf_counter_ns(), time.time() * 1000.0
        self._buf += data
        if not self._upgraded:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self._buf.startswith(b"HTTP/1.1 101"):
                self.connected.set_exception(ConnectionError(bytes(self._buf[:end]).decode()))
                return
            del self._buf[: end + 4]
            self._upgraded = True
        self._frames(now)

    def _frames(self, now: int) -> None:
        buf = self._buf
        while len(buf) >= 2:
            opcode, length, start = buf[0] & 0x0F, buf[1] & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, start = struct.unpack_from("!H", buf, 2)[0], 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, start = struct.unpack_from("!Q", buf, 2)[0], 10
            if len(buf) < start + length:
                return
            payload = bytes(buf[start : start + length])
            del buf[: start + length]
            self._frame(opcode, payload, now)

    def _frame(self, opcode: int, payload: bytes, now: int) -> None:
        if opcode == 0x1:
            self._message(payload, now)
        elif opcode == 0x9:
            self._send(0xA, payload)  # pong: the gateway pings every 20 s
        elif opcode == 0x8:
            code = struct.unpack_from("!H", payload)[0] if len(payload) >= 2 else 1005
            self._report.close_codes[code] = self._report.close_codes.get(code, 0) + 1
            self._send(0x8, payload[:2])
            if self.transport is not None:
                self.transport.close()

    def _message(self, payload: bytes, now: int) -> None:
        message = _decode_message(payload)
        if message.type == "snapshot":
            if not self.connected.done():
                self.connected.set_result(None)
            return
        if message.type == "gap" or message.output is None:
            self._report.gaps += 1
            return
        out = message.output
        last = self._last.get(out.kind)
        if last is not None and out.seq <= last:
            self._report.repeats += 1
            return
        if last is not None and out.seq > last + 1:
            self._report.gaps += 1
        self._last[out.kind] = out.seq
        report = self._report
        report.latency_ms.append((now - out.data.bench_ns) / 1e6)
        report.published_ms.append(self._wall_ms - out.published_ts)
        report.first_ns = report.first_ns or now
        report.last_ns = max(report.last_ns, now)
        self.count += 1
        if self.count == self.expected:
            self._done.set()

    def _send(self, opcode: int, payload: bytes) -> None:
        """A masked client frame (control frames only: at most 125 bytes)."""
        if self.transport is None or self.transport.is_closing():
            return
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.connected.done():
            self.connected.set_exception(exc or ConnectionError("closed during the handshake"))
        self._done.set()


async def _clients(plan: ClientPlan, pipe: Connection) -> ClientReport:
    report = ClientReport()
    loop = asyncio.get_running_loop()
    clients: list[tuple[_Client, asyncio.Event]] = []
    gate = asyncio.Semaphore(plan.connect_at_once)

    async def open_one(match_id: str) -> None:
        done = asyncio.Event()
        path = f"/v1/matches/{match_id}/stream"
        async with gate:
            _, client = await loop.create_connection(
                lambda: _Client(path, plan.host, report, plan.expected[match_id], done), plan.host, plan.port
            )
            await asyncio.wait_for(client.connected, 30.0)  # the snapshot is in: it follows live
        clients.append((client, done))

    await asyncio.gather(*(open_one(m) for m in plan.matches))
    pipe.send("connected")
    started = time.process_time()
    waits = [asyncio.create_task(done.wait()) for _, done in clients]
    await asyncio.wait(waits, timeout=plan.deadline_s)
    report.cpu_s = time.process_time() - started
    for task in waits:
        task.cancel()
    for client, _ in clients:
        report.received.append(client.count)
        if client.transport is not None:
            if client.transport.is_closing() and client.count < client.expected:
                report.closed_early += 1
            client.transport.close()
    return report


def run_clients(plan: ClientPlan, pipe: Connection) -> None:
    """A receiver process: connect every client, say so on ``pipe``, receive until each has its
    match's outputs (or the deadline), then send the :class:`ClientReport` back. GC stays on."""
    gc.enable()
    pipe.send(asyncio.run(_clients(plan, pipe)))


async def _baseline(
    redis_url: str, pattern: str, total: int, deadline_s: float, pipe: Connection
) -> ClientReport:
    report = ClientReport()
    client = aioredis.Redis.from_url(redis_url)
    pubsub = client.pubsub()
    await pubsub.psubscribe(pattern)
    pipe.send("connected")
    received = 0
    deadline = time.monotonic() + deadline_s
    while received < total and time.monotonic() < deadline:
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
        if message is None:
            continue
        now = time.perf_counter_ns()
        out = _decode_output(message["data"])
        report.latency_ms.append((now - out.data.bench_ns) / 1e6)
        report.published_ms.append(time.time() * 1000.0 - out.published_ts)
        received += 1
    report.received.append(received)
    await pubsub.aclose()
    await client.aclose()
    return report


def run_baseline(redis_url: str, pattern: str, total: int, deadline_s: float, pipe: Connection) -> None:
    """The baseline process: one plain Redis ``PSUBSCRIBE`` client of every match's channels."""
    pipe.send(asyncio.run(_baseline(redis_url, pattern, total, deadline_s, pipe)))
