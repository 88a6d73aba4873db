"""What the worker does with each decoded record, apart from Faust and Redis.

Each match's state (:class:`~stream.match.state.MatchState`) lives in memory. The store the caller
provides holds the checkpoints: a Faust table in the worker (durable through its changelog topic,
co-partitioned with the inputs by match), a dict in unit tests. A match not in memory is loaded
from its checkpoint; :meth:`MatchProcessor.checkpoint` hands out the records of the matches that
changed since.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import msgspec
import numpy as np

from features.baseball import LEAD_GRID_FT, PITCH_FEATURE_NAMES
from features.frame import FrameFeatures, frame_features
from features.frame_batch import frame_features_batch
from features.kinematics import KinematicState
from features.shot import SHOT_FEATURE_NAMES
from models.lead import LeadModel
from models.players import PlayerReference
from models.settings import Settings
from models.xg import XgModel

from ..contracts import MatchEvent, ModelRef, Output, PitchEvent, ShotEvent, TrackingFrame
from .challenger import lead_comparison, xg_comparison
from .frame_history import FrameHistory, Snapshot
from .live import FrameInputs, MatchLive, num
from .model_serving import LeadServer, XgServer
from .pitch_context import PitchContext, live_pitch_context
from .scoreboard import GOAL_OUTCOME
from .shot_context import shot_context
from .state import MatchState, StateStore

log = logging.getLogger(__name__)

__all__ = [
    "BREAK_EVENTS",
    "LiveConfig",
    "MatchProcessor",
    "Observer",
    "ProcessingStats",
    "Received",
    "Source",
]

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


class Source(NamedTuple):
    """Where an input message came from: what the per-match offsets are kept in."""

    topic: str
    partition: int
    offset: int


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
    # Records written to the checkpoint tables (match states, partition offsets).
    checkpoint_records: int = 0
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

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveConfig:
        return cls(
            stats_interval_ms=1000.0 / settings.stats_hz,
            shot_frame_max_age_ms=settings.shot_frame_max_age_ms,
            frame_history_ms=settings.frame_history_ms,
            roster_max=settings.roster_max,
        )


class MatchProcessor:
    """Turns frames and events into outputs, keeping each match's state in memory: the latest frame,
    the output ``seq`` per kind, the live features and the input offsets taken in.

    ``store`` holds the checkpoints (see :mod:`stream.match.state`); a match this worker does not
    hold in memory is loaded from it. A message given with its :class:`Source` at or below the
    offset its match has taken in is a repeat and yields nothing.
    """

    def __init__(
        self,
        store: StateStore | None = None,
        config: LiveConfig | None = None,
        reference: PlayerReference | None = None,
        xg: XgServer | None = None,
        lead: LeadServer | None = None,
        observer: Observer | None = None,
        challengers: tuple[XgServer | None, LeadServer | None] = (None, None),
    ) -> None:
        self.store: StateStore = StateStore() if store is None else store
        self.config = config or LiveConfig()
        self.reference = reference or PlayerReference()
        self.xg = xg
        self.lead = lead
        # The versions the registry's challenger alias names, scored beside production.
        self.xg_challenger, self.lead_challenger = challengers
        self._matches: OrderedDict[str, MatchState] = OrderedDict()
        # Dropped from memory while changed since their checkpoint: the next checkpoint writes them.
        self._evicted: dict[str, MatchState] = {}
        self.stats = ProcessingStats()
        self.observer: Observer = observer or _Unobserved()

    # --- state ---------------------------------------------------------------------------------

    def state(self, match_id: str) -> MatchState:
        """The match's state: in memory, else from its checkpoint, else new."""
        state = self._matches.get(match_id)
        if state is not None:
            self._matches.move_to_end(match_id)
            return state
        state = self._evicted.pop(match_id, None)
        if state is None:
            stored = self.store.get(match_id)
            cfg = self.config
            state = (
                MatchState(match_id)
                if stored is None
                else MatchState.restore(match_id, stored, cfg.roster_max, cfg.frame_history_ms)
            )
        self._matches[match_id] = state
        while len(self._matches) > MAX_LIVE_MATCHES:
            _, old = self._matches.popitem(last=False)
            if old.dirty:
                self._evicted[old.match_id] = old
        return state

    def checkpoint(self) -> list[tuple[int | None, str, dict[str, Any]]]:
        """The records of every match changed since its last checkpoint, as ``(partition, match_id,
        record)``; they count as saved from now on (the caller writes them)."""
        records = []
        for state in (*self._matches.values(), *self._evicted.values()):
            if state.dirty:
                records.append((state.partition, state.match_id, state.record()))
                state.dirty = False
        self._evicted.clear()
        return records

    def forget(self) -> None:
        """Drop every match from memory (after a rebalance: another worker may have moved them on,
        and their checkpoints say how far). Call :meth:`checkpoint` first."""
        self._matches.clear()
        self._evicted.clear()

    def latest_frame(self, match_id: str) -> TrackingFrame | None:
        return self.state(match_id).latest

    def live(self, match_id: str) -> MatchLive | None:
        """The in-memory live state of a match, if this worker holds one."""
        state = self._matches.get(match_id)
        return None if state is None else state.live

    def _begin(self, match_id: str, source: Source | None) -> MatchState | None:
        state = self.state(match_id)
        if source is not None:
            if state.seen(source.topic, source.offset):
                self.stats.replayed += 1
                return None
            state.took(source.topic, source.partition, source.offset)
        else:
            state.dirty = True
        return state

    # --- frames and events ---------------------------------------------------------------------

    def on_frame(
        self, frame: TrackingFrame, received: Received, source: Source | None = None
    ) -> list[Output]:
        """Keep the frame as the match's latest and return its ``frame`` output, plus the
        ``player_stats`` and ``team_stats`` outputs when they are due; nothing when the frame is not
        newer than the latest one (a repeat or out of order)."""
        outputs, failed = self.on_frames([(frame, received, source)])
        if failed:
            raise failed[0][1]
        return outputs

    def on_frames(
        self, items: Sequence[tuple[TrackingFrame, Received, Source | None]]
    ) -> tuple[list[Output], list[tuple[int, Exception]]]:
        """:meth:`on_frame` for a batch: each match's frames in order, the features of one frame
        per match at a time (a wave, :func:`~features.frame_batch.frame_features_batch`). Returns
        the outputs, and the items that failed (index, error): a bug costs its frame, not the batch."""
        groups: dict[str, list[tuple[int, MatchState, TrackingFrame, Received]]] = {}
        outputs: list[Output] = []
        failed: list[tuple[int, Exception]] = []
        for index, (frame, received, source) in enumerate(items):
            try:
                state = self._admit_frame(frame, source)
            except Exception as err:
                failed.append((index, err))
                continue
            if state is not None:
                groups.setdefault(frame.match_id, []).append((index, state, frame, received))
        waves = max((len(g) for g in groups.values()), default=0)
        for step in range(waves):
            wave = [g[step] for g in groups.values() if len(g) > step]
            self._wave(wave, outputs, failed)
        return outputs, failed

    def _admit_frame(self, frame: TrackingFrame, source: Source | None) -> MatchState | None:
        state = self._begin(frame.match_id, source)
        if state is None:
            return None
        self.stats.frames += 1
        self.observer.match_input(frame.match_id, None)
        # A newer session (a replay started again) supersedes; within a session event time orders
        # frames and the frame number breaks ties. A fast replay's clock runs ahead of the wall
        # clock, so event time alone could not tell a new run from a late frame of the old one.
        order = (frame.session, frame.ts, frame.frame)
        if state.order is not None and order <= state.order:
            self.stats.stale_frames += 1
            return None
        state.latest, state.order = frame, order
        return state

    def _wave(
        self,
        wave: list[tuple[int, MatchState, TrackingFrame, Received]],
        outputs: list[Output],
        failed: list[tuple[int, Exception]],
    ) -> None:
        counts = self.stats.features
        ready, lives, inputs = [], [], []
        for item in wave:
            index, state, frame, _ = item
            try:
                live = self._live_for(state, frame)
                inputs.append(live.prepare(frame, counts))
            except Exception as err:
                failed.append((index, err))
                continue
            ready.append(item)
            lives.append(live)
        if not ready:
            return
        started = time.perf_counter()
        results: Sequence[tuple[KinematicState, FrameFeatures] | Exception]
        try:
            # A wave of one (a single match) costs less through the one-frame function.
            results = (
                [frame_features(*inputs[0])]
                if len(inputs) == 1
                else frame_features_batch(*(list(column) for column in zip(*inputs, strict=True)))
            )
        except Exception:  # a bug: find the frame it is in, one by one
            results = list(_one_by_one(inputs))
        spent = (time.perf_counter() - started) / len(ready)
        for (index, state, frame, received), live, prepared, result in zip(
            ready, lives, inputs, results, strict=True
        ):
            self.observer.timed("feature", "frame", spent)
            try:
                if isinstance(result, Exception):
                    raise result
                snapshot = live.finish(frame, prepared, result, counts)
                outputs.extend(self._frame_outputs(state, live, frame, received, snapshot, result[1]))
            except Exception as err:
                failed.append((index, err))

    def _live_for(self, state: MatchState, frame: TrackingFrame) -> MatchLive:
        """The match's live features for this frame's session (a new session starts afresh)."""
        live = state.live
        if live is None or live.session != frame.session:
            cfg = self.config
            live = state.live = MatchLive(frame.match_id, frame.session, cfg.roster_max, cfg.frame_history_ms)
        return live

    def _frame_outputs(
        self,
        state: MatchState,
        live: MatchLive,
        frame: TrackingFrame,
        received: Received,
        snapshot: Snapshot,
        features: FrameFeatures,
    ) -> list[Output]:
        ball = frame.ball
        data: dict[str, Any] = {
            "frame": frame.frame,
            "period": frame.period,
            "clock_s": frame.clock_s,
            "home_attack": frame.home_attack,
            "ball": None if ball is None else [ball.x, ball.y, ball.z],
            "objects": [
                {"id": o.id, "side": o.team, "role": o.role, "x": o.x, "y": o.y}
                for o, inside in zip(frame.objects, live.inside, strict=True)
                if inside and o.role != "ball"
            ],
            **live.frame_extra(features),
        }
        board = state.board
        board.observe_frame(frame.period, frame.clock_s)
        outputs = self._board_output(state, frame.ts, received, frame.simulated)
        outputs.append(self._output(state, "frame", frame.ts, received, data, frame.simulated))
        if live.stats_due(frame.ts, self.config.stats_interval_ms):
            for kind, payload in (
                ("player_stats", live.player_stats(snapshot, features, board)),
                ("team_stats", live.team_stats(snapshot, features, board)),
            ):
                outputs.append(self._output(state, kind, frame.ts, received, payload, frame.simulated))
        return outputs

    def _board_output(self, state: MatchState, ts: int, received: Received, simulated: bool) -> list[Output]:
        """The ``match`` output when the scoreboard changed, else nothing."""
        if not state.board.changed:
            return []
        return [self._output(state, "match", ts, received, state.board.payload(), simulated)]

    def on_event(self, event: MatchEvent, received: Received, source: Source | None = None) -> list[Output]:
        """Every event is forwarded as an ``event`` output (the live event feed); a shot adds its
        ``shot_context`` (and ``xg``), a pitch with a runner on base its ``pitch_context`` (and
        ``lead_curve``), when a production model is loaded."""
        state = self._begin(event.match_id, source)
        if state is None:
            return []
        self.stats.events += 1
        self.observer.match_input(event.match_id, event.type in BREAK_EVENTS)
        side = state.board.observe_event(event)
        data = msgspec.to_builtins(event)
        data.pop("match_id", None)
        data["side"] = side
        outputs = self._board_output(state, event.ts, received, event.simulated)
        outputs.append(self._output(state, "event", event.ts, received, data, event.simulated))
        if isinstance(event, ShotEvent):
            context, features = self._shot_context(state, event, received)
            outputs.append(context)
            if self.xg is not None and self.xg.model is not None:
                scored = self._xg(state, event, received, features, context.data["source"])
                outputs.append(scored)
                outputs.extend(self._challenge_xg(state, event, received, features, scored))
        elif isinstance(event, PitchEvent):
            started = time.perf_counter()
            pitch = live_pitch_context(event, self.reference, self.stats.features)
            self.observer.timed("feature", "lead", time.perf_counter() - started)
            if pitch is not None:
                model = self.lead.model if self.lead is not None else None
                # The players' records come with the model version: production's fill the context.
                features = (
                    pitch.features if model is None else model.with_history(pitch.features, *pitch.players)
                )
                payload = {
                    "event_id": event.event_id,
                    "runner": state.board.player(pitch.runner_id),
                    "target_base": pitch.target_base,
                    "sprint_speed_from": pitch.sprint_speed_from,
                    "pop_time_from": pitch.pop_time_from,
                    "features": _named(PITCH_FEATURE_NAMES, features),
                }
                outputs.append(
                    self._output(state, "pitch_context", event.ts, received, payload, event.simulated)
                )
                if model is not None:
                    curve = self._lead_curve(state, event, received, features, model)
                    outputs.append(curve)
                    outputs.extend(self._challenge_lead(state, event, received, pitch, curve))
        state.actions.observe(event)  # after a shot's context: what led to it came before it
        return outputs

    def _history(self, state: MatchState) -> FrameHistory | None:
        """The match's recent frames; after a restart (or a takeover) none are in memory yet, so the
        checkpoint's latest frame stands in (the join checks its age)."""
        live = state.live
        if live is not None and len(live.history):
            return live.history
        stored = state.latest
        if stored is None:
            return None
        cfg = self.config
        scratch = MatchLive(state.match_id, stored.session, cfg.roster_max, cfg.frame_history_ms)
        scratch.observe(stored, Counter())  # already counted when it first came in
        return scratch.history

    def _lead_curve(
        self, state: MatchState, event: PitchEvent, received: Received, context: Any, model: LeadModel
    ) -> Output:
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
            "runner": state.board.player(body.runner_id if body is not None else None),
            "target_base": body.target_base if body is not None else None,
            "leads_ft": LEAD_GRID_FT.tolist(),
            "probabilities": [round(float(p), 4) for p in curve],
            # P(success) if the runner goes; whether he goes is not modelled.
            "conditional_on": "steal_attempt",
            # The leads the model's training attempts covered (null if its version does not say);
            # outside it the curve is extrapolated and graphics should not show it as a forecast.
            "support_ft": None if model.support_ft is None else list(model.support_ft),
            "current_lead_ft": lead,
            # The curve read at the runner's lead now (clamped to 0..20 ft), when the feed gives it.
            "current_probability": None
            if lead is None
            else round(float(np.interp(lead, LEAD_GRID_FT, curve)), 4),
        }
        ref = ModelRef(name=model.name, version=model.version)
        return self._output(state, "lead_curve", event.ts, received, payload, event.simulated, ref)

    def _xg(
        self, state: MatchState, event: ShotEvent, received: Received, features: Any, source: str
    ) -> Output:
        """Score one shot with the version serving now; the output names it."""
        model = self.xg.model if self.xg is not None else None
        if model is None:  # checked by the caller; keeps the type checker honest
            raise RuntimeError("no xG model")
        penalty = _is_penalty(event)
        started = time.perf_counter()
        scored = model.score(features, penalty=penalty)
        self.observer.timed("inference", "xg", time.perf_counter() - started)
        if not penalty:  # the model never saw penalties (a fixed rate scores them)
            self.observer.model_input(model.name, model.version, features)
        self.stats.features[f"xg_{scored.method}"] += 1
        outcome = event.shot.outcome
        payload = {
            **_shooter(state, event),
            "outcome": outcome,
            # What the feed says of the shot; null until it says (a live feed may send it later).
            "goal": None if outcome is None else outcome == GOAL_OUTCOME,
            "xg": round(scored.probability, 4),
            "method": scored.method,
            "path": scored.path,
            "explanation": scored.top,
            "contributions": {k: round(v, 4) for k, v in scored.contributions.items()},
            "bias": round(scored.bias, 4),
            "context_source": source,
            "provider_xg": event.shot.provider_xg,
        }
        ref = ModelRef(name=model.name, version=model.version)
        return self._output(state, "xg", event.ts, received, payload, event.simulated, ref)

    def _shot_context(self, state: MatchState, event: ShotEvent, received: Received) -> tuple[Output, Any]:
        max_age = self.config.shot_frame_max_age_ms
        started = time.perf_counter()
        ctx = shot_context(event, self._history(state), max_age, self.stats.features, state.actions)
        self.observer.timed("feature", "xg", time.perf_counter() - started)
        payload = {
            **_shooter(state, event),
            "source": ctx.source,
            "frame_ts": ctx.frame_ts,
            "frame_age_ms": None if ctx.frame_ts is None else event.ts - ctx.frame_ts,
            "attack": ctx.attack,
            "features": _named(SHOT_FEATURE_NAMES, ctx.features),
        }
        simulated = event.simulated or ctx.simulated
        return self._output(state, "shot_context", event.ts, received, payload, simulated), ctx.features

    def _challenge_xg(
        self, state: MatchState, event: ShotEvent, received: Received, features: Any, scored: Output
    ) -> list[Output]:
        """The challenger's xG of the same shot, beside production's (``scored``)."""
        challenger = self.xg_challenger.model if self.xg_challenger is not None else None
        if challenger is None or scored.model is None:
            return []
        penalty, production, xg = _is_penalty(event), scored.model.version, scored.data["xg"]
        return self._challenge(
            state,
            event,
            received,
            "xg_challenger",
            challenger,
            lambda: xg_comparison(event, features, penalty, production, xg, challenger),
        )

    def _challenge_lead(
        self, state: MatchState, event: PitchEvent, received: Received, pitch: PitchContext, curve: Output
    ) -> list[Output]:
        challenger = self.lead_challenger.model if self.lead_challenger is not None else None
        if challenger is None or curve.model is None:
            return []
        production, lead = curve.model.version, curve.data["current_lead_ft"]
        probabilities = curve.data["probabilities"]

        def compare() -> dict[str, Any]:
            # The challenger's own players' records: it may ship another history than production.
            context = challenger.with_history(pitch.features, *pitch.players)
            return lead_comparison(event.event_id, context, lead, production, probabilities, challenger)

        return self._challenge(state, event, received, "lead_curve_challenger", challenger, compare)

    def _challenge(
        self,
        state: MatchState,
        event: MatchEvent,
        received: Received,
        kind: str,
        challenger: XgModel | LeadModel,
        compare: Callable[[], dict[str, Any]],
    ) -> list[Output]:
        """One comparison output; a failing challenger costs its own output, never production's."""
        try:
            data = compare()
        except Exception:
            log.exception(
                "%s challenger v%s failed on %s", challenger.name, challenger.version, event.event_id
            )
            self.stats.features["challenger_failed"] += 1
            return []
        ref = ModelRef(name=challenger.name, version=challenger.version)
        return [self._output(state, kind, event.ts, received, data, event.simulated, ref)]

    def _output(
        self,
        state: MatchState,
        kind: str,
        event_ts: int,
        received: Received,
        data: dict[str, Any],
        simulated: bool,
        model: ModelRef | None = None,
    ) -> Output:
        self.stats.outputs += 1
        return Output(
            match_id=state.match_id,
            kind=kind,
            seq=state.next_seq(kind),
            event_ts=event_ts,
            produced_ts=received.produced_ts,
            ingest_ts=received.ingest_ts,
            data=data,
            simulated=simulated,
            model=model,
        )


def _shooter(state: MatchState, event: ShotEvent) -> dict[str, Any]:
    """Who took the shot, as both of its outputs name him."""
    board = state.board
    return {
        "event_id": event.event_id,
        "player": board.player(None if event.player is None else event.player.id),
        "team": event.team,
        "side": board.side_of(event),
    }


def _is_penalty(event: ShotEvent) -> bool:
    """Penalties and shoot-out kicks get the fixed rate, never the booster."""
    return event.shot.shot_type == "Penalty" or event.period == 5


def _named(names: tuple[str, ...], values: Any) -> dict[str, float | None]:
    return {name: num(float(v), 4) for name, v in zip(names, values, strict=True)}


def _one_by_one(inputs: list[FrameInputs]) -> Iterator[tuple[KinematicState, FrameFeatures] | Exception]:
    for one in inputs:
        try:
            yield frame_features(*one)
        except Exception as err:
            yield err
