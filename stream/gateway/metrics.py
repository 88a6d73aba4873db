"""The gateway's Prometheus metrics, on a registry of its own (served at ``/metrics``), recorded at
the edges: where a client connects, a message is sent and a client is dropped."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["GatewayMetrics"]

# Fan-out latency buckets, seconds: a graphics engine wants well under a frame (40 ms at 25 Hz).
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.clients = Gauge(
            "pitchside_gateway_clients",
            "Streaming clients connected now, by transport (ws, sse)",
            ["transport"],
            registry=self.registry,
        )
        self.messages = Counter(
            "pitchside_gateway_messages_sent_total",
            "Messages sent to streaming clients (snapshot, output, gap), by transport",
            ["transport"],
            registry=self.registry,
        )
        self.dropped = Counter(
            "pitchside_gateway_clients_dropped_total",
            "Streaming clients the gateway disconnected, by reason (slow: send buffer over the bound; "
            "redis: Redis failed while following)",
            ["transport", "reason"],
            registry=self.registry,
        )
        self.fanout = Histogram(
            "pitchside_gateway_fanout_latency_seconds",
            "Seconds from the worker's Redis write (published_ts) to the output's send to a client",
            ["transport"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.feeds = Gauge(
            "pitchside_gateway_feeds",
            "Shared live readers (one XREAD BLOCK each), one per (match, kinds) followed by a client",
            registry=self.registry,
        )
        for transport in ("ws", "sse"):
            self.clients.labels(transport)
            self.messages.labels(transport)
            self.fanout.labels(transport)
            for reason in ("slow", "redis"):
                self.dropped.labels(transport, reason)
