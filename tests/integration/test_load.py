"""`pitchside load` through the real pipeline: every frame and event it reports producing comes out
on Redis, labelled simulated."""

from __future__ import annotations

import json
import time
import uuid

import orjson
import redis
from click.testing import CliRunner

from models.settings import Settings
from stream.cli import cli

from .conftest import WorkerProcess, settings_env


def test_load_generator_output_flows_through_the_worker(
    worker: WorkerProcess, settings: Settings, overrides: dict[str, str]
) -> None:
    prefix = f"load{uuid.uuid4().hex[:6]}"
    args = ["load", "--matches", "3", "--hz", "25", "--duration", "3", "--id-prefix", prefix]
    result = CliRunner().invoke(cli, args, env=settings_env(overrides))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["frames"] >= 3 * 25 * 2  # at real-time pace: ~3 s x 25 Hz x 3 matches
    assert report["frames_per_s"] > 60

    client = redis.Redis.from_url(settings.redis_url)
    ids = [f"{prefix}-{i:04d}" for i in range(3)]
    deadline = time.monotonic() + 30
    totals: dict[str, int] = {}
    while time.monotonic() < deadline:
        totals = {"frame": 0, "event": 0}
        for kind in totals:
            for match_id in ids:
                raw = client.get(f"{settings.redis_prefix}:{match_id}:{kind}:latest")
                if raw is not None:
                    latest = orjson.loads(raw)
                    assert latest["simulated"] is True
                    totals[kind] += latest["seq"]
        if totals == {"frame": report["frames"], "event": report["events"]}:
            break
        time.sleep(0.2)
    client.close()
    assert totals == {"frame": report["frames"], "event": report["events"]}, worker.tail()
