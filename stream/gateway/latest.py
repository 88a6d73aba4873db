"""The live matches and their latest state, read from the keys the workers keep."""

from __future__ import annotations

import time
from typing import Any

import orjson
import redis.asyncio as aioredis

from ..outputs.publisher import latest_key, live_event_ts_key, live_index_key

__all__ = ["latest_outputs", "live_matches"]


async def live_matches(client: aioredis.Redis, prefix: str, idle_s: float) -> list[dict[str, Any]]:
    """Matches with an output written within ``idle_s`` seconds: their kinds, the last ``event_ts``
    and ``published_ts`` (epoch ms). Two reads of the index the workers keep, never a SCAN."""
    since_ms = time.time_ns() // 1_000_000 - int(idle_s * 1000)
    members: Any = await client.zrangebyscore(live_index_key(prefix), since_ms, "+inf", withscores=True)
    if not members:
        return []
    event_ts: Any = await client.hmget(live_event_ts_key(prefix), [m for m, _ in members])
    matches: dict[str, dict[str, Any]] = {}
    for (member, published), ts in zip(members, event_ts, strict=True):
        match_id, _, kind = member.decode().rpartition(":")
        match = matches.setdefault(match_id, {"match_id": match_id, "kinds": [], "event_ts": 0})
        match["kinds"].append(kind)
        match["event_ts"] = max(match["event_ts"], int(ts or 0))
        match["published_ts"] = max(match.get("published_ts", 0), int(published))
    for match in matches.values():
        match["kinds"].sort()
    return [matches[m] for m in sorted(matches)]


async def latest_outputs(
    client: aioredis.Redis, prefix: str, match_id: str, kinds: tuple[str, ...]
) -> list[Any]:
    """The latest output of each kind that has one, decoded, oldest event first."""
    values = await client.mget([latest_key(prefix, match_id, kind) for kind in kinds])
    outputs = [orjson.loads(v) for v in values if v is not None]
    return sorted(outputs, key=lambda o: (o.get("event_ts", 0), o.get("seq", 0)))
