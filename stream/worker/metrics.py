"""Prometheus metrics of one worker, recorded at the edges.

The processor, the input ledger, the publisher and the model servers already count what happens to
every message (:class:`~stream.match.processing.ProcessingStats`,
:class:`~stream.outputs.publisher.PublishStats`, the servers' counts); a collector turns those into
Prometheus metrics when scraped, so no feature or model code knows about Prometheus. Timings and
model inputs arrive through the processor's :class:`~stream.match.processing.Observer` hook,
latencies through the publisher's batch hook, consumed messages through a Faust sensor, lag from the
worker's periodic end-offset probe. Names follow Prometheus conventions: base units (seconds),
``_total`` for counters. Faust's own sensor metrics (``faust_*``, Faust's names and units) are in
the same registry.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

import faust
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..contracts import OUTPUT_KINDS, Output
from ..decode import DEAD_LETTER_REASONS
from ..match.processing import MatchProcessor
from ..outputs.publisher import Publisher, now_ms
from .drift import DriftMonitor

log = logging.getLogger(__name__)

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


class _Heard(NamedTuple):
    at: float  # wall clock, seconds
    in_break: bool
    tracked: bool  # sends tracking frames: silence means something (events alone come irregularly)


class _MatchClock:
    """When each match was last heard from, whether it is in a break, and whether it is tracked.

    Written on the event loop, read by the metrics server's thread: the reader works on a copy, and
    only the writer forgets matches (oldest first, in insertion order)."""

    def __init__(self, idle_s: float) -> None:
        self.idle_s = idle_s
        self.heard: OrderedDict[str, _Heard] = OrderedDict()

    def input(self, match_id: str, at_break: bool | None) -> None:
        previous = self.heard.pop(match_id, None)
        now = time.time()
        self.heard[match_id] = _Heard(
            now,
            (previous.in_break if previous else False) if at_break is None else at_break,
            at_break is None or (previous is not None and previous.tracked),
        )
        while self.heard:  # the match heard from longest ago first: over, or moved to another worker
            oldest = next(iter(self.heard.values()))
            if now - oldest.at <= self.idle_s:
                break
            self.heard.popitem(last=False)

    def ages(self) -> dict[str, float]:
        """Seconds since the last input of each tracked match not in a break."""
        now = time.time()
        return {
            match_id: now - h.at
            for match_id, h in dict.copy(self.heard).items()
            if h.tracked and not h.in_break and now - h.at <= self.idle_s
        }


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
        # Copies made in one C call: the event loop may add a key while this thread reads.
        dead: dict[str, int] = dict.copy(s.dead_letters)
        repaired: dict[str, int] = dict.copy(s.features)
        yield _labelled(
            CounterMetricFamily,
            "pitchside_dead_letters_total",
            "Messages dead-lettered",
            "reason",
            # Every known reason from 0: a series born at 10 would show no rate for its first 10.
            {**dict.fromkeys(DEAD_LETTER_REASONS, 0), **dead},
        )
        yield _labelled(
            CounterMetricFamily,
            "pitchside_feature_events_total",
            "Inputs repaired or worked around, and context sources",
            "what",
            repaired,
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
            m.matches.ages(),
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
        refused = GaugeMetricFamily(
            "pitchside_model_production_refused",
            "1 while the production alias names a version this worker refused to load, else 0",
            labels=["model", "version"],
        )
        for server in self.parts.servers:
            if server.model is not None:
                info.add_metric([server.name, str(server.model.version)], 1)
            swaps.add_metric([server.name], server.counts["swaps"])
            failed.add_metric([server.name], server.counts["load_failed"])
            if server.wanted is not None:  # 0 while production loads fine: the series is there
                refused.add_metric([server.name, str(server.wanted)], int(server.refused is not None))
        yield from (info, swaps, failed, refused)

    def _drift(self) -> Iterator[Metric]:
        psi = GaugeMetricFamily(
            "pitchside_model_drift_psi",
            "Population stability index of live inputs vs the training baseline",
            labels=["model", "version", "feature"],
        )
        serving = {s.name: s.model.version for s in self.parts.servers if s.model is not None}
        for r in self.parts.drift.readings(serving, self.parts.drift_idle_s):
            psi.add_metric([r.model, str(r.version), r.feature], r.psi)
        inputs = GaugeMetricFamily(
            "pitchside_model_drift_window_inputs",
            "Live inputs in the drift window",
            labels=["model", "version"],
        )
        for window in list(self.parts.drift.windows.values()):
            inputs.add_metric([window.model, str(window.version)], window.inputs)
        yield from (psi, inputs)


def _labelled(kind: Any, name: str, doc: str, label: str, values: Mapping[str, float]) -> Metric:
    family = kind(name, doc, labels=[label])
    for key, value in sorted(values.items()):
        family.add_metric([key], value)
    return family  # type: ignore[no-any-return]


F = TypeVar("F", bound=Callable[..., None])


def _harmless(method: F) -> F:
    """Log, never raise: metrics are recorded from inside message processing."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            method(*args, **kwargs)
        except Exception:
            log.exception("recording metrics failed in %s", method.__name__)

    return wrapper  # type: ignore[return-value]


class WorkerMetrics:
    """Every metric of one worker, in its own registry (tests and several apps stay apart); also
    the processor's :class:`~stream.match.processing.Observer`."""

    def __init__(
        self,
        processor: MatchProcessor,
        publisher: Publisher,
        servers: Sequence[Any],
        drift: DriftMonitor,
        match_idle_s: float = 1200.0,
        drift_idle_s: float | None = None,
    ) -> None:
        self.processor = processor
        self.publisher = publisher
        self.servers = servers
        self.drift = drift
        self.matches = _MatchClock(match_idle_s)
        self.drift_idle_s = drift_idle_s
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
        # Every series from 0 (rates and quantiles see the first outputs), and the labelled children
        # kept: looking a child up takes a lock and a dict lookup, per output.
        self._latency = {
            kind: (self.worker_latency.labels(kind), self.e2e.labels(kind)) for kind in OUTPUT_KINDS
        }
        self._stage = {
            (stage, model): self.stages[stage].labels(model)
            for stage in self.stages
            for model in ("frame", "xg", "lead")
        }
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
            children = self._latency.get(output.kind)
            if children is None:  # a kind added without updating OUTPUT_KINDS
                children = self._latency[output.kind] = (
                    self.worker_latency.labels(output.kind),
                    self.e2e.labels(output.kind),
                )
            worker, e2e = children
            worker.observe(max(0, now - output.ingest_ts) / 1000.0)
            if output.produced_ts > 0:  # 0: the record had no timestamp
                e2e.observe(max(0, now - output.produced_ts) / 1000.0)

    # --- Observer: a failure in here is logged and must never cost an output ------------------

    @_harmless
    def timed(self, stage: str, model: str, seconds: float) -> None:
        child = self._stage.get((stage, model))
        if child is None:
            child = self._stage[(stage, model)] = self.stages[stage].labels(model)
        child.observe(seconds)

    @_harmless
    def model_input(self, model: str, version: int, vector: Any) -> None:
        self.drift.observe(model, version, vector)

    @_harmless
    def match_input(self, match_id: str, at_break: bool | None) -> None:
        self.matches.input(match_id, at_break)
