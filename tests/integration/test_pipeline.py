"""Through the real broker, a real worker process and real Redis: what goes into Kafka comes out on
Redis pub/sub and in the latest-state keys, in order, with correct seq; malformed input goes to the
dead-letter topic while the good messages after it still flow."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from aiokafka import AIOKafkaConsumer  # type: ignore[import-untyped]

from models.registry import open_registry
from models.settings import Settings
from stream.contracts import DeadLetterHeaders, PitchEvent
from stream.outputs.feed import LiveFeed, SeqStatus
from stream.outputs.publisher import latest_key
from stream.sources.pacing import send_paced
from stream.sources.producer import RecordProducer
from stream.sources.replay import resolve_match
from stream.sources.replay_plan import plan_match
from stream.sources.statsbomb import load_events
from tests.factories import encode, frame, pass_event, pitch_body

from .collect import Collector
from .conftest import WorkerProcess


async def test_frames_and_events_come_out_in_order_with_seq(
    worker: WorkerProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
) -> None:
    sent: list[int] = []
    async with Collector(redis_conn, settings.redis_prefix, match_id) as out:
        for n in range(60):
            record = frame(match_id, n, ts=time.time_ns() // 1_000_000)
            sent.append(record.ts)
            await producer.send(record)
            if n % 6 == 0:
                await producer.send(pass_event(match_id, n // 6))
        await producer.flush()
        # Stats come with the first frame and then each frame at least 500 ms of match time later.
        due = [sent[0]]
        for ts in sent:
            if ts - due[-1] >= 500:
                due.append(ts)
        expected = {"frame": 60, "event": 10, "player_stats": len(due), "team_stats": len(due)}
        await out.until(expected, timeout_s=30, worker=worker)
        await out.drain(seconds=0.5)
    assert {k: len(out.by_kind[k]) for k in expected} == expected
    for kind in ("player_stats", "team_stats"):
        assert [p["event_ts"] for p in out.by_kind[kind]] == due
        assert [p["seq"] for p in out.by_kind[kind]] == list(range(1, len(due) + 1))
    players = out.by_kind["player_stats"][-1]["data"]["players"]
    assert {p["id"] for p in players} == {"h1", "a9"}  # the ball is not a player

    frames, events = out.by_kind["frame"], out.by_kind["event"]
    assert [p["seq"] for p in frames] == list(range(1, 61))
    assert [p["data"]["frame"] for p in frames] == list(range(60))
    assert [p["seq"] for p in events] == list(range(1, 11))
    assert [p["data"]["event_id"] for p in events] == [f"e{i}" for i in range(10)]
    for p in frames + events:
        assert p["match_id"] == match_id
        assert p["produced_ts"] <= p["ingest_ts"] <= p["published_ts"]

    latest = orjson.loads(await redis_conn.get(latest_key(settings.redis_prefix, match_id, "frame")))
    assert (latest["seq"], latest["data"]["frame"]) == (60, 59)
    latest_event = orjson.loads(await redis_conn.get(latest_key(settings.redis_prefix, match_id, "event")))
    assert latest_event["seq"] == 10
    assert await redis_conn.ttl(latest_key(settings.redis_prefix, match_id, "frame")) > 0


async def test_a_late_joiner_gets_the_latest_state_then_follows_without_duplicates(
    worker: WorkerProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
) -> None:
    async with Collector(redis_conn, settings.redis_prefix, match_id) as early:
        for n in range(5):
            await producer.send(frame(match_id, n, ts=time.time_ns() // 1_000_000))
        await producer.flush()
        await early.until({"frame": 5}, timeout_s=30, worker=worker)

    feed = LiveFeed(redis_conn, prefix=settings.redis_prefix, match_id=match_id)
    seen: list[tuple[int, SeqStatus, bool]] = []
    # The feed subscribes before it reads the snapshot: its first item means it is listening.
    listening = asyncio.Event()

    async def follow() -> None:
        async for item in feed.follow(idle_timeout_s=5):
            listening.set()
            if item.payload["kind"] != "frame":  # stats come along too; this test follows frames
                continue
            seen.append((item.payload["seq"], item.status, item.from_snapshot))
            if item.payload["seq"] == 8:
                return

    follower = asyncio.create_task(follow())
    await asyncio.wait_for(listening.wait(), timeout=10)
    for n in range(5, 8):
        await producer.send(frame(match_id, n, ts=time.time_ns() // 1_000_000))
    await producer.flush()
    await asyncio.wait_for(follower, timeout=30)
    assert seen[0] == (5, SeqStatus.NEW, True)  # the latest state, at once
    assert [(s, st) for s, st, snap in seen if not snap] == [
        (6, SeqStatus.NEW),
        (7, SeqStatus.NEW),
        (8, SeqStatus.NEW),
    ]


async def _dead_letters(settings: Settings, mark: bytes, wanted: int, timeout_s: float) -> list[Any]:
    """Read the dead-letter topic from the beginning (a consumer group of its own) until ``wanted``
    records containing ``mark`` have been found."""
    consumer = AIOKafkaConsumer(
        settings.topic_deadletter,
        bootstrap_servers=settings.kafka_bootstrap,
        group_id=f"dlq-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        found: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while len(found) < wanted and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found.extend(r for r in records if mark in r.value)
        return found
    finally:
        await consumer.stop()


async def test_malformed_messages_go_to_the_dead_letter_topic_and_good_ones_still_flow(
    worker: WorkerProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
) -> None:
    key = match_id.encode()
    now = time.time_ns() // 1_000_000
    beyond_fence = encode(frame(match_id, 2, ts=now)).replace(b'"x":-50.0', b'"x":-300.0')
    # A keeper 90 m out is a tracking glitch, not a bad message: left out, the frame still used.
    off_pitch = encode(frame(match_id, 5, ts=now)).replace(b'"x":-50.0', b'"x":-90.0')
    bad: list[tuple[bytes, bytes, str]] = [
        (key, b"{this is not json " + key, "not_json"),
        (key, beyond_fence, "invalid"),
        (b"some-other-match", encode(frame(match_id, 3)), "key_mismatch"),
    ]
    async with Collector(redis_conn, settings.redis_prefix, match_id) as out:
        await producer.send(frame(match_id, 0, ts=now))
        for k, value, _ in bad:
            await producer.send_raw(settings.topic_tracking, k, value)
        await producer.send_raw(settings.topic_tracking, key, off_pitch)
        await producer.send_raw(settings.topic_events, key, b'{"match_id": "' + key + b'", "type": 3}')
        for n in range(1, 4):
            await producer.send(frame(match_id, 10 + n, ts=time.time_ns() // 1_000_000))
        await producer.flush()
        await out.until({"frame": 5}, timeout_s=30, worker=worker)
    assert [p["data"]["frame"] for p in out.by_kind["frame"]] == [0, 5, 11, 12, 13]
    assert [p["seq"] for p in out.by_kind["frame"]] == [1, 2, 3, 4, 5]
    glitched = out.by_kind["frame"][1]["data"]["objects"]
    assert [o["id"] for o in glitched] == ["a9"]  # the keeper 'h1' left out, the player kept

    letters = await _dead_letters(settings, mark=match_id.encode(), wanted=4, timeout_s=30)
    by_source = {
        (
            dict(r.headers)[DeadLetterHeaders.SOURCE_TOPIC].decode(),
            dict(r.headers)[DeadLetterHeaders.REASON].decode(),
        ): r
        for r in letters
    }
    assert len(letters) == 4
    assert (settings.topic_events, "invalid") in by_source
    for k, value, reason in bad:
        record = by_source[(settings.topic_tracking, reason)]
        assert record.value == value  # the original bytes, unchanged
        assert record.key == k
        headers = dict(record.headers)
        assert int(headers[DeadLetterHeaders.SOURCE_OFFSET]) >= 0
        assert int(headers[DeadLetterHeaders.SOURCE_PARTITION]) in range(settings.topic_partitions)
    invalid = by_source[(settings.topic_tracking, "invalid")]
    assert "$.objects[1].x" in dict(invalid.headers)[DeadLetterHeaders.DETAIL].decode()


@pytest.mark.parametrize("tracking_hz", [1.0])
async def test_a_replayed_real_match_produces_one_output_per_event_and_frame(
    worker: WorkerProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
    tracking_hz: float,
) -> None:
    source = resolve_match(settings, "8658")
    events = load_events(source.path)
    plan = plan_match(
        events, match_id, kickoff_ms=time.time_ns() // 1_000_000, tracking_hz=tracking_hz, home_team="France"
    )
    # Expected counts from the source itself: one event output per StatsBomb event, one frame output
    # per simulated frame (every frame is newer than the one before, so none is stale).
    expected_frames = plan.frames
    assert plan.events == len(events)
    assert expected_frames > 90 * 60 * tracking_hz
    async with Collector(redis_conn, settings.redis_prefix, match_id) as out:
        report = await send_paced(producer, (m.record for m in plan), speed=0)
        assert (report.events, report.frames) == (len(events), expected_frames)
        await out.until({"event": len(events), "frame": expected_frames}, timeout_s=120, worker=worker)
    assert [p["seq"] for p in out.by_kind["event"]] == list(range(1, len(events) + 1))
    assert [p["seq"] for p in out.by_kind["frame"]] == list(range(1, expected_frames + 1))
    shots = [p for p in out.by_kind["event"] if p["data"]["type"] == "shot"]
    assert len(shots) == sum(e["type"]["name"] == "Shot" for e in events)
    # Every shot's context came too: from its own (real) freeze frame, never the simulated tracking.
    await out.until({"shot_context": len(shots), "xg": len(shots)}, timeout_s=30, worker=worker)
    production = open_registry(settings).production("xg")
    assert production is not None
    scored = out.by_kind["xg"]
    assert [p["data"]["event_id"] for p in scored] == [p["data"]["event_id"] for p in shots]
    assert {(p["model"]["name"], p["model"]["version"]) for p in scored} == {("xg", production.version)}
    penalties = {
        e["id"] for e in events if e["type"]["name"] == "Shot" and e["shot"]["type"]["name"] == "Penalty"
    }
    for p in scored:
        assert p["data"]["method"] == ("penalty_rate" if p["data"]["event_id"] in penalties else "model")
    contexts = out.by_kind["shot_context"]
    assert [c["data"]["event_id"] for c in contexts] == [p["data"]["event_id"] for p in shots]
    with_freeze = {e["id"] for e in events if e["type"]["name"] == "Shot" and e["shot"].get("freeze_frame")}
    for c in contexts:
        if c["data"]["event_id"] in with_freeze:
            assert c["data"]["source"] == "freeze_frame" and not c["simulated"]
        else:  # at 1 Hz the simulated frame nearest the shot may be beyond the 500 ms limit
            assert c["data"]["source"] in ("tracking", "location_only")
            assert c["simulated"] == (c["data"]["source"] == "tracking")
        assert c["data"]["features"]["distance_m"] > 0.0
    assert all(p["simulated"] for p in out.by_kind["frame"])
    assert not any(p["simulated"] for p in out.by_kind["event"])
    # What a scoreboard graphic binds to: the final score, the teams and the scorers by name.
    board = out.by_kind["match"][-1]["data"]
    assert board["teams"] == {"home": {"name": "France"}, "away": {"name": "Croatia"}}
    assert board["score"] == {"home": 4, "away": 2} and board["period"] == 2
    assert [len(board["lineup"][side]) for side in ("home", "away")] == [11, 11]
    assert all(p["data"]["player"]["name"] for p in scored)
    assert {p["v"] for kind in out.by_kind.values() for p in kind} == {2}


async def test_replaying_a_match_again_supersedes_the_earlier_run(
    worker: WorkerProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
) -> None:
    events = load_events(resolve_match(settings, "8658").path)
    now = time.time_ns() // 1_000_000
    # Ten match minutes each; the second run kicks off one minute after the first, so its event
    # times start well before the first run's last frame (as when a fast replay is run twice).
    first = plan_match(events, match_id, kickoff_ms=now, tracking_hz=1.0).until(10)
    second = plan_match(events, match_id, kickoff_ms=now + 60_000, tracking_hz=1.0).until(10)
    async with Collector(redis_conn, settings.redis_prefix, match_id) as out:
        await send_paced(producer, (m.record for m in first), speed=0)
        await send_paced(producer, (m.record for m in second), speed=0)
        await out.until({"frame": first.frames + second.frames}, timeout_s=60, worker=worker)
    frames = out.by_kind["frame"]
    assert [p["data"]["frame"] for p in frames] == list(range(first.frames)) + list(range(second.frames))
    assert [p["seq"] for p in frames] == list(range(1, first.frames + second.frames + 1))


async def test_a_pitch_with_a_runner_yields_one_21_point_curve_on_redis(
    worker: WorkerProcess,
    settings: Settings,
    producer: RecordProducer,
    redis_conn: aioredis.Redis,
    match_id: str,
) -> None:
    # Kershaw's 0-1 curveball; runner and catcher ids as in the reference files (looked up there).
    body = pitch_body(
        pitcher_id="477132",
        catcher_id="605131",
        runner_id="682829",
        runner_lead_ft=12.7,
        pitch_type="CU",
        velo_mph=73.1,
        balls=0,
        strikes=1,
    )
    pitch = PitchEvent(
        match_id=match_id, event_id="p-1", ts=time.time_ns() // 1_000_000, type="pitch", pitch=body
    )
    async with Collector(redis_conn, settings.redis_prefix, match_id) as out:
        await producer.send(pitch)
        await producer.flush()
        await out.until({"lead_curve": 1, "pitch_context": 1}, timeout_s=30, worker=worker)
        await out.drain(seconds=1.0)
    [curve] = out.by_kind["lead_curve"]
    probabilities = curve["data"]["probabilities"]
    assert len(probabilities) == 21 and probabilities == sorted(probabilities)  # monotone in the lead
    assert curve["data"]["leads_ft"] == [float(v) for v in range(21)]
    assert curve["model"]["name"] == "lead" and curve["seq"] == 1
    assert curve["data"]["current_lead_ft"] == 12.7
    context = out.by_kind["pitch_context"][0]["data"]
    assert context["sprint_speed_from"] == "reference" and context["pop_time_from"] == "reference"
