"""xG through the real broker: every shot scored once, and a new production version taking over
while shots flow, without a restart, each output naming the version that scored it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.registry import ModelRegistry, open_registry
from models.settings import Settings
from stream.probe import wait_until_flowing
from stream.sources.producer import RecordProducer
from stream.stack import Stack
from stream.worker.app import redis_client
from tests.factories import live_shot

from .collect import Collector
from .conftest import WorkerProcess, isolated_names, production_copy


@pytest.fixture
def own_registry(stack: Stack, overrides: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """Topics, a group and a registry of this test's own (seeded with the shipped baseline)."""
    yield {
        **overrides,
        **isolated_names("itx"),
        "registry_dir": str(tmp_path / "registry"),
        "model_poll_s": "0.2",
    }


async def test_a_new_production_version_takes_over_mid_stream_and_every_shot_is_scored_once(
    own_registry: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(**own_registry)  # type: ignore[arg-type]
    registry: ModelRegistry = open_registry(settings)  # seeded: the shipped baseline is production
    baseline, v2 = production_copy(registry)
    registry.approve("xg", v2)
    match_id = f"xg-{uuid.uuid4().hex[:8]}"
    client = redis_client(settings)
    worker = WorkerProcess(own_registry, tmp_path / "worker.log")
    total = 120
    try:
        async with (
            RecordProducer(settings) as producer,
            Collector(client, settings.redis_prefix, match_id) as out,
        ):
            await wait_until_flowing(producer, client, prefix=settings.redis_prefix, timeout_s=90)
            for n in range(total):
                await producer.send(live_shot(match_id, n))
                await producer.flush()
                if n == total // 2:
                    registry.promote("xg", v2)  # while shots are in flight
                await asyncio.sleep(0.02)
            await out.until({"xg": total, "shot_context": total}, timeout_s=60, worker=worker)
            await out.drain(seconds=1.0)
    finally:
        worker.stop()
        await client.aclose()
    scored = out.by_kind["xg"]
    assert sorted(p["data"]["event_id"] for p in scored) == sorted(
        f"shot-{n}" for n in range(total)
    )  # once each
    versions = [p["model"]["version"] for p in scored]
    assert versions[0] == baseline.version and versions[-1] == v2
    # One switch, never back: every shot after the first v2 output was scored by v2.
    switch = versions.index(v2)
    assert set(versions[:switch]) == {baseline.version} and set(versions[switch:]) == {v2}
    assert switch >= total // 2  # not before the promotion
    assert [p["seq"] for p in scored] == list(range(1, total + 1))
    assert all(p["model"]["name"] == "xg" and 0.0 < p["data"]["xg"] < 1.0 for p in scored)
    assert all(len(p["data"]["explanation"]) == 3 for p in scored)
