"""Reading one client's outputs from the capped per-match-per-kind streams: the snapshot, or with
``since=`` a cursor placed just after what the client already has, then ``XREAD`` forward from there.

Catching up and following live are the same read of the same stream from the last id given, so the
switch-over can neither lose nor repeat an output (no race between reading and subscribing, as there
would be with pub/sub). ``seq`` is checked on the way out: an output at or below the last one given
is dropped as a duplicate, one past ``last + 1`` is preceded by a ``gap`` message (what the stream's
cap trimmed before the client came back, or while it was catching up).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis

from ..outputs.publisher import latest_key, output_stream_key
from .messages import gap_message, output_message, snapshot_message
from .params import Follow

__all__ = ["Queued", "StreamFollower"]

_CHUNK = 500  # entries per XREVRANGE while walking back to `since`
_START = b"0-0"  # before every entry: a stream created later is read from its first entry

# A message for one client: its type (the SSE event name), the bytes sent, and the output's
# published_ts (0 for a snapshot or a gap).
Queued = tuple[str, bytes, int]


def _seq(fields: dict[bytes, bytes]) -> int:
    return int(fields[b"seq"])


def _order(entry_id: bytes) -> tuple[int, int]:
    ms, _, n = entry_id.partition(b"-")
    return int(ms), int(n or 0)


@dataclass
class StreamFollower:
    """One client's position on each requested kind's stream. :meth:`start` gives the first
    messages and places the cursors; :meth:`read` then gives what follows them."""

    client: aioredis.Redis
    prefix: str
    follow: Follow
    cursors: dict[bytes, bytes] = field(default_factory=dict)  # stream key -> last id read
    last_seq: dict[str, int] = field(default_factory=dict)  # kind -> last seq given
    _kinds: dict[bytes, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for kind in self.follow.kinds:
            self._kinds[output_stream_key(self.prefix, self.follow.match_id, kind).encode()] = kind

    def _key(self, kind: str) -> bytes:
        return output_stream_key(self.prefix, self.follow.match_id, kind).encode()

    async def start(self) -> list[Queued]:
        """The snapshot of the kinds without ``since`` (if any); the cursors of the others just
        after their ``since``."""
        for kind, since in self.follow.since.items():
            self.cursors[self._key(kind)] = await self._after(kind, since)
            self.last_seq[kind] = since
        fresh = [k for k in self.follow.kinds if k not in self.follow.since]
        if not fresh:
            return []
        snapshot = await self._snapshot(fresh)
        return [("snapshot", snapshot_message(self.follow.match_id, snapshot), 0)]

    async def read(self, block_ms: int, count: int) -> tuple[list[Queued], bool]:
        """What follows the cursors, at most ``count`` entries per kind, in stream-id order; waits up
        to ``block_ms`` for something. Also whether a kind gave ``count`` (more may be waiting)."""
        reply: Any = await self.client.xread(self.cursors, count=count, block=block_ms)  # type: ignore[arg-type]
        if not reply:
            return [], False
        per_stream = reply.items() if isinstance(reply, dict) else reply  # RESP3 or RESP2
        entries: list[tuple[bytes, str, dict[bytes, bytes]]] = []
        full = False
        for key, raw_entries in per_stream:
            if raw_entries:
                self.cursors[key] = raw_entries[-1][0]
                kind = self._kinds[key]
                entries.extend((entry_id, kind, fields) for entry_id, fields in raw_entries)
                full = full or len(raw_entries) >= count
        entries.sort(key=lambda e: _order(e[0]))
        messages: list[Queued] = []
        for _id, kind, fields in entries:
            seq, last = _seq(fields), self.last_seq.get(kind)
            if last is not None and seq <= last:
                continue  # already given (a worker that replayed after a crash writes it again)
            if last is not None and seq > last + 1:
                messages.append(("gap", gap_message(self.follow.match_id, kind, last + 1, seq - 1), 0))
            self.last_seq[kind] = seq
            messages.append(("output", output_message(fields[b"output"]), int(fields[b"published_ts"])))
        return messages, full

    async def _after(self, kind: str, since: int) -> bytes:
        """The id of the newest entry with ``seq <= since`` (reading resumes after it), or the start
        of the stream when every entry it holds is newer."""
        key = self._key(kind)
        upper: bytes | str = "+"
        while True:
            chunk: Any = await self.client.xrevrange(key, max=upper, min="-", count=_CHUNK)
            for entry_id, fields in chunk:
                if _seq(fields) <= since:
                    return bytes(entry_id)
            if len(chunk) < _CHUNK:
                return _START
            upper = b"(" + chunk[-1][0]

    async def _snapshot(self, kinds: list[str]) -> list[bytes]:
        """The newest entry of each kind's stream (the latest key where there is no stream), oldest
        event first; the cursors start at those entries."""
        pipe = self.client.pipeline(transaction=False)
        for kind in kinds:
            pipe.xrevrange(self._key(kind), max="+", min="-", count=1)
            pipe.get(latest_key(self.prefix, self.follow.match_id, kind))
        replies = await pipe.execute()
        found: list[tuple[tuple[int, int], bytes]] = []
        for i, kind in enumerate(kinds):
            newest, latest = replies[2 * i], replies[2 * i + 1]
            if newest:
                entry_id, fields = newest[0]
                self.cursors[self._key(kind)] = entry_id
                payload = fields[b"output"]
            else:
                self.cursors[self._key(kind)] = _START
                if latest is None:
                    continue
                payload = latest
            decoded = orjson.loads(payload)
            self.last_seq[kind] = int(decoded["seq"])
            found.append(((int(decoded["event_ts"]), int(decoded["seq"])), payload))
        found.sort(key=lambda f: f[0])
        return [payload for _, payload in found]
