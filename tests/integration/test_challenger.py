"""A challenger scored beside production through the real broker and Redis: graphics (every
channel of the match) get production's xg only; the comparison stream gets one record per shot,
naming both versions, and `pitchside models compare xg --live` sums them up."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from models.registry import ModelRegistry, open_registry
from models.settings import Settings
from stream.cli import cli
from stream.outputs.comparison import read_comparisons
from stream.probe import wait_until_flowing
from stream.sources.producer import RecordProducer
from stream.stack import Stack
from stream.worker.app import redis_client
from tests.factories import live_shot

from .collect import Collector
from .conftest import WorkerProcess, isolated_names, production_copy, settings_env


@pytest.fixture
def own(stack: Stack, overrides: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    yield {
        **overrides,
        **isolated_names("itc"),
        "registry_dir": str(tmp_path / "registry"),
        "redis_prefix": f"itc{uuid.uuid4().hex[:6]}",
    }


async def test_graphics_get_production_and_the_comparison_stream_gets_both(
    own: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings(**own)  # type: ignore[arg-type]
    registry: ModelRegistry = open_registry(settings)  # seeded: the shipped baseline is production
    baseline, v2 = production_copy(registry)
    registry.challenge("xg", v2, "the same booster: plumbing under test")
    match_id = f"xc-{uuid.uuid4().hex[:8]}"
    client = redis_client(settings)
    worker = WorkerProcess(own, tmp_path / "worker.log")
    total = 20
    try:
        async with (
            RecordProducer(settings) as producer,
            Collector(client, settings.redis_prefix, match_id) as out,
        ):
            await wait_until_flowing(producer, client, prefix=settings.redis_prefix, timeout_s=90)
            for n in range(total):
                shot = live_shot(match_id, n)
                outcome = "Goal" if n % 4 == 0 else "Saved"
                await producer.send(
                    msgspec.structs.replace(shot, shot=msgspec.structs.replace(shot.shot, outcome=outcome))
                )
            await producer.flush()
            await out.until({"xg": total}, timeout_s=60, worker=worker)
            await out.drain(seconds=1.0)
            compared = [
                c
                for c in await read_comparisons(client, settings.redis_prefix, "xg")
                if c.match_id == match_id
            ]
    finally:
        worker.stop()
        await client.aclose()
    assert "xg_challenger" not in out.by_kind  # graphics never see the challenger
    assert {p["model"]["version"] for p in out.by_kind["xg"]} == {baseline.version}
    assert sorted(c.data["event_id"] for c in compared) == sorted(f"shot-{n}" for n in range(total))
    assert all(c.data["production"]["version"] == baseline.version for c in compared)
    assert all(c.model is not None and c.model.version == v2 for c in compared)
    production = {p["data"]["event_id"]: p["data"]["xg"] for p in out.by_kind["xg"]}
    assert all(c.data["production"]["xg"] == production[c.data["event_id"]] for c in compared)
    assert sum(c.data["goal"] for c in compared) == total // 4
    # In a thread: the command runs its own event loop.
    args = ["models", "compare", "xg", "--live", "--json"]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=settings_env(own))
    assert result.exception is None, result.output
    [row] = [json.loads(line) for line in result.output.splitlines()]
    assert (row["production"], row["challenger"], row["scored"], row["with_outcome"]) == (
        baseline.version,
        v2,
        total,
        total,
    )
    # The same booster on both sides: the same figures.
    assert row["mean_abs_difference"] == 0 and row["production_log_loss"] == row["challenger_log_loss"]
