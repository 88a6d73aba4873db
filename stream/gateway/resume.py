"""Reading one client's outputs from the capped per-match-per-kind streams: the snapshot, or with
``since=`` a cursor placed just after what the client already has, then ``XREAD`` forward from there
while it catches up (the hub serves it once it follows live).

Catching up and following live read the same stream by entry id, so the switch-over can neither
lose nor repeat an output (no race between reading and subscribing, as there would be with pub/sub).
``seq`` is checked on the way out (:class:`~stream.gateway.streams.SeqCheck`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis

from ..outputs.publisher import latest_key, output_stream_key
from .messages import snapshot_message
from .params import Follow
from .streams import START, Outgoing, RedisStreams, SeqCheck, decode_entries

__all__ = ["StreamFollower"]

_CHUNK = 500  # entries per XREVRANGE while walking back to `since`


def _seq(fields: dict[bytes, bytes]) -> int:
    return int(fields[b"seq"])


@dataclass
class StreamFollower:
    """One client's position on each requested kind's stream. :meth:`start` gives the first
    messages and places the cursors; :meth:`read` then gives what follows them."""

    client: aioredis.Redis
    prefix: str
    follow: Follow
    cursors: dict[bytes, bytes] = field(default_factory=dict)  # stream key -> last id read
    kinds: dict[bytes, str] = field(default_factory=dict)  # stream key -> kind
    seq: SeqCheck = field(init=False)

    def __post_init__(self) -> None:
        self.seq = SeqCheck(self.follow.match_id)
        self._streams = RedisStreams(self.client)
        for kind in self.follow.kinds:
            self.kinds[self._key(kind)] = kind

    def _key(self, kind: str) -> bytes:
        return output_stream_key(self.prefix, self.follow.match_id, kind).encode()

    async def start(self) -> list[Outgoing]:
        """The snapshot of the kinds without ``since`` (if any); the cursors of the others just
        after their ``since``."""
        for kind, since in self.follow.since.items():
            self.cursors[self._key(kind)] = await self._after(kind, since)
            self.seq.last[kind] = since
        fresh = [k for k in self.follow.kinds if k not in self.follow.since]
        if not fresh:
            return []
        snapshot = await self._snapshot(fresh)
        return [Outgoing("snapshot", snapshot_message(self.follow.match_id, snapshot))]

    async def read(self, block_ms: int | None, count: int) -> tuple[list[Outgoing], bool]:
        """What follows the cursors, at most ``count`` entries per kind, in stream-id order; waits up
        to ``block_ms`` for something (``None``: not at all). Also whether a kind gave ``count``
        (more may be waiting)."""
        per_stream = await self._streams.read(self.cursors, count, block_ms)
        full = any(len(entries) >= count for _, entries in per_stream)
        messages: list[Outgoing] = []
        for entry in decode_entries(per_stream, self.kinds, self.cursors):
            self.seq.admit(entry, messages)
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
                return START
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
                self.cursors[self._key(kind)] = bytes(entry_id)
                payload = fields[b"output"]
            else:
                self.cursors[self._key(kind)] = START
                if latest is None:
                    continue
                payload = latest
            decoded = orjson.loads(payload)
            self.seq.last[kind] = int(decoded["seq"])
            found.append(((int(decoded["event_ts"]), int(decoded["seq"])), payload))
        found.sort(key=lambda f: f[0])
        return [payload for _, payload in found]
