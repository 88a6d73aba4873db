"""Prometheus metrics of one worker, recorded at the edges.

The processor, the input ledger, the publisher and the model servers already count what happens to
every message (:class:`~stream.processing.ProcessingStats`, :class:`~stream.publisher.PublishStats`,
the servers' counts); a collector turns those into Prometheus metrics when scraped, so no feature or
model code knows about Prometheus. Latencies are observed by the publisher's batch hook. Names follow
Prometheus conventions: base units (seconds), ``_total`` for counters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .contracts import Output
from .processing import MatchProcessor
from .publisher import PublishStats, now_ms

__all__ = ["LATENCY_BUCKETS_S", "WorkerMetrics"]

# Stats on air well under a second: fine steps up to 100 ms, coarse to 10 s (a worker behind).
LATENCY_BUCKETS_S = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _Counts(Collector):
    """Reads the counters the worker keeps, at scrape time."""

    def __init__(self, processor: MatchProcessor, publish: PublishStats, servers: Sequence[Any]) -> None:
        self.processor = processor
        self.publish = publish
        self.servers = servers

    def collect(self) -> Iterator[Metric]:
        s = self.processor.stats
        for name, value, doc in (
            ("pitchside_frames_total", s.frames, "Tracking frames decoded"),
            ("pitchside_events_total", s.events, "Match events decoded"),
            ("pitchside_outputs_total", s.outputs, "Outputs built for Redis"),
            ("pitchside_stale_frames_total", s.stale_frames, "Frames dropped as repeated or out of order"),
            ("pitchside_input_replayed_total", s.replayed, "Input messages seen again and skipped"),
            ("pitchside_input_gap_fills_total", s.rewinds, "Gaps in input offsets read back from Kafka"),
            ("pitchside_input_skipped_offsets_total", s.skipped_offsets, "Input offsets never processed"),
            ("pitchside_redis_published_total", self.publish.published, "Outputs written to Redis"),
            ("pitchside_redis_errors_total", self.publish.errors, "Failed Redis writes (retried)"),
        ):
            yield CounterMetricFamily(name, doc, value=value)
        dead = CounterMetricFamily(
            "pitchside_dead_letters_total", "Messages dead-lettered", labels=["reason"]
        )
        for reason, count in sorted(s.dead_letters.items()):
            dead.add_metric([reason], count)
        yield dead
        repaired = CounterMetricFamily(
            "pitchside_feature_events_total",
            "Inputs repaired or worked around, and context sources",
            labels=["what"],
        )
        for what, count in sorted(s.features.items()):
            repaired.add_metric([what], count)
        yield repaired
        info = GaugeMetricFamily(
            "pitchside_model_info", "The model version serving (1)", labels=["model", "version"]
        )
        swaps = CounterMetricFamily(
            "pitchside_model_swaps_total", "Production versions swapped in", labels=["model"]
        )
        failed = CounterMetricFamily(
            "pitchside_model_load_failures_total", "Versions refused", labels=["model"]
        )
        for server in self.servers:
            if server.model is not None:
                info.add_metric([server.name, str(server.model.version)], 1)
            swaps.add_metric([server.name], server.counts["swaps"])
            failed.add_metric([server.name], server.counts["load_failed"])
        yield from (info, swaps, failed)


class WorkerMetrics:
    """Every metric of one worker, in its own registry (tests and several apps stay apart)."""

    def __init__(self, processor: MatchProcessor, publish: PublishStats, servers: Sequence[Any]) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "pitchside_output_latency_seconds",
            "From the worker reading the input to the output written to Redis, per output kind",
            ["kind"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.registry.register(_Counts(processor, publish, servers))

    def on_batch(self, batch: list[Output], _write_s: float) -> None:
        """The publisher's hook, right after a batch reached Redis."""
        now = now_ms()
        for output in batch:
            self.latency.labels(output.kind).observe(max(0, now - output.ingest_ts) / 1000.0)
