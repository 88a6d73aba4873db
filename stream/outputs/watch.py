"""``pitchside watch``: the outputs arriving from Redis, live, in a terminal.

Events are printed as they come; frames (25 per second and match) are summarised every couple of
seconds. Latency shown is produce-to-screen: the Kafka record timestamp to receipt here, so it is
honest at any replay speed.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .feed import FeedItem, LiveFeed, SeqStatus

__all__ = ["WatchSummary", "watch"]


@dataclass
class WatchSummary:
    received: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    missing: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    simulated_frames: int = 0

    def latency_ms(self) -> dict[str, float]:
        if not self.latencies_ms:
            return {}
        arr = np.asarray(self.latencies_ms)
        return {q: round(float(np.percentile(arr, p)), 2) for q, p in (("p50", 50), ("p90", 90), ("p99", 99))}

    def as_dict(self) -> dict[str, Any]:
        return {
            "received": dict(self.received),
            "duplicates_dropped": self.duplicates,
            "missing": self.missing,
            "simulated_frames": self.simulated_frames,
            "produce_to_screen_ms": self.latency_ms(),
        }


def _clock(data: dict[str, Any], event_ts: int, first_ts: dict[str, int], match_id: str) -> str:
    start = first_ts.setdefault(match_id, event_ts)
    secs = max(0, (event_ts - start) // 1000)
    return f"P{data.get('period', '?')} +{secs // 60:02d}:{secs % 60:02d}"


def _describe_event(payload: dict[str, Any], first_ts: dict[str, int]) -> str:
    data = payload["data"]
    who = (data.get("player") or {}).get("name") or ""
    team = data.get("team") or ""
    clock = _clock(data, int(payload["event_ts"]), first_ts, str(payload["match_id"]))
    line = (
        f"[{payload['match_id']} {clock}] #{payload['seq']:<5} {data.get('type', '?'):<16} {team:<12} {who}"
    )
    if data.get("type") == "shot":
        shot = data.get("shot") or {}
        xg = shot.get("provider_xg")
        extra = f" xG(StatsBomb)={xg:.2f}" if isinstance(xg, float) else ""
        line = f"{line}  -> SHOT {shot.get('outcome', '?')}{extra}"
    return line


def _describe_live(frame: dict[str, Any], players: dict[str, Any] | None) -> str:
    """Ball carrier and pressure from the frame; the fastest player now from the latest stats."""
    parts = []
    carrier = frame["data"].get("carrier")
    if carrier:
        parts.append(f"carrier {carrier['id']} ({carrier['opponents_within_5m']} within 5 m)")
    rows = (
        [] if players is None else [p for p in players["data"]["players"] if p.get("speed_mps") is not None]
    )
    if rows:
        top = max(rows, key=lambda p: p["speed_mps"])
        who = top.get("name") or top["id"]
        parts.append(f"fastest {who} {top['speed_mps']:.1f} m/s, {top['distance_m']:.0f} m run")
    return "" if not parts else " | " + ", ".join(parts)


def describe_shot_context(payload: dict[str, Any]) -> str:
    data = payload["data"]
    f = data["features"]

    def show(name: str, unit: str = "", digits: int = 1) -> str:
        value = f.get(name)
        return "?" if value is None else f"{value:.{digits}f}{unit}"

    simulated = payload.get("simulated") and data["source"] == "tracking"
    source = "SIMULATED tracking" if simulated else str(data["source"]).replace("_", " ")
    return (
        f"    shot context ({source}): {show('distance_m', ' m')} out, "
        f"goal angle {show('angle_deg', ' deg')}, {show('defenders_in_triangle', '', 0)} defender(s) "
        f"in the way, keeper {show('keeper_to_line_m', ' m')} off the line of the shot"
    )


def describe_xg(payload: dict[str, Any]) -> str:
    data = payload["data"]
    model = payload.get("model") or {}
    versus = data.get("provider_xg")
    reference = f" (StatsBomb {versus:.2f})" if isinstance(versus, float) else ""
    why = "; ".join(data.get("explanation") or [])
    by = f"{model.get('name', '?')} v{model.get('version', '?')}"
    path = data.get("path")
    by += f" ({str(path).replace('_', '-')})" if path and path != "single" else ""
    player = data.get("player") or {}
    who = f" {player.get('name') or player.get('id')}" if player else ""
    return f"    xG{who} {data['xg']:.2f}{reference} by {by}: {why}"


def describe_lead_curve(payload: dict[str, Any]) -> str:
    data = payload["data"]
    model = payload.get("model") or {}
    points = ", ".join(
        f"{int(lead)} ft {p:.2f}"
        for lead, p in list(zip(data["leads_ft"], data["probabilities"], strict=True))[::5]
    )
    now = data.get("current_probability")
    at = "" if now is None else f"; at {data['current_lead_ft']:.1f} ft now: {now:.2f}"
    support = data.get("support_ft")
    seen = "" if not support else f" (trained on leads {support[0]:g}-{support[1]:g} ft)"
    by = f"{model.get('name', '?')} v{model.get('version', '?')}"
    return f"    steal success if he goes, by lead ({by}){seen}: {points}{at}"


def describe_pitch_context(payload: dict[str, Any]) -> str:
    data = payload["data"]
    f = data["features"]
    lead = f.get("lead_ft")
    speed = f.get("runner_sprint_speed_fps")
    runner = data.get("runner") or {}
    return (
        f"  {payload['match_id']}: runner {runner.get('name') or runner.get('id')} -> {data['target_base']}, "
        f"lead {'?' if lead is None else f'{lead:.1f} ft'}, "
        f"sprint speed {'?' if speed is None else f'{speed:.1f} ft/s'}"
    )


def describe_match(payload: dict[str, Any]) -> str:
    """The scoreboard: 'France 2-1 Croatia, period 2, 61:04'."""
    data = payload["data"]
    teams, score, clock = data["teams"], data["score"], data.get("clock_s")
    shown = "" if clock is None else f", {clock // 60}:{clock % 60:02d}"
    home, away = teams["home"]["name"] or "home", teams["away"]["name"] or "away"
    scoreline = f"{home} {score['home']}-{score['away']} {away}"
    return f"  {payload['match_id']}: {scoreline}, period {data['period']}{shown}"


async def watch(
    feed: LiveFeed,
    *,
    idle_timeout_s: float | None = None,
    show_events: Callable[[dict[str, Any]], bool] = lambda _d: True,
    out: Callable[[str], None] = print,
    summary_every_s: float = 2.0,
) -> WatchSummary:
    """Print the feed until idle for ``idle_timeout_s`` (or forever); return what was seen."""
    summary = WatchSummary()
    first_ts: dict[str, int] = {}
    last_print = time.monotonic()
    frames_since = 0
    last_frame: dict[str, Any] | None = None
    last_players: dict[str, Any] | None = None
    item: FeedItem
    async for item in feed.follow(idle_timeout_s=idle_timeout_s):
        payload = item.payload
        kind = str(payload["kind"])
        if item.status is SeqStatus.DUPLICATE:
            summary.duplicates += 1
            continue
        if item.status is SeqStatus.GAP:
            out(f"  ! gap before {payload['match_id']}:{kind} seq {payload['seq']}")
        summary.received[kind] += 1
        if not item.from_snapshot and payload.get("produced_ts"):
            summary.latencies_ms.append(item.received_ms - float(payload["produced_ts"]))
        if kind == "frame":
            frames_since += 1
            summary.simulated_frames += bool(payload.get("simulated"))
            last_frame = payload
        elif kind == "player_stats":
            last_players = payload
        elif kind == "team_stats":
            continue  # shown through the frames' carrier and shape; here only counted
        elif kind == "shot_context":
            out(describe_shot_context(payload))
        elif kind == "xg":
            out(describe_xg(payload))
        elif kind == "pitch_context":
            out(describe_pitch_context(payload))
        elif kind == "lead_curve":
            out(describe_lead_curve(payload))
        elif kind == "match":
            out(describe_match(payload))
        elif show_events(payload["data"]):
            out(_describe_event(payload, first_ts))
        now = time.monotonic()
        if now - last_print >= summary_every_s and last_frame is not None:
            ball = last_frame["data"].get("ball") or [float("nan"), float("nan")]
            label = " SIMULATED tracking" if last_frame.get("simulated") else ""
            lat = summary.latency_ms()
            rate = frames_since / (now - last_print)
            p50, p99 = lat.get("p50", float("nan")), lat.get("p99", float("nan"))
            out(
                f"  ~ frames {rate:6.1f}/s{label}: match {last_frame['match_id']} "
                f"frame {last_frame['data']['frame']} ball ({ball[0]:6.1f}, {ball[1]:6.1f}) m"
                f"{_describe_live(last_frame, last_players)} | "
                f"produce->screen p50 {p50:.1f} ms p99 {p99:.1f} ms"
            )
            frames_since = 0
            last_print = now
    summary.duplicates = max(summary.duplicates, feed.tracker.duplicates)
    summary.missing = feed.tracker.missing
    return summary
