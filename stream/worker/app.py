"""The Faust app: input topics, per-match tables, the two agents and the Redis publisher.

Built by :func:`create_app` from a :class:`~models.settings.Settings`; there is no module-level app.
Both input topics are keyed by ``match_id`` and have the same partition count, so Faust assigns the
same partition of each (and of each table's changelog) to one worker: a match's frames, events and
state live together, and partitions are the unit of horizontal scale.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import faust
import redis.asyncio as aioredis

from features.baseball import PITCH_FEATURE_NAMES
from features.shot import SHOT_FEATURE_NAMES
from models.players import load_player_reference
from models.registry import open_registry
from models.settings import Settings

from ..contracts import DeadLetterHeaders, Output
from ..decode import PROCESSING_ERROR, DecodeError, decode_event, decode_frame
from ..match.model_serving import LeadServer, XgServer
from ..match.processing import LiveConfig, MatchProcessor, Received
from ..outputs.publisher import Publisher, RedisPublisher, now_ms
from .drift import DriftMonitor, write_drift
from .gap_fill import fetch_range
from .lag import consumer_lag
from .ledger import Admit, InputLedger
from .metrics import WorkerMetrics
from .topics import CHANGELOG_CONFIG

__all__ = ["WorkerParts", "create_app", "redis_client"]

log = logging.getLogger(__name__)


def redis_client(settings: Settings) -> aioredis.Redis:
    password = settings.redis_password.get_secret_value() if settings.redis_password else None
    return aioredis.Redis.from_url(settings.redis_url, password=password)


class WorkerParts:
    """What :func:`create_app` wires together, kept for tests and the metrics layer."""

    def __init__(
        self,
        app: Any,
        processor: MatchProcessor,
        publisher: Publisher,
        agents: dict[str, Any],
        topics: dict[str, Any],
        metrics: WorkerMetrics,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.processor = processor
        self.publisher = publisher
        self.agents = agents
        self.topics = topics


def create_app(
    settings: Settings,
    publisher_factory: Callable[[], Publisher] | None = None,
) -> WorkerParts:
    """Build the Faust app. ``publisher_factory`` replaces Redis (unit tests pass an in-memory one)."""
    (settings.state_dir / "faust").mkdir(parents=True, exist_ok=True)  # Faust makes only the last level
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        # Faust wants a data directory even with in-memory tables; by default it would be
        # `{app id}-data` in the working directory (one per test run's app id in the repo).
        datadir=str(settings.state_dir / "faust" / "{conf.name}"),
        topic_partitions=settings.topic_partitions,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        # Commit often: on a rebalance Faust drops what it had fetched but not processed and rewinds
        # to the committed offset; a partition with none yet is not rewound (aiokafka skips it) and
        # those messages would be lost. Frequent commits keep that window to the first interval.
        broker_commit_interval=settings.commit_interval_s,
        web_enabled=settings.worker_web_port > 0,
        web_port=settings.worker_web_port or 6066,
        web_host="127.0.0.1",
    )
    tracking = app.topic(settings.topic_tracking, key_type=bytes, value_type=bytes, allow_empty=True)
    events = app.topic(settings.topic_events, key_type=bytes, value_type=bytes, allow_empty=True)
    deadletter = app.topic(settings.topic_deadletter, key_type=bytes, value_type=bytes, allow_empty=True)

    def table(name: str, **options: Any) -> Any:
        # JSON keys and values: what a table holds live is what it recovers from its changelog.
        return app.Table(
            name,
            schema=faust.Schema(
                key_type=str, value_type=None, key_serializer="json", value_serializer="json"
            ),
            extra_topic_configs=CHANGELOG_CONFIG,
            **options,
        )

    latest_frames = table("latest-frame")
    seqs = table("output-seq", default=int)
    input_offsets = table("input-offset")
    # The live features' per-match state, checkpointed with the stats (see stream.match.live).
    checkpoints = table("match-live")

    reference = load_player_reference(settings.data_dir / "savant")
    log.info(
        "player reference: %d runner sprint speeds, %d catcher pop times",
        len(reference.sprint_speed_fps),
        len(reference.pop_time_s),
    )
    registry = open_registry(settings)
    xg, lead = XgServer(registry), LeadServer(registry)
    xg.refresh_now()  # serve from the first event; later versions come through the timer below
    lead.refresh_now()
    for name, model in (("xg", xg.model), ("lead", lead.model)):
        if model is None:
            log.warning("no production %s model in %s: its outputs are off", name, settings.registry_dir)
    processor = MatchProcessor(
        latest_frames, seqs, checkpoints, LiveConfig.from_settings(settings), reference, xg, lead
    )
    ledger = InputLedger(input_offsets, processor.stats)
    publisher: Publisher
    client: aioredis.Redis | None = None
    if publisher_factory is not None:
        publisher = publisher_factory()
    else:
        client = redis_client(settings)
        publisher = RedisPublisher(
            client,
            prefix=settings.redis_prefix,
            latest_ttl_s=settings.latest_ttl_s,
            queue_max=settings.publish_queue_max,
            batch_max=settings.publish_batch_max,
            # Late-bound: the metrics are built just below, before anything is published.
            on_batch=lambda batch, seconds: metrics.on_batch(batch, seconds),
        )
    drift = DriftMonitor(
        registry,
        {"xg": SHOT_FEATURE_NAMES, "lead": PITCH_FEATURE_NAMES},
        settings.drift_window,
        settings.drift_min_inputs,
    )
    metrics = WorkerMetrics(
        processor, publisher, (xg, lead), drift, settings.match_idle_s, settings.drift_idle_s
    )
    input_topics = (settings.topic_tracking, settings.topic_events)
    metrics.attach(app, input_topics)
    max_bytes = settings.max_message_bytes

    async def dead_letter(message: Any, reason: str, detail: str) -> None:
        processor.stats.dead_letters[reason] += 1
        log.warning(
            "dead-lettered %s[%s]@%s: %s: %s",
            message.topic,
            message.partition,
            message.offset,
            reason,
            detail,
        )
        await deadletter.send(
            key=message.key,
            value=message.value if message.value is not None else b"",
            headers={
                DeadLetterHeaders.REASON: reason.encode(),
                DeadLetterHeaders.DETAIL: detail[:1000].encode(),
                DeadLetterHeaders.SOURCE_TOPIC: str(message.topic).encode(),
                DeadLetterHeaders.SOURCE_PARTITION: str(message.partition).encode(),
                DeadLetterHeaders.SOURCE_OFFSET: str(message.offset).encode(),
            },
        )

    def handle_frame(value: bytes | None, key: bytes | None, received: Received) -> list[Output]:
        return processor.on_frame(decode_frame(value, key, max_bytes), received)

    def handle_event(value: bytes | None, key: bytes | None, received: Received) -> list[Output]:
        event = decode_event(value, key, max_bytes)
        return processor.on_event(event, received)

    async def process(
        message: Any, produced_ms: int, handle: Callable[[bytes | None, bytes | None, Received], list[Output]]
    ) -> None:
        """One admitted message (a Faust message, or a record read to fill a gap)."""
        received = Received(produced_ts=produced_ms, ingest_ts=now_ms())
        try:
            outputs = handle(message.value, message.key, received)
        except DecodeError as err:
            await dead_letter(message, err.reason, err.detail)
            return
        except Exception as err:  # a bug must cost one message, never the agent
            log.exception("processing failed at %s[%s]@%s", message.topic, message.partition, message.offset)
            await dead_letter(message, PROCESSING_ERROR, repr(err))
            return
        for output in outputs:
            await publisher.publish(output)

    async def fill(
        message: Any, first: int, handle: Callable[[bytes | None, bytes | None, Received], list[Output]]
    ) -> None:
        """Process the offsets ``first .. message.offset - 1`` nobody processed, read from Kafka."""
        log.warning(
            "%s[%s]@%s arrived before offsets %s.. were processed; reading them first",
            message.topic,
            message.partition,
            message.offset,
            first,
        )
        try:
            records = await fetch_range(
                settings.kafka_bootstrap, message.topic, message.partition, first, message.offset
            )
        except Exception:  # the broker is away: report the gap rather than stall the partition
            log.exception(
                "could not read %s[%s] %s..%s", message.topic, message.partition, first, message.offset
            )
            records = []
        for record in records:
            action, _ = ledger.admit(record.topic, record.partition, record.offset)
            if action is Admit.FILL:  # the log starts after the first missing offset
                report_gap(ledger.accept_gap(record.topic, record.partition, record.offset), record)
                action, _ = ledger.admit(record.topic, record.partition, record.offset)
            if action is Admit.PROCESS:
                await process(record, record.timestamp or 0, handle)  # aiokafka: epoch ms
        report_gap(ledger.accept_gap(message.topic, message.partition, message.offset), message)

    def report_gap(missing: int, message: Any) -> None:
        if missing:
            log.error(
                "%d message(s) before %s[%s]@%s were never processed",
                missing,
                message.topic,
                message.partition,
                message.offset,
            )

    async def consume(
        stream: Any, handle: Callable[[bytes | None, bytes | None, Received], list[Output]]
    ) -> None:
        async for event in stream.events():
            message = event.message
            action, first = ledger.admit(message.topic, message.partition, message.offset)
            if action is Admit.REPLAYED:
                continue
            if action is Admit.FILL:
                await fill(message, first, handle)
                action, _ = ledger.admit(message.topic, message.partition, message.offset)
                if action is not Admit.PROCESS:  # cannot happen after accept_gap; never process twice
                    continue
            # Faust gives the Kafka record timestamp in seconds (producer create time by default).
            await process(message, int((message.timestamp or 0) * 1000), handle)

    @app.agent(tracking, name="tracking")
    async def tracking_agent(stream: Any) -> None:
        await consume(stream, handle_frame)

    @app.agent(events, name="events")
    async def events_agent(stream: Any) -> None:
        await consume(stream, handle_event)

    async def deliver() -> None:
        await publisher.run()

    app.task(deliver)

    async def follow_production_model() -> None:
        await xg.refresh()
        await lead.refresh()

    app.timer(interval=settings.model_poll_s)(follow_production_model)

    async def measure_lag() -> None:
        try:
            metrics.lag = await consumer_lag(app.consumer, ledger, input_topics)
        except Exception as exc:  # broker away, or a rebalance under way: keep the last reading
            log.warning("could not measure consumer lag: %r", exc)

    app.timer(interval=settings.lag_interval_s)(measure_lag)

    if client is not None:
        worker_id = f"{socket.gethostname()}:{os.getpid()}"

        async def report_drift() -> None:
            try:
                await write_drift(
                    client,
                    settings.redis_prefix,
                    worker_id,
                    drift.snapshots(),
                    ttl_s=max(60, int(3 * settings.drift_report_s)),
                )
            except Exception as exc:  # Redis away: the next round writes again
                log.warning("could not write the drift window to Redis: %r", exc)

        app.timer(interval=settings.drift_report_s)(report_drift)

    return WorkerParts(
        app,
        processor,
        publisher,
        agents={"tracking": tracking_agent, "events": events_agent},
        topics={"tracking": tracking, "events": events, "deadletter": deadletter},
        metrics=metrics,
    )
