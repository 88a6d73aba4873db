"""Session fixtures for the integration tests: the real Kafka broker and Redis (the local stack,
started here unless already healthy) and a real worker process.

Each session uses topics and a consumer group of its own, and each test its own match ids, so runs
never see each other's messages even on a long-lived development stack.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from models.registry import ModelRegistry, ModelVersion
from models.settings import Settings
from stream.probe import wait_until_flowing
from stream.sources.producer import RecordProducer
from stream.stack import Stack
from stream.worker.app import redis_client

from .processes import LoggedProcess

pytestmark = pytest.mark.integration


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


def isolated_names(prefix: str) -> dict[str, str]:
    """Settings overrides naming topics and a consumer group no other run or test uses."""
    run = f"{prefix}-{uuid.uuid4().hex[:8]}"
    return {
        "topic_tracking": f"{run}.tracking",
        "topic_events": f"{run}.events",
        "topic_deadletter": f"{run}.deadletter",
        "app_id": f"pitchside-{run}",
    }


def production_copy(registry: ModelRegistry, name: str = "xg") -> tuple[ModelVersion, int]:
    """Production and a new version holding the same booster (what a test checks is which version
    scored what, not how well)."""
    production = registry.production(name)
    assert production is not None, f"no production {name} to copy"
    copy = registry.register(
        name,
        registry.load_artifact(name, production.version),
        feature_names=list(production.feature_names),
        params={},
        metrics={},
        lineage={"copy_of": production.version},
        extra=production.extra,
    )
    return production, copy.version


@pytest.fixture(scope="session")
def overrides() -> dict[str, str]:
    return {**isolated_names("it"), "worker_web_port": "0"}


@pytest.fixture(scope="session")
def settings(overrides: dict[str, str]) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def stack(settings: Settings) -> Iterator[Stack]:
    stack = Stack(settings)
    was_up = all(s.healthy for s in stack.status())
    stack.up()
    yield stack
    if not was_up:
        stack.down()


def settings_env(overrides: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **{f"PITCHSIDE_{k.upper()}": v for k, v in overrides.items()}}


class WorkerProcess(LoggedProcess):
    """A real ``pitchside worker`` subprocess with its log kept for failure messages."""

    tail_lines = 40

    def __init__(self, overrides: dict[str, str], log: Path) -> None:
        super().__init__([sys.executable, "-m", "stream", "worker"], log, settings_env(overrides))


def wait_for_output(settings: Settings, proc: WorkerProcess) -> None:
    """Block until a probe frame comes out on Redis; on failure stop the worker and show its log."""

    async def ready() -> None:
        client = redis_client(settings)
        try:
            async with RecordProducer(settings) as producer:
                await wait_until_flowing(producer, client, prefix=settings.redis_prefix, timeout_s=90)
        finally:
            await client.aclose()

    try:
        asyncio.run(ready())
    except Exception:
        proc.stop()
        raise AssertionError(f"the worker never produced output; its log ends:\n{proc.tail()}") from None


@pytest.fixture(scope="session")
def worker(
    stack: Stack, settings: Settings, overrides: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    proc = WorkerProcess(overrides, tmp_path_factory.mktemp("worker") / "worker.log")
    wait_for_output(settings, proc)
    yield proc
    proc.stop()


@pytest.fixture
async def redis_conn(settings: Settings) -> AsyncIterator[aioredis.Redis]:
    client = redis_client(settings)
    yield client
    await client.aclose()


@pytest.fixture
async def producer(stack: Stack, settings: Settings) -> AsyncIterator[RecordProducer]:
    async with RecordProducer(settings) as producer:
        yield producer


@pytest.fixture
def match_id() -> str:
    return f"it-{uuid.uuid4().hex[:10]}"
