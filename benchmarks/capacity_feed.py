"""The Redis side of ``benchmarks.capacity``: a pattern subscription on a raw socket that yields, for
each output published, only its channel and frame number."""

from __future__ import annotations

import asyncio
import re
from typing import NamedTuple
from urllib.parse import urlsplit


class Push(NamedTuple):
    kind: bytes  # b"pmessage", or b"psubscribe" for the subscription's confirmation
    channel: bytes
    frame: int  # the first "frame": number in the payload (-1 if none)


# A pass-through publishes the input frame ({"match_id":..,"sport":..,"frame":N,..}); pitchside an
# Output whose data starts with "frame": N. Either way the first "frame":<digits> is the frame number.
_FRAME_NO = re.compile(rb'"frame":(\d+)')


def _parse_push(buf: bytearray, pos: int) -> tuple[Push | None, int]:
    """One RESP array of bulk strings / integers at ``pos``; ``None`` while it is incomplete."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return None, pos
    p, spans = end + 2, []
    for _ in range(int(buf[pos + 1 : end])):
        end = buf.find(b"\r\n", p)
        if end < 0:
            return None, pos
        if buf[p] == ord(":"):  # the subscription count of a confirmation
            spans.append((p + 1, end))
            p = end + 2
            continue
        first = end + 2
        last = first + int(buf[p + 1 : end])
        if last + 2 > len(buf):
            return None, pos
        spans.append((first, last))
        p = last + 2
    kind = bytes(buf[spans[0][0] : spans[0][1]])
    if kind != b"pmessage":
        return Push(kind, b"", -1), p
    number = _FRAME_NO.search(buf, spans[3][0], spans[3][1])
    return Push(kind, bytes(buf[spans[2][0] : spans[2][1]]), int(number[1]) if number else -1), p


class FrameFeed:
    """``PSUBSCRIBE`` on a raw socket, parsed here: redis-py's pure-Python parser (hiredis is not
    installed) would cost this process, which shares two cores with the one measured, more than the
    worker's own publishing. Only channel and frame number are read from each payload."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._buf = bytearray()

    @classmethod
    async def open(cls, redis_url: str, pattern: str) -> FrameFeed:
        url = urlsplit(redis_url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port, limit=1 << 22)
        feed = cls(reader, writer)
        arg = pattern.encode()
        writer.write(b"*2\r\n$10\r\nPSUBSCRIBE\r\n$%d\r\n%b\r\n" % (len(arg), arg))
        # Return only once Redis confirmed: a process started after this cannot publish unseen.
        while not any(p.kind == b"psubscribe" for p in await feed.read(10.0)):
            pass
        return feed

    async def read(self, timeout_s: float) -> list[Push]:
        """The pushes that arrived by the next read (empty after ``timeout_s`` without data)."""
        try:
            async with asyncio.timeout(timeout_s):
                chunk = await self._reader.read(1 << 20)
        except TimeoutError:
            return []
        if not chunk:
            raise ConnectionError("Redis closed the subscription")
        self._buf += chunk
        pushes, pos = [], 0
        while True:
            push, pos_after = _parse_push(self._buf, pos)
            if push is None:
                break
            pushes.append(push)
            pos = pos_after
        del self._buf[:pos]
        return pushes

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()
