"""The Faust app: input topics, the checkpoint tables, the two agents and the Redis publisher.

Built by :func:`create_app` from a :class:`~models.settings.Settings`; there is no module-level app.
Both input topics are keyed by ``match_id`` and have the same partition count, so Faust assigns the
same partition of each (and of each table's changelog) to one worker: a match's frames, events and
state live together, and partitions are the unit of horizontal scale. The parts: :func:`faust_app`
(the Faust objects), :class:`~stream.worker.pump.Pump` (consume, fill gaps, process, dead-letter),
:class:`~stream.worker.checkpoint.Checkpointer` (state to the tables), and the background tasks.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from typing import Any, NamedTuple

import faust
import redis.asyncio as aioredis

from features.baseball import PITCH_FEATURE_NAMES
from features.shot import SHOT_FEATURE_NAMES
from models.players import load_player_reference
from models.registry import open_registry
from models.settings import Settings

from ..contracts import DeadLetterHeaders, Output
from ..match.model_serving import LeadServer, XgServer
from ..match.processing import LiveConfig, MatchProcessor
from ..outputs.publisher import Publisher, RedisPublisher
from .checkpoint import Checkpointer, TableStore
from .consumer import install as install_consumer
from .drift import DriftMonitor, write_drift
from .gap_fill import fetch_range
from .lag import consumer_lag
from .ledger import InputLedger
from .metrics import WorkerMetrics
from .pump import DeadLetterSink, Handler, Pump, event_handler, frame_handler
from .topics import CHANGELOG_CONFIG

__all__ = ["WorkerParts", "create_app", "faust_app", "redis_client"]

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
        pump: Pump,
        checkpointer: Checkpointer,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.processor = processor
        self.publisher = publisher
        self.agents = agents
        self.topics = topics
        self.pump = pump
        self.checkpointer = checkpointer


def faust_app(settings: Settings) -> Any:
    """The Faust app, without agents or tables."""
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
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=settings.session_timeout_s / 5,
        web_enabled=settings.worker_web_port > 0,
        web_port=settings.worker_web_port or 6066,
        web_host="127.0.0.1",
    )
    install_consumer(app)
    return app


def _table(app: Any, name: str) -> TableStore:
    # JSON keys and values: what a table holds live is what it recovers from its changelog.
    table = app.Table(
        name,
        schema=faust.Schema(key_type=str, value_type=None, key_serializer="json", value_serializer="json"),
        extra_topic_configs=CHANGELOG_CONFIG,
    )
    return TableStore(table)


def _model_servers(settings: Settings) -> tuple[Any, XgServer, LeadServer, tuple[XgServer, LeadServer]]:
    registry = open_registry(settings)
    xg, lead = XgServer(registry), LeadServer(registry)
    challengers = (XgServer(registry, alias="challenger"), LeadServer(registry, alias="challenger"))
    for server in (xg, lead, *challengers):
        server.refresh_now()  # serve from the first event; later versions come through a timer
    for name, model in (("xg", xg.model), ("lead", lead.model)):
        if model is None:
            log.warning("no production %s model in %s: its outputs are off", name, settings.registry_dir)
    return registry, xg, lead, challengers


def _publisher(
    settings: Settings,
    factory: Callable[[], Publisher] | None,
    on_batch: Callable[[list[Output], float], None],
) -> tuple[Publisher, aioredis.Redis | None]:
    if factory is not None:
        return factory(), None
    client = redis_client(settings)
    publisher = RedisPublisher(
        client,
        prefix=settings.redis_prefix,
        latest_ttl_s=settings.latest_ttl_s,
        queue_max=settings.publish_queue_max,
        batch_max=settings.publish_batch_max,
        stream_maxlen=settings.stream_maxlen,
        on_batch=on_batch,
    )
    return publisher, client


def _dead_letter_sink(deadletter: Any) -> DeadLetterSink:
    async def dead_letter(message: Any, reason: str, detail: str) -> None:
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

    return dead_letter


def create_app(
    settings: Settings,
    publisher_factory: Callable[[], Publisher] | None = None,
) -> WorkerParts:
    """Build the Faust app. ``publisher_factory`` replaces Redis (unit tests pass an in-memory one)."""
    app = faust_app(settings)
    tracking = app.topic(settings.topic_tracking, key_type=bytes, value_type=bytes, allow_empty=True)
    events = app.topic(settings.topic_events, key_type=bytes, value_type=bytes, allow_empty=True)
    deadletter = app.topic(settings.topic_deadletter, key_type=bytes, value_type=bytes, allow_empty=True)
    match_states, input_offsets = _table(app, "match-state"), _table(app, "input-offset")

    reference = load_player_reference(settings.data_dir / "savant")
    log.info(
        "player reference: %d runner sprint speeds, %d catcher pop times",
        len(reference.sprint_speed_fps),
        len(reference.pop_time_s),
    )
    registry, xg, lead, challengers = _model_servers(settings)
    config = LiveConfig.from_settings(settings)
    processor = MatchProcessor(match_states, config, reference, xg, lead, challengers=challengers)
    ledger = InputLedger(input_offsets, processor.stats)
    # Late-bound: the metrics are built just below, before anything is published.
    publisher, client = _publisher(
        settings, publisher_factory, lambda batch, seconds: metrics.on_batch(batch, seconds)
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
    checkpointer = Checkpointer(
        processor, ledger, (match_states, input_offsets), publisher, settings.checkpoint_interval_s
    )

    async def fetch(topic: str, partition: int, start: int, end: int) -> list[Any]:
        return await fetch_range(settings.kafka_bootstrap, topic, partition, start, end)

    pump = Pump(ledger, publisher, _dead_letter_sink(deadletter), fetch, checkpointer, metrics)
    agents = _agents(app, settings, pump, processor, {"tracking": tracking, "events": events})
    servers = (xg, lead, *challengers)
    _tasks(app, settings, _TaskParts(publisher, servers, metrics, ledger, drift, client))
    _save_on_rebalance_and_shutdown(app, checkpointer)
    return WorkerParts(
        app,
        processor,
        publisher,
        agents=agents,
        topics={"tracking": tracking, "events": events, "deadletter": deadletter},
        metrics=metrics,
        pump=pump,
        checkpointer=checkpointer,
    )


def _agents(
    app: Any, settings: Settings, pump: Pump, processor: MatchProcessor, topics: dict[str, Any]
) -> dict[str, Any]:
    """One agent per input topic, each taking batches."""
    max_bytes = settings.max_message_bytes
    handlers = {
        "tracking": frame_handler(processor, max_bytes),
        "events": event_handler(processor, max_bytes),
    }
    within_s = settings.batch_within_ms / 1000.0
    agents = {}
    for name, topic in topics.items():
        handle = handlers[name]

        async def agent(stream: Any, handle: Handler = handle) -> None:
            await pump.consume(stream, handle, settings.batch_max, within_s)

        agents[name] = app.agent(topic, name=name)(agent)
    return agents


class _TaskParts(NamedTuple):
    publisher: Publisher
    servers: tuple[XgServer | LeadServer, ...]  # production and challenger of each model
    metrics: WorkerMetrics
    ledger: InputLedger
    drift: DriftMonitor
    client: aioredis.Redis | None


def _tasks(app: Any, settings: Settings, parts: _TaskParts) -> None:
    """The background work: Redis delivery, following the production models, lag, drift reports."""

    async def deliver() -> None:
        await parts.publisher.run()

    app.task(deliver)

    async def follow_model_aliases() -> None:
        for server in parts.servers:
            await server.refresh()

    app.timer(interval=settings.model_poll_s)(follow_model_aliases)
    input_topics = (settings.topic_tracking, settings.topic_events)

    async def measure_lag() -> None:
        try:
            parts.metrics.lag = await consumer_lag(app.consumer, parts.ledger, input_topics)
        except Exception as exc:  # broker away, or a rebalance under way: keep the last reading
            log.warning("could not measure consumer lag: %r", exc)

    app.timer(interval=settings.lag_interval_s)(measure_lag)
    client = parts.client
    if client is None:
        return
    worker_id = f"{socket.gethostname()}:{os.getpid()}"

    async def report_drift() -> None:
        try:
            await write_drift(
                client,
                settings.redis_prefix,
                worker_id,
                parts.drift.snapshots(),
                ttl_s=max(60, int(3 * settings.drift_report_s)),
            )
        except Exception as exc:  # Redis away: the next round writes again
            log.warning("could not write the drift window to Redis: %r", exc)

    app.timer(interval=settings.drift_report_s)(report_drift)


def _save_on_rebalance_and_shutdown(app: Any, checkpointer: Checkpointer) -> None:
    """Faust calls these after its agents have finished the messages they had taken."""

    async def flush_changelog() -> None:
        await app.producer.flush()

    @app.on_partitions_revoked.connect  # type: ignore[untyped-decorator]
    async def on_revoked(app: Any, revoked: Any, **_: Any) -> None:
        await checkpointer.save_and_forget(flush_changelog)

    @app.on_before_shutdown.connect  # type: ignore[untyped-decorator]
    async def on_shutdown(app: Any, **_: Any) -> None:
        await checkpointer.save_and_forget(flush_changelog)

    # Faust keeps only weak references to signal receivers.
    app._pitchside_receivers = (on_revoked, on_shutdown)
