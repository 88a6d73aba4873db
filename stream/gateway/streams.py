"""The gateway's reads of the per-match-per-kind output streams, behind a small Protocol (the hub is
unit-tested against an in-memory fake), and what a read becomes: entries parsed once, each with
the message every client of it is sent (built once, the same bytes for all), and the per-client
``seq`` check that drops repeats and announces gaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import TimeoutError as RedisTimeoutError

from .messages import gap_message, output_message

__all__ = [
    "START",
    "EntryId",
    "Outgoing",
    "RawEntry",
    "RedisStreams",
    "SeqCheck",
    "StreamEntry",
    "StreamSource",
    "decode_entries",
    "entry_id",
]

START = b"0-0"  # before every entry: a stream created later is read from its first entry

EntryId = tuple[int, int]  # a stream entry id (ms, n), ordered as Redis orders them
RawEntry = tuple[bytes, dict[bytes, bytes]]  # (id, fields) as redis-py gives them


def entry_id(raw: bytes) -> EntryId:
    ms, _, n = raw.partition(b"-")
    return int(ms), int(n or 0)


class StreamSource(Protocol):
    """The two reads the hub makes. :class:`RedisStreams` in production; a fake in unit tests."""

    async def read(
        self, cursors: Mapping[bytes, bytes], count: int, block_ms: int | None
    ) -> list[tuple[bytes, list[RawEntry]]]:
        """Per stream, the entries after its cursor (at most ``count``), oldest first; waits up to
        ``block_ms`` for one (``None``: not at all). Streams with nothing new may be left out.
        Raises :class:`TimeoutError` when the reply came too late (reading again is safe)."""
        ...

    async def between(self, key: bytes, after: bytes, upto: bytes, count: int) -> list[RawEntry]:
        """The entries with ``after < id <= upto``, oldest first, at most ``count``."""
        ...


class RedisStreams:
    """:class:`StreamSource` on Redis: ``XREAD [BLOCK]`` and an exclusive ``XRANGE``."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def read(
        self, cursors: Mapping[bytes, bytes], count: int, block_ms: int | None
    ) -> list[tuple[bytes, list[RawEntry]]]:
        try:
            reply: Any = await self._client.xread(dict(cursors), count=count, block=block_ms)  # type: ignore[arg-type]
        except RedisTimeoutError as exc:
            raise TimeoutError(str(exc)) from exc
        if not reply:
            return []
        per_stream = reply.items() if isinstance(reply, dict) else reply  # RESP3 or RESP2
        return [(bytes(key), list(entries)) for key, entries in per_stream]

    async def between(self, key: bytes, after: bytes, upto: bytes, count: int) -> list[RawEntry]:
        reply: Any = await self._client.xrange(key, min=b"(" + after, max=upto, count=count)
        return list(reply)


class Outgoing:
    """One message as sent: its type (the SSE event name), its bytes, and the output's
    ``published_ts`` (0 for a snapshot or a gap). A live output is one object shared by every client
    of it, so its text (WebSocket) and SSE frame are made once, by the first client to send it."""

    __slots__ = ("_sse", "_text", "data", "kind", "published_ts")

    def __init__(self, kind: str, data: bytes, published_ts: int = 0) -> None:
        self.kind = kind
        self.data = data
        self.published_ts = published_ts
        self._text: str | None = None
        self._sse: bytes | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode()
        return self._text

    @property
    def sse(self) -> bytes:
        if self._sse is None:
            self._sse = b"event: " + self.kind.encode() + b"\ndata: " + self.data + b"\n\n"
        return self._sse


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One stream entry, parsed once per read however many clients it goes to."""

    key: bytes
    id: EntryId
    kind: str
    seq: int
    out: Outgoing


def decode_entries(
    per_stream: list[tuple[bytes, list[RawEntry]]], kinds: Mapping[bytes, str], cursors: dict[bytes, bytes]
) -> list[StreamEntry]:
    """The entries of one read in stream-id order across streams; moves ``cursors`` past them."""
    entries: list[StreamEntry] = []
    for key, raw_entries in per_stream:
        if not raw_entries:
            continue
        cursors[key] = bytes(raw_entries[-1][0])
        kind = kinds[key]
        for raw_id, fields in raw_entries:
            out = Outgoing("output", output_message(fields[b"output"]), int(fields[b"published_ts"]))
            entries.append(StreamEntry(key, entry_id(raw_id), kind, int(fields[b"seq"]), out))
    entries.sort(key=lambda e: e.id)
    return entries


class SeqCheck:
    """One client's last ``seq`` given per kind: an output at or below it is a repeat (a worker that
    replayed after a crash writes it again) and is dropped; one past ``last + 1`` is preceded by a
    ``gap`` message (what the stream's cap trimmed before the client read it)."""

    def __init__(self, match_id: str) -> None:
        self.match_id = match_id
        self.last: dict[str, int] = {}

    def admit(self, entry: StreamEntry, into: list[Outgoing]) -> None:
        last = self.last.get(entry.kind)
        if last is not None:
            if entry.seq <= last:
                return
            if entry.seq > last + 1:
                gap = gap_message(self.match_id, entry.kind, last + 1, entry.seq - 1)
                into.append(Outgoing("gap", gap))
        self.last[entry.kind] = entry.seq
        into.append(entry.out)
