"""The local stack without Docker: Kafka (KRaft, jars from Maven Central) and Redis on loopback.

``pitchside stack up|status|down``. Data and pid files under ``PITCHSIDE_STATE_DIR``
(default ``.pitchside/``), every log under ``.pitchside/logs/``. A server that already answers on
the configured address but was not started by the stack is reported as ``external`` and reused,
never stopped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.errors import ConfigurationError
from models.settings import Settings

from ..worker.topics import ensure_topics
from .kafka import KafkaBroker, kafka_ready
from .redis import RedisServer, redis_ready

__all__ = ["ComponentStatus", "Stack", "StackError"]


class StackError(ConfigurationError):
    """A stack component did not become healthy; the message points at its log."""


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    address: str
    state: str  # "running" (ours), "external" (answering, not ours), "stopped", "unhealthy"
    pid: int | None
    log: str

    @property
    def healthy(self) -> bool:
        return self.state in ("running", "external")


class Stack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kafka = KafkaBroker(settings)
        self.redis = RedisServer(settings)

    def _kafka_status(self) -> ComponentStatus:
        pid = self.kafka.process.pid()
        ready = kafka_ready(self.settings.kafka_bootstrap)
        state = ("running" if ready else "unhealthy") if pid else ("external" if ready else "stopped")
        log = str(self.kafka.log_dir / "kafka.log")
        return ComponentStatus("kafka", self.settings.kafka_bootstrap, state, pid, log)

    def _redis_status(self) -> ComponentStatus:
        pid = self.redis.process.pid()
        ready = redis_ready(self.settings)
        state = ("running" if ready else "unhealthy") if pid else ("external" if ready else "stopped")
        address = f"{self.redis.host}:{self.redis.port}"
        return ComponentStatus("redis", address, state, pid, str(self.redis.log_dir / "redis.log"))

    def status(self) -> list[ComponentStatus]:
        return [self._kafka_status(), self._redis_status()]

    def up(self, timeout_s: float = 90.0) -> list[ComponentStatus]:
        """Start whatever is not running yet and wait until both answer; idempotent."""
        if not redis_ready(self.settings) and self.redis.process.pid() is None:
            self.redis.start()
        if not kafka_ready(self.settings.kafka_bootstrap) and self.kafka.process.pid() is None:
            self.kafka.start()
        deadline = time.monotonic() + timeout_s
        self._wait(
            "redis",
            lambda: redis_ready(self.settings),
            self.redis.process.pid,
            deadline,
            self.redis.log_dir / "redis.log",
        )
        self._wait(
            "kafka",
            lambda: kafka_ready(self.settings.kafka_bootstrap),
            self.kafka.process.pid,
            deadline,
            self.kafka.log_dir / "kafka.log",
        )
        asyncio.run(ensure_topics(self.settings))
        return self.status()

    @staticmethod
    def _wait(
        name: str, ready: Callable[[], bool], pid: Callable[[], int | None], deadline: float, log: Path
    ) -> None:
        while not ready():
            if pid() is None:
                raise StackError(f"{name} exited during start-up; see {log} and {log.with_suffix('.out')}")
            if time.monotonic() > deadline:
                raise StackError(f"{name} did not become healthy in time; see {log}")
            time.sleep(0.2)

    def down(self) -> list[str]:
        """Stop what the stack started (Kafka first, so it can still reach nothing it needs)."""
        return [name for name, comp in (("kafka", self.kafka), ("redis", self.redis)) if comp.process.stop()]
