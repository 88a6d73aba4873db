"""The challenger's record on the live traffic (``pitchside models compare NAME --live``).

Workers keep every challenger output on the model's Redis stream (``{prefix}:challenger:{model}``,
the last :data:`~stream.outputs.publisher.COMPARISONS_KEPT`). Here they are read back and summed up
per pair of versions: how many inputs both scored, how far apart they were and, where the outcome is
known (a shot's is in its event), each one's log loss on those.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import msgspec
import redis.asyncio as aioredis

from models.xg import shot_log_loss

from ..contracts import Output
from .publisher import comparison_key

__all__ = ["read_comparisons", "summarize"]


async def read_comparisons(client: aioredis.Redis, prefix: str, model: str) -> list[Output]:
    entries = await client.xrange(comparison_key(prefix, model)) or []
    return [msgspec.json.decode(fields[b"output"], type=Output) for _id, fields in entries if fields]


def _figure(data: dict[str, Any]) -> str:
    return "xg" if "xg" in data["production"] else "current_probability"


def _log_loss(pairs: list[tuple[float, bool]]) -> float | None:
    if not pairs:
        return None
    return round(sum(shot_log_loss(p, y) for p, y in pairs) / len(pairs), 5)


def summarize(outputs: list[Output]) -> list[dict[str, Any]]:
    """One row per (production, challenger) pair of versions, oldest pair first."""
    groups: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for out in outputs:
        groups[(out.data["production"]["version"], out.data["challenger"]["version"])].append(out.data)
    rows = []
    for (production, challenger), records in groups.items():
        figure = _figure(records[0])
        both = [(r["production"][figure], r["challenger"][figure]) for r in records]
        both = [(a, b) for a, b in both if a is not None and b is not None]
        known = [r for r in records if r.get("goal") is not None and r["production"][figure] is not None]
        rows.append(
            {
                "production": production,
                "challenger": challenger,
                "scored": len(records),
                "mean_abs_difference": round(sum(abs(a - b) for a, b in both) / len(both), 5)
                if both
                else None,
                "with_outcome": len(known),
                "production_log_loss": _log_loss([(r["production"][figure], r["goal"]) for r in known]),
                "challenger_log_loss": _log_loss([(r["challenger"][figure], r["goal"]) for r in known]),
            }
        )
    return rows
