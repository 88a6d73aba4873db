"""The worker's Prometheus metrics: what a scrape shows after real processing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from models.settings import Settings
from stream.app import WorkerParts, create_app
from stream.publisher import InMemoryPublisher
from tests.factories import encode, frame, pass_event


@pytest.fixture
async def parts() -> AsyncIterator[WorkerParts]:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", worker_web_port=0, app_id="unit-metrics")
    parts = create_app(settings, publisher_factory=InMemoryPublisher)
    parts.app.finalize()
    parts.app.flow_control.resume()
    yield parts


def scrape(parts: WorkerParts) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(parts.metrics.registry).decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_counts_dead_letters_models_and_latency_show_up_in_a_scrape(parts: WorkerParts) -> None:
    async with parts.agents["tracking"].test_context() as agent:
        for n in range(3):
            await agent.put(key=b"m1", value=encode(frame("m1", n)))
        await agent.put(key=b"m1", value=b"not json")
    async with parts.agents["events"].test_context() as agent:
        await agent.put(key=b"m1", value=encode(pass_event("m1", 0)))
    got = scrape(parts)
    assert got[("pitchside_frames_total", ())] == 3
    assert got[("pitchside_events_total", ())] == 1
    assert got[("pitchside_dead_letters_total", (("reason", "not_json"),))] == 1
    assert got[("pitchside_model_info", (("model", "xg"), ("version", "1")))] == 1  # the shipped baseline
    assert got[("pitchside_model_info", (("model", "lead"), ("version", "1")))] == 1
    # The in-memory publisher has no batch hook: observe a batch as the Redis publisher would.
    outputs = [o for ch in parts.publisher.channels.values() for o in ch]  # type: ignore[attr-defined]
    parts.metrics.on_batch(outputs, 0.001)
    await asyncio.sleep(0)
    after = scrape(parts)
    frames = [o for o in outputs if o.kind == "frame"]
    assert after[("pitchside_output_latency_seconds_count", (("kind", "frame"),))] == len(frames)
    assert after[("pitchside_output_latency_seconds_bucket", (("kind", "frame"), ("le", "+Inf")))] == len(
        frames
    )
