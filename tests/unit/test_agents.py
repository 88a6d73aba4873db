"""The Faust agents without a broker: Faust's ``test_context()`` feeds messages straight into an
agent; outputs land in the in-memory publisher behind the same Protocol as Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from models.settings import Settings
from stream.outputs.publisher import InMemoryPublisher
from stream.worker.app import WorkerParts, create_app
from stream.worker.topics import TABLES, changelog_topics
from tests.factories import encode, frame, pass_event


@pytest.fixture
async def parts() -> AsyncIterator[WorkerParts]:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", worker_web_port=0, app_id="unit")
    parts = create_app(settings, publisher_factory=InMemoryPublisher)
    parts.app.finalize()
    parts.app.flow_control.resume()
    yield parts


async def test_frames_flow_to_the_publisher_in_order(parts: WorkerParts) -> None:
    async with parts.agents["tracking"].test_context() as agent:
        for n in range(3):
            await agent.put(key=b"m1", value=encode(frame("m1", n)))
    published = parts.publisher.channels["pitchside:m1:frame"]  # type: ignore[attr-defined]
    assert [o.seq for o in published] == [1, 2, 3]
    assert [o.data["frame"] for o in published] == [0, 1, 2]


async def test_events_flow_to_the_publisher(parts: WorkerParts) -> None:
    async with parts.agents["events"].test_context() as agent:
        await agent.put(key=b"m1", value=encode(pass_event("m1", 0)))
    published = parts.publisher.channels["pitchside:m1:event"]  # type: ignore[attr-defined]
    assert [(o.seq, o.data["type"]) for o in published] == [(1, "pass")]


async def test_a_malformed_message_is_dead_lettered_and_the_next_one_flows(
    parts: WorkerParts, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[dict[str, object]] = []

    async def capture_send(**kwargs: object) -> None:
        sent.append(kwargs)

    monkeypatch.setattr(parts.topics["deadletter"], "send", capture_send)
    async with parts.agents["tracking"].test_context() as agent:
        await agent.put(key=b"m1", value=b"{broken")
        await agent.put(key=b"m1", value=encode(frame("m1", 0)))
    assert parts.processor.stats.dead_letters == {"not_json": 1}
    assert len(sent) == 1
    headers = sent[0]["headers"]
    assert isinstance(headers, dict)
    assert headers["pitchside.reason"] == b"not_json"
    assert sent[0]["value"] == b"{broken"
    published = parts.publisher.channels["pitchside:m1:frame"]  # type: ignore[attr-defined]
    assert [o.seq for o in published] == [1]


def test_the_changelogs_created_up_front_are_the_ones_the_tables_use(parts: WorkerParts) -> None:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", worker_web_port=0, app_id="unit")
    used = sorted(table.changelog_topic.get_topic_name() for table in parts.app.tables.values())
    assert used == sorted(changelog_topics(settings))
    assert sorted(parts.app.tables) == sorted(TABLES)
