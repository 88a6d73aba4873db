"""What the worker does with each decoded record, apart from Faust and Redis.

The per-match state lives in two mappings the caller provides: Faust tables in the worker (durable
through their changelog topics, co-partitioned with the inputs by match), plain dicts in unit tests.
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import msgspec
import numpy as np

from features.baseball import LEAD_GRID_FT, PITCH_FEATURE_NAMES
from features.shot import SHOT_FEATURE_NAMES
from models.lead import LeadModel
from models.players import PlayerReference
from models.settings import Settings

from ..contracts import MatchEvent, ModelRef, Output, PitchEvent, ShotEvent, TrackingFrame, on_pitch
from .frame_history import FrameHistory
from .live import MatchLive, num
from .model_serving import LeadServer, XgServer
from .pitch_context import live_pitch_context
from .shot_context import shot_context

__all__ = ["BREAK_EVENTS", "LiveConfig", "MatchProcessor", "Observer", "ProcessingStats", "Received"]

# Matches whose live state stays in memory at once; the least recently seen is dropped first (its
# checkpoint in the table brings it back if it returns).
MAX_LIVE_MATCHES = 512
# Events after which a match is expected to go quiet for a while (half time, full time).
BREAK_EVENTS = frozenset({"half_end", "period_end", "match_end", "game_end"})


class Observer(Protocol):
    """What the worker's metrics layer wants to hear from processing (timings, model inputs, which
    match was heard from). Processing measures; the observer decides what to export."""

    def timed(self, stage: str, model: str, seconds: float) -> None:
        """``stage`` is ``feature`` or ``inference``; ``model`` is ``frame``, ``xg`` or ``lead``."""

    def model_input(self, model: str, version: int, vector: Any) -> None:
        """A feature vector just scored by ``model`` version ``version``."""

    def match_input(self, match_id: str, at_break: bool | None) -> None:
        """Input for a match arrived; ``at_break`` is None for frames (no change), else whether
        the event starts a break."""


class _Unobserved:
    def timed(self, stage: str, model: str, seconds: float) -> None:
        pass

    def model_input(self, model: str, version: int, vector: Any) -> None:
        pass

    def match_input(self, match_id: str, at_break: bool | None) -> None:
        pass


class Received(NamedTuple):
    """When a message was produced to Kafka and when the worker read it, epoch ms."""

    produced_ts: int
    ingest_ts: int


class ProcessingStats(msgspec.Struct):
    frames: int = 0
    events: int = 0
    outputs: int = 0
    # Frames that arrive repeated or behind the latest one are valid but stale: dropped, counted.
    stale_frames: int = 0
    # Messages read again after a rebalance or restart rewound the consumer: skipped, counted.
    replayed: int = 0
    # Early messages after a rebalance that made the worker seek back to unprocessed offsets.
    rewinds: int = 0
    # Offsets that jumped by more than one on a partition: messages no worker processed.
    offset_gaps: int = 0
    skipped_offsets: int = 0
    dead_letters: Counter[str] = msgspec.field(default_factory=Counter)
    # Bad or missing input the features repaired or worked around (off-pitch objects, frames with no
    # ball, shots without tracking, ...), and where each shot's context came from.
    features: Counter[str] = msgspec.field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class LiveConfig:
    """The settings of the live features (see :class:`~models.settings.Settings`)."""

    stats_interval_ms: float = 500.0
    shot_frame_max_age_ms: int = 500
    frame_history_ms: int = 3_000
    roster_max: int = 96
    checkpoint_interval_ms: float = 5_000.0

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveConfig:
        return cls(
            stats_interval_ms=1000.0 / settings.stats_hz,
            shot_frame_max_age_ms=settings.shot_frame_max_age_ms,
            frame_history_ms=settings.frame_history_ms,
            roster_max=settings.roster_max,
            checkpoint_interval_ms=settings.checkpoint_interval_s * 1000.0,
        )


class MatchProcessor:
    """Turns frames and events into outputs, keeping the latest frame and the output ``seq`` per
    match and kind, and each match's live features.

    ``latest_frames`` maps ``match_id`` to the latest :class:`TrackingFrame` as plain JSON-able data
    (what a Faust table gives back after recovering from its changelog, so live and recovered state
    look the same); ``seqs`` maps ``"{match_id}:{kind}"`` to the last ``seq`` published;
    ``checkpoints`` maps ``match_id`` to the live features' last checkpoint.
    """

    def __init__(
        self,
        latest_frames: MutableMapping[str, dict[str, Any]],
        seqs: MutableMapping[str, int],
        checkpoints: MutableMapping[str, dict[str, Any]] | None = None,
        config: LiveConfig | None = None,
        reference: PlayerReference | None = None,
        xg: XgServer | None = None,
        lead: LeadServer | None = None,
        observer: Observer | None = None,
    ) -> None:
        self._latest = latest_frames
        self._seqs = seqs
        self._checkpoints: MutableMapping[str, dict[str, Any]] = {} if checkpoints is None else checkpoints
        self.config = config or LiveConfig()
        self.reference = reference or PlayerReference()
        self.xg = xg
        self.lead = lead
        self._live: OrderedDict[str, MatchLive] = OrderedDict()
        self.stats = ProcessingStats()
        self.observer: Observer = observer or _Unobserved()

    def next_seq(self, match_id: str, kind: str) -> int:
        key = f"{match_id}:{kind}"
        seq = self._seqs.get(key, 0) + 1
        self._seqs[key] = seq
        return seq

    def latest_frame(self, match_id: str) -> TrackingFrame | None:
        stored = self._latest.get(match_id)
        return None if stored is None else msgspec.convert(stored, TrackingFrame)

    def live(self, match_id: str) -> MatchLive | None:
        """The in-memory live state of a match, if this worker holds one."""
        return self._live.get(match_id)

    def _live_for(self, frame: TrackingFrame, previous: tuple[int, int, int] | None) -> MatchLive:
        """The match's live state, trusted only if it saw the frame the table says came last (else
        another worker moved the match on meanwhile): then the checkpoint, or a fresh start."""
        cfg = self.config
        live = self._live.get(frame.match_id)
        if live is None or live.session != frame.session or live.last_order != previous:
            stored = self._checkpoints.get(frame.match_id)
            if stored is not None and stored.get("session") == frame.session:
                live = MatchLive.restore(frame.match_id, stored, cfg.roster_max, cfg.frame_history_ms)
            else:
                live = MatchLive(frame.match_id, frame.session, cfg.roster_max, cfg.frame_history_ms)
            self._live[frame.match_id] = live
            while len(self._live) > MAX_LIVE_MATCHES:
                self._live.popitem(last=False)
        self._live.move_to_end(frame.match_id)
        return live

    def on_frame(self, frame: TrackingFrame, received: Received) -> list[Output]:
        """Store the frame as the match's latest and return its ``frame`` output, plus the
        ``player_stats`` and ``team_stats`` outputs when they are due; nothing when the frame is not
        newer than the latest one (a repeat or out of order)."""
        self.stats.frames += 1
        self.observer.match_input(frame.match_id, None)
        stored = self._latest.get(frame.match_id)
        # A newer session (a replay started again) supersedes; within a session event time orders
        # frames and the frame number breaks ties. A fast replay's clock runs ahead of the wall
        # clock, so event time alone could not tell a new run from a late frame of the old one.
        order = (frame.session, frame.ts, frame.frame)
        previous = None if stored is None else (stored.get("session", 0), stored["ts"], stored["frame"])
        if previous is not None and order <= previous:
            self.stats.stale_frames += 1
            return []
        self._latest[frame.match_id] = msgspec.to_builtins(frame)
        live = self._live_for(frame, previous)
        started = time.perf_counter()
        snapshot, features = live.observe(frame, self.stats.features)
        self.observer.timed("feature", "frame", time.perf_counter() - started)
        live.last_order = order
        ball = frame.ball
        data: dict[str, Any] = {
            "frame": frame.frame,
            "period": frame.period,
            "home_attack": frame.home_attack,
            "ball": None if ball is None else [ball.x, ball.y, ball.z],
            "objects": [
                [o.id, o.team, o.role, o.x, o.y]
                for o in frame.objects
                if o.role != "ball" and on_pitch(frame.sport, o.x, o.y)
            ],
            **live.frame_extra(features),
        }
        outputs = [self._output(frame.match_id, "frame", frame.ts, received, data, frame.simulated)]
        if live.stats_due(frame.ts, self.config.stats_interval_ms):
            for kind, payload in (
                ("player_stats", live.player_stats(snapshot, features)),
                ("team_stats", live.team_stats(snapshot, features)),
            ):
                outputs.append(
                    self._output(frame.match_id, kind, frame.ts, received, payload, frame.simulated)
                )
            if live.checkpoint_due(frame.ts, self.config.checkpoint_interval_ms):
                self._checkpoints[frame.match_id] = live.checkpoint()
        return outputs

    def on_event(self, event: MatchEvent, received: Received) -> list[Output]:
        """Every event is forwarded as an ``event`` output (the live event feed); a shot adds its
        ``shot_context`` (and ``xg``), a pitch with a runner on base its ``pitch_context`` (and
        ``lead_curve``), when a production model is loaded."""
        self.stats.events += 1
        self.observer.match_input(event.match_id, event.type in BREAK_EVENTS)
        data = msgspec.to_builtins(event)
        data.pop("match_id", None)
        outputs = [self._output(event.match_id, "event", event.ts, received, data, event.simulated)]
        if isinstance(event, ShotEvent):
            context, features = self._shot_context(event, received)
            outputs.append(context)
            if self.xg is not None and self.xg.model is not None:
                outputs.append(self._xg(event, received, features, context.data["source"]))
        elif isinstance(event, PitchEvent):
            started = time.perf_counter()
            pitch = live_pitch_context(event, self.reference, self.stats.features)
            self.observer.timed("feature", "lead", time.perf_counter() - started)
            if pitch is not None:
                payload = {
                    "event_id": event.event_id,
                    "runner_id": pitch.runner_id,
                    "target_base": pitch.target_base,
                    "sprint_speed_from": pitch.sprint_speed_from,
                    "pop_time_from": pitch.pop_time_from,
                    "features": _named(PITCH_FEATURE_NAMES, pitch.features),
                }
                outputs.append(
                    self._output(
                        event.match_id, "pitch_context", event.ts, received, payload, event.simulated
                    )
                )
                if self.lead is not None and self.lead.model is not None:
                    outputs.append(self._lead_curve(event, received, pitch.features, self.lead.model))
        return outputs

    def _history(self, match_id: str) -> FrameHistory | None:
        """The match's recent frames; after a restart (or a takeover) none are in memory yet, so the
        latest frame from the ``latest-frame`` table stands in (the join checks its age)."""
        live = self._live.get(match_id)
        if live is not None and len(live.history):
            return live.history
        stored = self.latest_frame(match_id)
        if stored is None:
            return None
        cfg = self.config
        scratch = MatchLive(match_id, stored.session, cfg.roster_max, cfg.frame_history_ms)
        scratch.observe(stored, Counter())  # already counted when it first came in
        return scratch.history

    def _lead_curve(self, event: PitchEvent, received: Received, context: Any, model: LeadModel) -> Output:
        """The 21 steal probabilities of one pitch, scored as one batch."""
        started = time.perf_counter()
        curve = model.curve(context)
        self.observer.timed("inference", "lead", time.perf_counter() - started)
        body = event.pitch
        lead = body.runner_lead_ft if body is not None else None
        if lead is not None:
            # Drift compares the runner's lead with the training attempts', which all had one; the
            # curve itself never reads it (it sweeps 0..20 ft), so an unmeasured lead is no drift.
            self.observer.model_input(model.name, model.version, context)
        payload = {
            "event_id": event.event_id,
            "runner_id": body.runner_id if body is not None else None,
            "target_base": body.target_base if body is not None else None,
            "leads_ft": LEAD_GRID_FT.tolist(),
            "probabilities": [round(float(p), 4) for p in curve],
            "current_lead_ft": lead,
            # The curve read at the runner's lead now (clamped to 0..20 ft), when the feed gives it.
            "current_probability": None
            if lead is None
            else round(float(np.interp(lead, LEAD_GRID_FT, curve)), 4),
        }
        ref = ModelRef(name=model.name, version=model.version)
        return self._output(event.match_id, "lead_curve", event.ts, received, payload, event.simulated, ref)

    def _xg(self, event: ShotEvent, received: Received, features: Any, source: str) -> Output:
        """Score one shot with the version serving now; the output names it."""
        model = self.xg.model if self.xg is not None else None
        if model is None:  # checked by the caller; keeps the type checker honest
            raise RuntimeError("no xG model")
        penalty = event.shot.shot_type == "Penalty" or event.period == 5
        started = time.perf_counter()
        scored = model.score(features, penalty=penalty)
        self.observer.timed("inference", "xg", time.perf_counter() - started)
        if not penalty:  # the model never saw penalties (a fixed rate scores them)
            self.observer.model_input(model.name, model.version, features)
        self.stats.features[f"xg_{scored.method}"] += 1
        payload = {
            "event_id": event.event_id,
            "player": None if event.player is None else event.player.id,
            "team": event.team,
            "xg": round(scored.probability, 4),
            "method": scored.method,
            "explanation": scored.top,
            "contributions": {k: round(v, 4) for k, v in scored.contributions.items()},
            "bias": round(scored.bias, 4),
            "context_source": source,
            "provider_xg": event.shot.provider_xg,
        }
        ref = ModelRef(name=model.name, version=model.version)
        return self._output(event.match_id, "xg", event.ts, received, payload, event.simulated, ref)

    def _shot_context(self, event: ShotEvent, received: Received) -> tuple[Output, Any]:
        max_age = self.config.shot_frame_max_age_ms
        started = time.perf_counter()
        ctx = shot_context(event, self._history(event.match_id), max_age, self.stats.features)
        self.observer.timed("feature", "xg", time.perf_counter() - started)
        payload = {
            "event_id": event.event_id,
            "player": None if event.player is None else event.player.id,
            "team": event.team,
            "source": ctx.source,
            "frame_ts": ctx.frame_ts,
            "frame_age_ms": None if ctx.frame_ts is None else event.ts - ctx.frame_ts,
            "attack": ctx.attack,
            "features": _named(SHOT_FEATURE_NAMES, ctx.features),
        }
        simulated = event.simulated or ctx.simulated
        return self._output(
            event.match_id, "shot_context", event.ts, received, payload, simulated
        ), ctx.features

    def _output(
        self,
        match_id: str,
        kind: str,
        event_ts: int,
        received: Received,
        data: dict[str, Any],
        simulated: bool,
        model: ModelRef | None = None,
    ) -> Output:
        self.stats.outputs += 1
        return Output(
            match_id=match_id,
            kind=kind,
            seq=self.next_seq(match_id, kind),
            event_ts=event_ts,
            produced_ts=received.produced_ts,
            ingest_ts=received.ingest_ts,
            data=data,
            simulated=simulated,
            model=model,
        )


def _named(names: tuple[str, ...], values: Any) -> dict[str, float | None]:
    return {name: num(float(v), 4) for name, v in zip(names, values, strict=True)}
