"""Prometheus metrics of one worker, recorded at the edges.

The processor, the input ledger, the publisher and the model servers already count what happens to
every message (:class:`~stream.processing.ProcessingStats`, :class:`~stream.publisher.PublishStats`,
the servers' counts); a collector turns those into Prometheus metrics when scraped, so no feature or
model code knows about Prometheus. Timings and model inputs arrive through the processor's
:class:`~stream.processing.Observer` hook, latencies through the publisher's batch hook, consumed
messages through a Faust sensor, lag from the worker's periodic end-offset probe. Names follow
Prometheus conventions: base units (seconds), ``_total`` for counters. Faust's own sensor metrics
(``faust_*``, Faust's names and units) are in the same registry.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .contracts import OUTPUT_KINDS, Output
from .decode import DEAD_LETTER_REASONS
from .drift import DriftMonitor
from .processing import MatchProcessor
from .publisher import Publisher, now_ms

__all__ = ["COMPUTE_BUCKETS_S", "LATENCY_BUCKETS_S", "ConsumeSensor", "WorkerMetrics"]

# Stats on air well under a second: fine steps up to 100 ms, coarse to 10 s (a worker behind).
LATENCY_BUCKETS_S = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Features and inference take tens to hundreds of microseconds.
COMPUTE_BUCKETS_S = (2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01, 0.025, 0.1)


class ConsumeSensor(faust.Sensor):
    """A Faust sensor counting the input messages consumed, per topic."""

    def __init__(self, counter: Counter, topics: Iterable[str]) -> None:
        super().__init__()
        self.counter = counter
        self.topics = frozenset(topics)
        for topic in self.topics:  # zero from the start: rates and ratios have a series to work on
            counter.labels(topic)

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        if tp.topic in self.topics:  # not the tables' changelogs read while recovering
            self.counter.labels(tp.topic).inc()


# Matches remembered for the silence gauge before the idle ones are forgotten without a scrape.
MAX_MATCHES_HEARD = 10_000


class _MatchClock:
    """When each match was last heard from (wall clock), and whether it is in a break."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.heard: dict[str, tuple[float, bool]] = {}

    def input(self, match_id: str, at_break: bool | None) -> None:
        previous = self.heard.get(match_id)
        paused = (previous[1] if previous else False) if at_break is None else at_break
        self.heard[match_id] = (time.time(), paused)
        if len(self.heard) > MAX_MATCHES_HEARD:  # nobody scrapes (metrics port off): forget old ones
            for _ in self.ages():
                pass

    def ages(self) -> Iterator[tuple[str, float]]:
        now = time.time()
        for match_id, (at, paused) in list(self.heard.items()):
            age = now - at
            if age > self.idle_s:  # over (or moved to another worker): forget it
                del self.heard[match_id]
            elif not paused:
                yield match_id, age


class _Counts(Collector):
    """Reads the counters the worker keeps, at scrape time."""

    def __init__(self, parts: WorkerMetrics) -> None:
        self.parts = parts

    def collect(self) -> Iterator[Metric]:
        m = self.parts
        s = m.processor.stats
        publish = m.publisher.stats
        for name, value, doc in (
            ("pitchside_frames_total", s.frames, "Tracking frames decoded"),
            ("pitchside_events_total", s.events, "Match events decoded"),
            ("pitchside_outputs_total", s.outputs, "Outputs built for Redis"),
            ("pitchside_stale_frames_total", s.stale_frames, "Frames dropped as repeated or out of order"),
            ("pitchside_input_replayed_total", s.replayed, "Input messages seen again and skipped"),
            ("pitchside_input_gap_fills_total", s.rewinds, "Gaps in input offsets read back from Kafka"),
            ("pitchside_input_skipped_offsets_total", s.skipped_offsets, "Input offsets never processed"),
            ("pitchside_redis_published_total", publish.published, "Outputs written to Redis"),
            ("pitchside_redis_errors_total", publish.errors, "Failed Redis writes"),
            ("pitchside_redis_retries_total", publish.retries, "Redis writes tried again"),
        ):
            yield CounterMetricFamily(name, doc, value=value)
        yield _labelled(
            CounterMetricFamily,
            "pitchside_dead_letters_total",
            "Messages dead-lettered",
            "reason",
            # Every known reason from 0: a series born at 10 would show no rate for its first 10.
            {**dict.fromkeys(DEAD_LETTER_REASONS, 0), **s.dead_letters},
        )
        yield _labelled(
            CounterMetricFamily,
            "pitchside_feature_events_total",
            "Inputs repaired or worked around, and context sources",
            "what",
            s.features,
        )
        yield GaugeMetricFamily(
            "pitchside_publish_queue_outputs", "Outputs queued for Redis", value=m.publisher.pending()
        )
        yield from self._models()
        lag = GaugeMetricFamily(
            "pitchside_consumer_lag_messages",
            "Input messages on the broker not yet processed, per assigned partition",
            labels=["topic", "partition"],
        )
        for (topic, partition), behind in sorted(m.lag.items()):
            lag.add_metric([topic, str(partition)], behind)
        yield lag
        yield _labelled(
            GaugeMetricFamily,
            "pitchside_match_input_age_seconds",
            "Seconds since the last input of each live match (not during breaks)",
            "match_id",
            dict(m.matches.ages()),
        )
        yield from self._drift()

    def _models(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "pitchside_model_info", "The model version serving (1)", labels=["model", "version"]
        )
        swaps = CounterMetricFamily(
            "pitchside_model_swaps_total", "Production versions swapped in", labels=["model"]
        )
        failed = CounterMetricFamily(
            "pitchside_model_load_failures_total", "Versions refused", labels=["model"]
        )
        for server in self.parts.servers:
            if server.model is not None:
                info.add_metric([server.name, str(server.model.version)], 1)
            swaps.add_metric([server.name], server.counts["swaps"])
            failed.add_metric([server.name], server.counts["load_failed"])
        yield from (info, swaps, failed)

    def _drift(self) -> Iterator[Metric]:
        psi = GaugeMetricFamily(
            "pitchside_model_drift_psi",
            "Population stability index of live inputs vs the training baseline",
            labels=["model", "version", "feature"],
        )
        for r in self.parts.drift.readings():
            psi.add_metric([r.model, str(r.version), r.feature], r.psi)
        inputs = GaugeMetricFamily(
            "pitchside_model_drift_window_inputs",
            "Live inputs in the drift window",
            labels=["model", "version"],
        )
        for window in self.parts.drift.windows.values():
            inputs.add_metric([window.model, str(window.version)], window.inputs)
        yield from (psi, inputs)


def _labelled(kind: Any, name: str, doc: str, label: str, values: Mapping[str, float]) -> Metric:
    family = kind(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family  # type: ignore[no-any-return]


class WorkerMetrics:
    """Every metric of one worker, in its own registry (tests and several apps stay apart); also
    the processor's :class:`~stream.processing.Observer`."""

    def __init__(
        self,
        processor: MatchProcessor,
        publisher: Publisher,
        servers: Sequence[Any],
        drift: DriftMonitor,
        match_idle_s: float = 1200.0,
    ) -> None:
        self.processor = processor
        self.publisher = publisher
        self.servers = servers
        self.drift = drift
        self.matches = _MatchClock(match_idle_s)
        self.lag: dict[tuple[str, int], int] = {}
        self.registry = CollectorRegistry()
        self.e2e = Histogram(
            "pitchside_e2e_latency_seconds",
            "From the input produced to Kafka (record timestamp) to the output written to Redis",
            ["kind"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.worker_latency = Histogram(
            "pitchside_worker_latency_seconds",
            "From the worker reading the input to the output written to Redis",
            ["kind"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.stages = {
            stage: Histogram(
                f"pitchside_{stage}_seconds",
                f"Time spent in {stage} per input, per model",
                ["model"],
                buckets=COMPUTE_BUCKETS_S,
                registry=self.registry,
            )
            for stage in ("feature", "inference")
        }
        for kind in OUTPUT_KINDS:  # every series from 0: rates and quantiles see the first outputs
            self.e2e.labels(kind)
            self.worker_latency.labels(kind)
        self.consumed = Counter(
            "pitchside_messages_consumed", "Input messages consumed", ["topic"], registry=self.registry
        )
        self.registry.register(_Counts(self))
        processor.observer = self

    def attach(self, app: Any, input_topics: Iterable[str]) -> None:
        """Install the Faust sensors: ours (consumed per topic) and Faust's own (``faust_*``)."""
        app.sensors.add(ConsumeSensor(self.consumed, input_topics))
        app.monitor = PrometheusMonitor(metrics=FaustMetrics.create(self.registry, "faust"))

    def on_batch(self, batch: list[Output], _write_s: float) -> None:
        """The publisher's hook, right after a batch reached Redis."""
        now = now_ms()
        for output in batch:
            self.worker_latency.labels(output.kind).observe(max(0, now - output.ingest_ts) / 1000.0)
            if output.produced_ts > 0:  # 0: the record had no timestamp
                self.e2e.labels(output.kind).observe(max(0, now - output.produced_ts) / 1000.0)

    # --- Observer ------------------------------------------------------------------------------

    def timed(self, stage: str, model: str, seconds: float) -> None:
        self.stages[stage].labels(model).observe(seconds)

    def model_input(self, model: str, version: int, vector: Any) -> None:
        self.drift.observe(model, version, vector)

    def match_input(self, match_id: str, at_break: bool | None) -> None:
        self.matches.input(match_id, at_break)
