"""The worker's Prometheus metrics: what a scrape shows after real processing through the agents."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from features.baseball import PITCH_FEATURE_NAMES
from models.settings import Settings
from stream.contracts import GenericEvent, PitchEvent, PlayerRef, ShotBody, ShotEvent
from stream.outputs.publisher import InMemoryPublisher
from stream.worker.app import WorkerParts, create_app
from stream.worker.lag import consumer_lag
from stream.worker.metrics import ConsumeSensor
from tests.factories import encode, frame, pass_event, pitch_body, xg_challenger_output
from tests.shared_data import shipped_production

Scrape = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
async def parts(tmp_path: Path) -> AsyncIterator[WorkerParts]:
    settings = Settings(
        kafka_bootstrap="127.0.0.1:1",
        worker_web_port=0,
        app_id="unit-metrics",
        registry_dir=tmp_path / "registry",  # seeded from the shipped baseline versions
        drift_min_inputs=2,
    )
    parts = create_app(settings, publisher_factory=InMemoryPublisher)
    parts.app.finalize()
    parts.app.flow_control.resume()
    yield parts


def scrape(parts: WorkerParts) -> Scrape:
    text = generate_latest(parts.metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def shot(n: int) -> ShotEvent:
    return ShotEvent(
        match_id="m1",
        event_id=f"s{n}",
        ts=1_700_000_000_000 + 500 * n,
        type="shot",
        player=PlayerRef(id="p9"),
        location=[40.0, 2.0],
        attack=1,
        shot=ShotBody(body_part="Right Foot", shot_type="Open Play"),
    )


def pitch(n: int, **changes: Any) -> PitchEvent:
    return PitchEvent(
        match_id="g1", event_id=f"p{n}", ts=1_700_000_000_000 + n, type="pitch", pitch=pitch_body(**changes)
    )


async def put(parts: WorkerParts, agent: str, records: list[Any]) -> None:
    async with parts.agents[agent].test_context() as ctx:
        for record in records:
            await ctx.put(key=record.match_id.encode(), value=encode(record))


async def test_counts_dead_letters_models_and_latency_show_up_in_a_scrape(parts: WorkerParts) -> None:
    async with parts.agents["tracking"].test_context() as agent:
        for n in range(3):
            await agent.put(key=b"m1", value=encode(frame("m1", n)))
        await agent.put(key=b"m1", value=b"not json")
    await put(parts, "events", [pass_event("m1", 0)])
    got = scrape(parts)
    assert got[("pitchside_frames_total", ())] == 3
    assert got[("pitchside_events_total", ())] == 1
    assert got[("pitchside_dead_letters_total", (("reason", "not_json"),))] == 1
    xg = str(shipped_production("xg"))
    assert got[("pitchside_model_info", (("model", "xg"), ("version", xg)))] == 1  # the shipped baseline
    assert (
        got[("pitchside_model_info", (("model", "lead"), ("version", str(shipped_production("lead")))))] == 1
    )
    assert got[("pitchside_model_load_failures_total", (("model", "xg"),))] == 0
    assert got[("pitchside_model_production_refused", (("model", "xg"), ("version", xg)))] == 0
    assert got[("pitchside_publish_queue_outputs", ())] == 0
    assert ("faust_messages_received_total", ()) in got  # Faust's own sensor, same registry
    # The in-memory publisher has no batch hook: observe a batch as the Redis publisher would.
    outputs = [o for ch in parts.publisher.channels.values() for o in ch]  # type: ignore[attr-defined]
    parts.metrics.on_batch(outputs, 0.001)
    await asyncio.sleep(0)
    after = scrape(parts)
    frames = [o for o in outputs if o.kind == "frame"]
    for histogram in ("pitchside_worker_latency_seconds", "pitchside_e2e_latency_seconds"):
        assert after[(f"{histogram}_count", (("kind", "frame"),))] == len(frames) == 3
        assert after[(f"{histogram}_bucket", (("kind", "frame"), ("le", "+Inf")))] == 3
        assert after[(f"{histogram}_count", (("kind", "event"),))] == 1


async def test_feature_and_inference_time_per_model(parts: WorkerParts) -> None:
    await put(parts, "tracking", [frame("m1", n) for n in range(4)])
    await put(parts, "events", [shot(1), pitch(1), pitch(2)])
    got = scrape(parts)
    assert got[("pitchside_feature_seconds_count", (("model", "frame"),))] == 4
    assert got[("pitchside_feature_seconds_count", (("model", "xg"),))] == 1
    assert got[("pitchside_inference_seconds_count", (("model", "xg"),))] == 1
    assert got[("pitchside_feature_seconds_count", (("model", "lead"),))] == 2
    assert got[("pitchside_inference_seconds_count", (("model", "lead"),))] == 2
    assert 0 < got[("pitchside_inference_seconds_sum", (("model", "lead"),))] < 1.0


async def test_match_age_is_exported_for_live_matches_and_not_during_a_break(parts: WorkerParts) -> None:
    # One test context per agent for the whole test: a new one would restart the offsets at 0,
    # which the input ledger rightly skips as replayed.
    async with (
        parts.agents["tracking"].test_context() as tracking,
        parts.agents["events"].test_context() as events,
    ):
        for match in ("m1", "m2"):
            await tracking.put(key=match.encode(), value=encode(frame(match, 0)))
        await parts.pump.wait_taken(2)
        got = scrape(parts)
        for match in ("m1", "m2"):
            assert 0 <= got[("pitchside_match_input_age_seconds", (("match_id", match),))] < 5
        half_end = GenericEvent(match_id="m2", event_id="h1", ts=1_700_000_100_000, type="half_end")
        await events.put(key=b"m2", value=encode(half_end))
        await tracking.put(key=b"m2", value=encode(frame("m2", 1)))  # frames in a break do not end it
        await parts.pump.wait_taken(4)
        got = scrape(parts)
        assert ("pitchside_match_input_age_seconds", (("match_id", "m1"),)) in got
        assert ("pitchside_match_input_age_seconds", (("match_id", "m2"),)) not in got
        await events.put(key=b"m2", value=encode(pass_event("m2", 5)))  # play resumed
        await parts.pump.wait_taken(5)
        assert ("pitchside_match_input_age_seconds", (("match_id", "m2"),)) in scrape(parts)
        # A match sending events only (pitches come when a runner is on base) is not timed.
        await events.put(key=b"g1", value=encode(pitch(1)))
        await parts.pump.wait_taken(6)
        assert ("pitchside_match_input_age_seconds", (("match_id", "g1"),)) not in scrape(parts)


async def test_drift_of_the_live_lead_inputs_is_exported_per_feature(parts: WorkerParts) -> None:
    # Runners all taking 19 ft leads: far outside most of the training leads.
    await put(parts, "events", [pitch(n, runner_lead_ft=19.5) for n in range(40)])
    got = scrape(parts)
    labels = (("feature", "lead_ft"), ("model", "lead"), ("version", str(shipped_production("lead"))))
    assert (
        got[
            (
                "pitchside_model_drift_window_inputs",
                (("model", "lead"), ("version", str(shipped_production("lead")))),
            )
        ]
        == 40
    )
    assert got[("pitchside_model_drift_psi", labels)] > 0.25
    psi = {k[1][0][1] for k in got if k[0] == "pitchside_model_drift_psi"}
    # Every feature of the lead model but outs, which no training row had (Savant lacks it).
    assert psi == set(PITCH_FEATURE_NAMES) - {"outs"}


def test_consume_sensor_counts_input_topics_only() -> None:
    from prometheus_client import CollectorRegistry, Counter

    counter = Counter("consumed", "", ["topic"], registry=CollectorRegistry())
    sensor = ConsumeSensor(counter, ["in.a", "in.b"])
    for topic in ("in.a", "in.a", "app-latest-frame-changelog", "in.b"):
        sensor.on_message_in(SimpleNamespace(topic=topic, partition=0), 0, None)
    assert counter.labels("in.a")._value.get() == 2
    assert counter.labels("in.b")._value.get() == 1
    assert ("app-latest-frame-changelog",) not in counter._metrics


class _FakeConsumer:
    def __init__(self, ends: dict[tuple[str, int], int], starts: dict[tuple[str, int], int]) -> None:
        self.tps = {key: TP(*key) for key in ends}
        self.ends, self.starts = ends, starts

    def assignment(self) -> set[Any]:
        return set(self.tps.values()) | {TP("x-changelog", 0)}

    async def highwaters(self, *tps: Any) -> dict[Any, int]:
        return {tp: self.ends[(tp.topic, tp.partition)] for tp in tps}

    async def earliest_offsets(self, *tps: Any) -> dict[Any, int]:
        return {tp: self.starts[(tp.topic, tp.partition)] for tp in tps}


class _Ledger:
    def __init__(self, last: dict[tuple[str, int], int]) -> None:
        self._last = last

    def last(self, topic: str, partition: int) -> int | None:
        return self._last.get((topic, partition))


async def test_lag_counts_from_the_last_processed_offset_or_the_log_start() -> None:
    consumer = _FakeConsumer({("t", 0): 100, ("t", 1): 50, ("u", 0): 7}, {("t", 1): 20, ("u", 0): 0})
    ledger = _Ledger({("t", 0): 89})
    lag = await consumer_lag(consumer, ledger, ["t", "u"])
    # 90..99 unprocessed on t[0]; nothing processed on t[1] whose log starts at 20; u[0] all.
    assert lag == {("t", 0): 10, ("t", 1): 30, ("u", 0): 7}
    assert await consumer_lag(consumer, ledger, ["v"]) == {}


def test_the_challengers_record_is_counted_with_each_sides_log_loss(parts: WorkerParts) -> None:
    batch = [xg_challenger_output(n, 0.25, 0.5, goal, (1, 2)) for n, goal in enumerate((True, False, None))]
    parts.metrics.on_batch(batch, 0.001)
    got = scrape(parts)
    assert (
        got[
            ("pitchside_challenger_scored_total", (("challenger", "2"), ("model", "xg"), ("production", "1")))
        ]
        == 3
    )
    assert got[("pitchside_challenger_outcomes_total", (("model", "xg"),))] == 2
    production = got[("pitchside_challenger_log_loss_total", (("model", "xg"), ("side", "production")))]
    challenger = got[("pitchside_challenger_log_loss_total", (("model", "xg"), ("side", "challenger")))]
    assert production == pytest.approx(-math.log(0.25) - math.log(0.75))
    assert challenger == pytest.approx(-2 * math.log(0.5))
