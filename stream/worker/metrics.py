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
import numpy as np
from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..contracts import COMPARISON_KINDS, OUTPUT_KINDS, Output
from ..decode import DEAD_LETTER_REASONS
from ..match.processing import MatchProcessor
from ..outputs.publisher import Publisher, now_ms
from .batch_histogram import BatchHistogram, HistogramSeries
from .challenger_metrics import ChallengerMetrics
from .drift import DriftMonitor

log = logging.getLogger(__name__)

__all__ = [
    "COMPUTE_BUCKETS_S",
    "LATENCY_BUCKETS_S",
    "ConsumeSensor",
    "LeanPrometheusMonitor",
    "WorkerMetrics",
]

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
        # Zero from the start (rates and ratios have a series to work on), and the children kept:
        # a labels() lookup per message costs a lock and a dict.
        self.children = {topic: counter.labels(topic) for topic in self.topics}

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        child = self.children.get(tp.topic)  # not the tables' changelogs read while recovering
        if child is not None:
            child.inc()


class LeanPrometheusMonitor(PrometheusMonitor):
    """Faust's Prometheus sensor without its per-message bookkeeping.

    Faust's monitor looks up labelled children several times for every message in, every stream
    event in and out and every send (about 9 % of a worker's CPU when draining). The series the
    dashboard and alerts read are kept: messages received, commit latency, rebalances, assignments.
    """

    def on_message_in(self, tp: Any, offset: int, message: Any) -> None:
        self.messages_received_total += 1
        self._metrics.messages_received.inc()

    def on_stream_event_in(self, tp: Any, offset: int, stream: Any, event: Any) -> None:
        return None

    def on_stream_event_out(self, tp: Any, offset: int, stream: Any, event: Any, state: Any = None) -> None:
        return None

    def on_message_out(self, tp: Any, offset: int, message: Any) -> None:
        return None

    def on_table_get(self, table: Any, key: Any) -> None:
        return None

    def on_table_set(self, table: Any, key: Any, value: Any) -> None:
        return None

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> Any:
        return None

    def on_send_completed(self, producer: Any, state: Any, metadata: Any) -> None:
        return None


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
    the processor's :class:`~stream.match.processing.Observer`.

    Recorded per batch: while a batch is processed, timings and the matches heard from are only
    gathered; :meth:`batch_done` puts them into the histograms and the match clock in one call each.
    """

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
        self.e2e = BatchHistogram(
            "pitchside_e2e_latency_seconds",
            "From the input produced to Kafka (record timestamp) to the output written to Redis",
            "kind",
            LATENCY_BUCKETS_S,
            self.registry,
        )
        self.worker_latency = BatchHistogram(
            "pitchside_worker_latency_seconds",
            "From the worker reading the input to the output written to Redis",
            "kind",
            LATENCY_BUCKETS_S,
            self.registry,
        )
        self.stages = {
            stage: BatchHistogram(
                f"pitchside_{stage}_seconds",
                f"Time spent in {stage} per input, per model",
                "model",
                COMPUTE_BUCKETS_S,
                self.registry,
            )
            for stage in ("feature", "inference")
        }
        # Every series from 0: rates and quantiles see the first outputs.
        for kind in OUTPUT_KINDS:
            self.worker_latency.labels(kind), self.e2e.labels(kind)
        self._stage: dict[tuple[str, str], HistogramSeries] = {
            (stage, model): self.stages[stage].labels(model)
            for stage in self.stages
            for model in ("frame", "xg", "lead")
        }
        # Gathered while a batch is processed, recorded by batch_done.
        self._timings: dict[tuple[str, str], list[float]] = {key: [] for key in self._stage}
        self._heard: dict[str, tuple[bool, bool | None]] = {}
        self.consumed = Counter(
            "pitchside_messages_consumed", "Input messages consumed", ["topic"], registry=self.registry
        )
        self.challenger = ChallengerMetrics(self.registry)
        self.registry.register(_Counts(self))
        processor.observer = self

    def attach(self, app: Any, input_topics: Iterable[str]) -> None:
        """Install the Faust sensors: ours (consumed per topic) and Faust's own (``faust_*``)."""
        app.sensors.add(ConsumeSensor(self.consumed, input_topics))
        app.monitor = LeanPrometheusMonitor(metrics=FaustMetrics.create(self.registry, "faust"))

    def on_batch(self, batch: list[Output], _write_s: float) -> None:
        """The publisher's hook, right after a batch reached Redis: one observation per output,
        recorded per kind in one call."""
        now = now_ms()
        worker: dict[str, list[int]] = {}
        e2e: dict[str, list[int]] = {}
        for output in batch:
            kind = output.kind
            worker.setdefault(kind, []).append(output.ingest_ts)
            if output.produced_ts > 0:  # 0: the record had no timestamp
                e2e.setdefault(kind, []).append(output.produced_ts)
        for histogram, stamps in ((self.worker_latency, worker), (self.e2e, e2e)):
            for kind, values in stamps.items():
                ms = now - np.asarray(values, dtype=np.float64)
                histogram.labels(kind).observe_many(np.maximum(ms, 0.0) / 1000.0)
        self.challenger.record(o for o in batch if o.kind in COMPARISON_KINDS)

    @_harmless
    def batch_done(self) -> None:
        """Record what the batch just processed gathered: timings, and the matches heard from."""
        for key, values in self._timings.items():
            if values:
                self._stage[key].observe_many(values)
                values.clear()
        for match_id, (tracked, at_break) in self._heard.items():
            if tracked:  # a frame: the match is tracked (its break state unchanged)
                self.matches.input(match_id, None)
            if at_break is not None:  # the last event says whether a break began
                self.matches.input(match_id, at_break)
        self._heard.clear()

    # --- Observer: a failure in here is logged and must never cost an output ------------------

    @_harmless
    def timed(self, stage: str, model: str, seconds: float) -> None:
        values = self._timings.get((stage, model))
        if values is None:
            self._stage[(stage, model)] = self.stages[stage].labels(model)
            values = self._timings[(stage, model)] = []
        values.append(seconds)

    @_harmless
    def model_input(self, model: str, version: int, vector: Any) -> None:
        self.drift.observe(model, version, vector)

    def match_input(self, match_id: str, at_break: bool | None) -> None:
        tracked, last_break = self._heard.get(match_id, (False, None))
        if at_break is None:
            self._heard[match_id] = (True, last_break)
        else:
            self._heard[match_id] = (tracked, at_break)
