"""The SRE view against a real Prometheus: it scrapes a real worker processing real traffic through
Kafka and a real gateway serving it to a WebSocket client, every expression of the dashboard and the
alert rules returns data, and alerts fire when their condition is induced (bad messages, a drifted
feature, a version that cannot load, consumption stopped by Redis back-pressure, the gateway gone,
the worker gone).

The rules are the shipped ones with ``for:`` set to 0 s (the test cannot wait minutes); Prometheus
scrapes and evaluates every second. The tests run in file order on one worker: each induces one
condition on top of what the earlier ones left.
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import pytest
import redis
from websockets.asyncio.client import connect

from models.registry import open_registry
from models.settings import Settings
from stream.contracts import GenericEvent, PitchEvent, ShotEvent
from stream.sources.pitches import savant_pitches
from stream.sources.producer import RecordProducer
from stream.stack import Stack
from tests.factories import frame, live_shot
from tests.ops_files import alert_rules, dashboard_exprs, probe_expr
from tests.shared_data import shipped_production

from .conftest import WorkerProcess, isolated_names, production_copy, settings_env, wait_for_output
from .gateway_process import GatewayProcess
from .prometheus import PrometheusServer, free_port

T = TypeVar("T")
FRAMES = 60
SHOTS = 3
BREAKS = 1  # a half_end event
PITCHES = 120
GATEWAY_FRAMES = 20  # of a match of its own, followed through the gateway
SAVANT = "savant/stolen_base_opportunities_2022-2024.csv"


class Observed:
    def __init__(
        self,
        settings: Settings,
        env: dict[str, str],
        worker: WorkerProcess,
        gateway: GatewayProcess,
        prom: PrometheusServer,
        workdir: Path,
    ) -> None:
        self.settings = settings
        self.workdir = workdir
        self.env = env
        self.worker = worker
        self.gateway = gateway
        self.prom = prom
        self.match_id = f"prom-{uuid.uuid4().hex[:8]}"
        self.silent_match = f"silent-{uuid.uuid4().hex[:8]}"  # one frame, then nothing
        self.break_match = f"break-{uuid.uuid4().hex[:8]}"  # one frame, then half time

    def wait_for(self, what: str, check: Callable[[], T | None], timeout_s: float = 60.0) -> T:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = check()
            if got:
                return got
            time.sleep(0.5)
        raise AssertionError(
            f"{what}: not within {timeout_s:.0f}s\nworker log:\n{self.worker.tail()}\n"
            f"gateway log:\n{self.gateway.tail(10)}\nprometheus log:\n{self.prom.tail(10)}"
        )

    def send(self, records: Sequence[Any], raw: Sequence[tuple[str, bytes]] = ()) -> None:
        async def run() -> None:
            async with RecordProducer(self.settings) as producer:
                for record in records:
                    await producer.send(record)
                for topic, value in raw:
                    await producer.send_raw(topic, self.match_id.encode(), value)
                await producer.flush()

        asyncio.run(run())


def with_outcome(shot: ShotEvent, outcome: str) -> ShotEvent:
    return msgspec.structs.replace(shot, shot=msgspec.structs.replace(shot.shot, outcome=outcome))


def real_pitches(settings: Settings, workdir: Path, limit: int, **changes: Any) -> list[PitchEvent]:
    """Real Savant pitches drawn like the lead model's training rows (2022, a training season;
    steal attempts with a lead; a seeded sample, since the file is grouped by catcher), as pitch
    events; ``changes`` alter every pitch's body."""
    with (settings.data_dir / SAVANT).open(newline="") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        rows = [
            r
            for r in reader
            if r["date"].startswith("2022") and r["result"] in ("SB", "CS") and r["at_pitchers_first_move"]
        ]
    sample = random.Random(7).sample(rows, limit)
    path = workdir / f"pitches-{uuid.uuid4().hex[:6]}.csv"
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(sample)
    now = time.time_ns() // 1_000_000
    pitches = savant_pitches(path, start_ms=now, gap_ms=1, prefix=path.stem)
    return [
        msgspec.structs.replace(p, pitch=msgspec.structs.replace(p.pitch, **changes)) if p.pitch else p
        for p in pitches
    ]


@pytest.fixture(scope="module")
def observed(
    stack: Stack, overrides: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Observed]:
    work = tmp_path_factory.mktemp("prometheus")
    metrics_port = free_port()
    worker_overrides = {
        **overrides,
        **isolated_names("itp"),
        "registry_dir": str(work / "registry"),  # seeded from the shipped versions; this test adds some
        "metrics_port": str(metrics_port),
        "lag_interval_s": "3",  # a broker round trip through the consumer thread takes ~2 s
        "model_poll_s": "0.5",
        "drift_window": "100",
        "drift_min_inputs": "30",
        "drift_report_s": "1",
        # A small queue: with Redis paused, the agents stop after 50 outputs (back-pressure).
        "publish_queue_max": "50",
    }
    settings = Settings(**worker_overrides)  # type: ignore[arg-type]
    # A challenger beside production (the same booster), for the comparison panels.
    registry = open_registry(settings)
    registry.challenge("xg", production_copy(registry)[1], "comparison panels under test")
    worker = WorkerProcess(worker_overrides, work / "worker.log")
    gateway: GatewayProcess | None = None
    prom: PrometheusServer | None = None
    try:
        wait_for_output(settings, worker)
        # The gateway reads what this worker writes (the same Redis and prefix); Prometheus scrapes
        # its /metrics as job pitchside-gateway, as deploy/prometheus/prometheus.yml does.
        gateway = GatewayProcess(worker_overrides, work / "gateway.log")
        prom = PrometheusServer(
            work / "prom", [f"127.0.0.1:{metrics_port}"], gateway_targets=[gateway.target]
        )
        obs = Observed(settings, settings_env(worker_overrides), worker, gateway, prom, work)
        # Ordinary traffic: a match's frames and shots, and real Savant pitches (the lead model's
        # own kind of data), enough to fill the drift window.
        obs.send(
            [frame(obs.match_id, n, ts=time.time_ns() // 1_000_000) for n in range(FRAMES)]
            + [
                with_outcome(live_shot(obs.match_id, n), "Goal" if n % 3 == 0 else "Saved")
                for n in range(SHOTS)
            ]
            + [frame(m, 0, ts=time.time_ns() // 1_000_000) for m in (obs.silent_match, obs.break_match)]
            + [
                GenericEvent(
                    match_id=obs.break_match, event_id="h1", ts=time.time_ns() // 1_000_000, type="half_end"
                )
            ]
            + real_pitches(settings, work, PITCHES)
        )
        yield obs
    finally:
        redis.Redis.from_url(settings.redis_url).execute_command("CLIENT", "UNPAUSE")
        if prom is not None:
            prom.stop()
        if gateway is not None:
            gateway.stop()
        worker.stop()


def test_prometheus_scrapes_a_worker_processing_real_traffic(observed: Observed) -> None:
    prom, s = observed.prom, observed.settings
    observed.wait_for(
        "events counted", lambda: prom.value("pitchside_events_total") == SHOTS + PITCHES + BREAKS
    )
    assert prom.value('up{job="pitchside-worker"}') == 1
    consumed = {
        r["metric"]["topic"]: float(r["value"][1]) for r in prom.query("pitchside_messages_consumed_total")
    }
    assert consumed[s.topic_events] == SHOTS + PITCHES + BREAKS
    assert consumed[s.topic_tracking] >= FRAMES  # plus the readiness probe's frames
    # Observed once the outputs reached Redis, a moment after the events were counted.
    observed.wait_for(
        "xG outputs timed", lambda: prom.value('pitchside_e2e_latency_seconds_count{kind="xg"}') == SHOTS, 30
    )
    assert prom.value('pitchside_inference_seconds_count{model="lead"}') == PITCHES
    assert prom.value(f'pitchside_model_info{{model="xg",version="{shipped_production("xg")}"}}') == 1
    # Lag is measured every few seconds (a broker round trip): wait for a reading, then all processed.
    observed.wait_for("lag 0", lambda: prom.value("sum(pitchside_consumer_lag_messages)") == 0, 30)
    assert prom.value(f'pitchside_match_input_age_seconds{{match_id="{observed.match_id}"}}') is not None
    assert prom.value("faust_messages_received_total") is not None  # Faust's own sensor


def test_prometheus_scrapes_a_gateway_serving_a_client(observed: Observed) -> None:
    prom, gateway = observed.prom, observed.gateway
    match_id = f"gw-{uuid.uuid4().hex[:8]}"

    async def follow() -> list[int]:
        """A WebSocket client of the gateway, following the frames the worker makes of ours."""
        seqs: list[int] = []
        async with connect(f"{gateway.ws}/v1/matches/{match_id}/stream?kinds=frame") as ws:
            assert json.loads(await asyncio.wait_for(ws.recv(), timeout=20))["type"] == "snapshot"
            async with RecordProducer(observed.settings) as producer:
                for n in range(GATEWAY_FRAMES):
                    await producer.send(frame(match_id, n, ts=time.time_ns() // 1_000_000))
                await producer.flush()
            while len(seqs) < GATEWAY_FRAMES:
                message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                if message["type"] == "output":
                    seqs.append(message["output"]["seq"])
        return seqs

    assert asyncio.run(follow()) == list(range(1, GATEWAY_FRAMES + 1))
    # Scraped every few seconds: the first scrape of the gateway may still be to come.
    observed.wait_for("the gateway scraped", lambda: prom.value('up{job="pitchside-gateway"}') == 1, 30)
    # The snapshot and every frame, counted once each send returned, then scraped.
    observed.wait_for(
        "the gateway's sends scraped",
        lambda: prom.value('pitchside_gateway_messages_sent_total{transport="ws"}') == GATEWAY_FRAMES + 1,
        30,
    )
    assert prom.value('pitchside_gateway_fanout_latency_seconds_count{transport="ws"}') == GATEWAY_FRAMES
    observed.wait_for(
        "the client let go", lambda: prom.value('pitchside_gateway_clients{transport="ws"}') == 0, 30
    )


def test_dead_letters_raise_the_dead_letter_alert(observed: Observed) -> None:
    prom = observed.prom
    assert prom.alerts("PitchsideDeadLetterRate") == []
    bad = [(observed.settings.topic_tracking, b"not json"), (observed.settings.topic_events, b'{"a":1}')] * 5
    observed.send([], raw=bad)
    observed.wait_for("dead-letter alert", lambda: prom.alerts("PitchsideDeadLetterRate"))
    by_reason = {
        r["metric"]["reason"]: float(r["value"][1]) for r in prom.query("pitchside_dead_letters_total")
    }
    assert by_reason["not_json"] == 5 and by_reason["invalid"] == 5  # the two kinds of bad message


def test_a_drifted_feature_raises_the_drift_alert_and_models_drift_shows_it(observed: Observed) -> None:
    prom = observed.prom
    observed.wait_for(
        "drift window filled", lambda: prom.value('pitchside_model_drift_window_inputs{model="lead"}') == 100
    )
    lead_ft = 'pitchside_model_drift_psi{model="lead",feature="lead_ft"}'
    calm = observed.wait_for("lead_ft PSI exported", lambda: prom.query(lead_ft))
    assert float(calm[0]["value"][1]) < 0.25, "real Savant leads already look drifted"
    assert not [a for a in prom.alerts("PitchsideModelDrift") if a.get("feature") == "lead_ft"]
    # Every runner now takes a 19.5 ft lead (training leads are mostly 8-14 ft).
    observed.send(real_pitches(observed.settings, observed.workdir, 100, runner_lead_ft=19.5))
    fired = observed.wait_for(
        "drift alert on lead_ft",
        lambda: [a for a in prom.alerts("PitchsideModelDrift") if a.get("feature") == "lead_ft"],
    )
    assert fired[0]["model"] == "lead"

    # The same picture from the command line, over the windows the worker wrote to Redis.
    def shifted() -> float | None:
        out = subprocess.run(
            [sys.executable, "-m", "stream", "models", "drift", "--json"],
            env=observed.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        lead = [m for m in json.loads(out) if m["model"] == "lead"]
        return lead[0]["psi"]["lead_ft"] if lead and lead[0]["psi"]["lead_ft"] > 0.25 else None

    assert observed.wait_for("models drift shows lead_ft shifted", shifted, timeout_s=20) > 0.25


def test_a_version_that_cannot_load_raises_the_model_load_alert(observed: Observed) -> None:
    prom = observed.prom
    assert prom.alerts("PitchsideModelLoadFailed") == []
    registry = open_registry(observed.settings)
    broken = registry.register(
        "xg",
        b"\x00 this is not an xgboost model",
        feature_names=registry.get("xg", shipped_production("xg")).feature_names,
        params={},
        metrics={},
        lineage={"note": "corrupt on purpose (test)"},
    )
    registry.approve("xg", broken.version)
    registry.promote("xg", broken.version)
    fired = observed.wait_for("model load alert", lambda: prom.alerts("PitchsideModelLoadFailed"))
    assert (fired[0]["model"], fired[0]["version"]) == ("xg", str(broken.version))
    serving = shipped_production("xg")
    assert prom.value(f'pitchside_model_info{{model="xg",version="{serving}"}}') == 1  # still serving


def test_every_dashboard_and_alert_expression_returns_data(observed: Observed) -> None:
    exprs = [(f"panel {title!r}", e) for title, e in dashboard_exprs()] + [
        (f"alert {r['alert']}", probe_expr(r["expr"])) for r in alert_rules()
    ]
    assert len(exprs) > 20

    def empty() -> list[str]:
        return [f"{where}: {e}" for where, e in exprs if not observed.prom.query(e)]

    deadline = time.monotonic() + 30
    missing = empty()
    while missing and time.monotonic() < deadline:
        time.sleep(1)
        missing = empty()
    assert not missing, "expressions with no data:\n" + "\n".join(missing)


def test_stopped_consumption_raises_the_lag_alert(observed: Observed) -> None:
    prom, s = observed.prom, observed.settings
    assert prom.alerts("PitchsideConsumerLagGrowing") == []
    paused = redis.Redis.from_url(s.redis_url)
    # Redis stops taking writes: the publisher's queue fills, the agents wait, nothing is processed.
    paused.execute_command("CLIENT", "PAUSE", "60000", "WRITE")
    try:
        base = time.time_ns() // 1_000_000
        for burst in range(6):
            observed.send([frame(observed.match_id, 1000 + burst * 100 + n, ts=base) for n in range(100)])
            time.sleep(1)
        fired = observed.wait_for("lag alert", lambda: prom.alerts("PitchsideConsumerLagGrowing"), 30)
        assert fired[0]["topic"] == s.topic_tracking
    finally:
        paused.execute_command("CLIENT", "UNPAUSE")
    observed.wait_for("lag drained", lambda: prom.value("sum(pitchside_consumer_lag_messages)") == 0)
    # The frames held up by the pause reached Redis seconds late: far over the 100 ms budget.
    # (Other kinds may be over budget first, from earlier tests' traffic: wait for the frames'.)
    late = observed.wait_for(
        "frame latency alert",
        lambda: [a for a in prom.alerts("PitchsideLatencyOverBudget") if a["kind"] == "frame"],
        30,
    )
    assert late[0]["kind"] == "frame"


def test_a_silent_match_raises_the_silence_alert_but_a_match_at_half_time_does_not(
    observed: Observed,
) -> None:
    prom = observed.prom
    # The rule waits for 120 s without input; the earlier tests took part of that already.
    fired = observed.wait_for(
        "match silent alert",
        lambda: [a for a in prom.alerts("PitchsideMatchSilent") if a["match_id"] == observed.silent_match],
        timeout_s=150,
    )
    assert fired
    assert not [a for a in prom.alerts("PitchsideMatchSilent") if a["match_id"] == observed.break_match]
    assert prom.value(f'pitchside_match_input_age_seconds{{match_id="{observed.break_match}"}}') is None


def test_a_stopped_gateway_raises_the_gateway_down_alert(observed: Observed) -> None:
    assert observed.prom.alerts("PitchsideGatewayDown") == []
    observed.gateway.stop()
    fired = observed.wait_for("gateway down alert", lambda: observed.prom.alerts("PitchsideGatewayDown"), 30)
    assert fired[0]["instance"] == observed.gateway.target


def test_a_stopped_worker_raises_the_worker_down_alert(observed: Observed) -> None:
    assert observed.prom.alerts("PitchsideWorkerDown") == []
    observed.worker.stop()
    observed.wait_for("worker down alert", lambda: observed.prom.alerts("PitchsideWorkerDown"), 30)
    # It was the only worker of the job: nothing consumes any more.
    observed.wait_for("no workers alert", lambda: observed.prom.alerts("PitchsideNoWorkers"), 30)
