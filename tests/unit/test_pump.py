"""The pump without a broker: batches in partition order, gaps read back through the injected
fetch, malformed messages dead-lettered while the rest flows, checkpoints only of delivered outputs
and saved on a rebalance."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, NamedTuple

import pytest

from stream.contracts import Output
from stream.match.live import MatchLive
from stream.match.processing import MatchProcessor
from stream.match.state import StateStore
from stream.outputs.publisher import InMemoryPublisher, PublishStats
from stream.worker.checkpoint import Checkpointer
from stream.worker.ledger import InputLedger
from stream.worker.pump import Pump, frame_handler
from tests.factories import encode, frame

TOPIC = "tracking"


class Record(NamedTuple):
    """What Faust's message and aiokafka's record both have."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int = 0


def record(n: int, partition: int = 0, match_id: str = "m1", value: bytes | None = None) -> Record:
    body = encode(frame(match_id, n)) if value is None else value
    return Record(TOPIC, partition, n, match_id.encode(), body)


class HeldPublisher:
    """Keeps outputs and delivery callbacks until :meth:`deliver` (Redis taking its time)."""

    def __init__(self) -> None:
        self.stats = PublishStats()
        self.queue: list[Output | Callable[[], None]] = []
        self.delivered: list[Output] = []

    async def publish(self, output: Output) -> None:
        self.queue.append(output)

    async def publish_many(self, outputs: Any) -> None:
        self.queue.extend(outputs)

    def after_delivery(self, callback: Callable[[], None]) -> None:
        self.queue.append(callback)

    def pending(self) -> int:
        return sum(isinstance(i, Output) for i in self.queue)

    async def run(self) -> None:
        raise NotImplementedError

    async def flush(self) -> None:
        self.deliver()

    def deliver(self) -> None:
        for item in self.queue:
            if isinstance(item, Output):
                self.delivered.append(item)
            else:
                item()
        self.queue.clear()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Rig:
    def __init__(self, log: list[Record] | None = None, publisher: Any = None) -> None:
        self.states, self.offsets = StateStore(), StateStore()
        self.processor = MatchProcessor(self.states)
        self.ledger = InputLedger(self.offsets, self.processor.stats)
        self.publisher = publisher or InMemoryPublisher()
        self.clock = Clock()
        self.checkpointer = Checkpointer(
            self.processor, self.ledger, (self.states, self.offsets), self.publisher, 1.0, self.clock
        )
        self.dead: list[tuple[Any, str, str]] = []
        self.fetched: list[tuple[str, int, int, int]] = []
        self.log = log or []

        async def dead_letter(message: Any, reason: str, detail: str) -> None:
            self.dead.append((message, reason, detail))

        async def fetch(topic: str, partition: int, start: int, end: int) -> list[Any]:
            self.fetched.append((topic, partition, start, end))
            return [r for r in self.log if r.partition == partition and start <= r.offset < end]

        self.pump = Pump(self.ledger, self.publisher, dead_letter, fetch, self.checkpointer)
        self.handle = frame_handler(self.processor, 1 << 20)

    async def take(self, records: list[Record]) -> None:
        await self.pump.take(((r, 1) for r in records), self.handle)


def frames_of(publisher: InMemoryPublisher, match_id: str = "m1") -> list[tuple[int, int]]:
    return [(o.seq, o.data["frame"]) for o in publisher.channels[f"pitchside:{match_id}:frame"]]


async def test_a_batch_of_two_matches_comes_out_in_order_per_match() -> None:
    rig = Rig()
    await rig.take([record(0, 0, "m1"), record(0, 1, "m2"), record(1, 0, "m1"), record(1, 1, "m2")])
    assert frames_of(rig.publisher, "m1") == [(1, 0), (2, 1)]
    assert frames_of(rig.publisher, "m2") == [(1, 0), (2, 1)]
    assert rig.pump.taken == 4


async def test_a_gap_is_read_back_through_fetch_before_the_message_after_it() -> None:
    log = [record(n) for n in range(6)]
    rig = Rig(log)
    await rig.take(log[:2])
    await rig.take([log[5], log[2]])  # 2..4 never handed over; 2 again later
    assert rig.fetched == [(TOPIC, 0, 2, 5)]
    assert frames_of(rig.publisher) == [(n + 1, n) for n in range(6)]
    assert rig.processor.stats.replayed == 1


async def test_a_malformed_message_is_dead_lettered_and_the_batch_flows_on() -> None:
    rig = Rig()
    await rig.take([record(0), record(1, value=b"{broken"), record(2)])
    assert [(m.offset, reason) for m, reason, _ in rig.dead] == [(1, "not_json")]
    assert frames_of(rig.publisher) == [(1, 0), (2, 2)]
    assert rig.processor.stats.dead_letters == {"not_json": 1}


async def test_checkpoints_wait_for_the_interval_and_for_delivery() -> None:
    held = HeldPublisher()
    rig = Rig(publisher=held)
    await rig.take([record(0), record(1)])
    assert rig.states.writes == 0  # before the interval
    rig.clock.now = 1.0
    await rig.take([record(2)])
    assert rig.states.writes == 0  # taken, but the outputs are not in Redis yet
    held.deliver()
    assert rig.states.data["m1"]["through"] == {TOPIC: 2}
    assert rig.offsets.data[f"{TOPIC}:0"] == 2
    assert rig.states.data["m1"]["seqs"]["frame"] == 3
    rig.clock.now = 2.5
    await rig.take([])  # nothing changed: nothing written
    held.deliver()
    assert (rig.states.writes, rig.offsets.writes) == (1, 1)


async def test_after_a_crash_the_next_worker_resends_what_came_after_the_checkpoint_with_its_seq() -> None:
    log = [record(n) for n in range(8)]
    first = Rig(log, publisher=HeldPublisher())
    await first.take(log[:3])
    first.clock.now = 1.0
    await first.take(log[3:4])  # checkpoint through offset 3
    first.publisher.deliver()
    await first.take(log[4:8])
    first.publisher.deliver()  # Redis got 0..7; the worker dies before the next checkpoint
    second = Rig(log)
    second.states.data, second.offsets.data = first.states.data, first.offsets.data
    await second.take(log[2:8])  # the committed offset was 2
    resent = [(o.seq, o.data["frame"]) for o in second.publisher.channels["pitchside:m1:frame"]]
    sent = [(o.seq, o.data["frame"]) for o in first.publisher.delivered if o.kind == "frame"]
    assert resent == sent[4:] == [(5, 4), (6, 5), (7, 6), (8, 7)]


async def test_a_rebalance_saves_everything_delivered_and_forgets_it() -> None:
    rig = Rig()
    await rig.take([record(0), record(1)])
    flushed: list[bool] = []

    async def flush_changelog() -> None:
        flushed.append(True)

    await rig.checkpointer.save_and_forget(flush_changelog)
    assert flushed == [True]
    assert rig.states.data["m1"]["through"] == {TOPIC: 1}
    assert rig.processor.live("m1") is None  # forgotten: the next message reloads the checkpoint
    await rig.take([record(2)])
    assert frames_of(rig.publisher)[-1] == (3, 2)


async def test_a_rebalance_with_redis_away_keeps_the_last_checkpoint(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Stuck(HeldPublisher):
        async def flush(self) -> None:

            await asyncio.Event().wait()

    rig = Rig(publisher=Stuck())
    await rig.take([record(0)])

    async def flush_changelog() -> None:
        raise AssertionError("nothing to flush when nothing was saved")

    await rig.checkpointer.save_and_forget(flush_changelog, timeout_s=0.05)
    assert rig.states.writes == 0 and "the last checkpoint stands" in caplog.text
    assert rig.processor.live("m1") is None
    rig.publisher.deliver()  # Redis back after the partitions moved: the old checkpoint is dropped
    assert rig.states.writes == 0 and "dropped" in caplog.text


async def test_a_bug_on_one_frame_costs_that_frame_only(monkeypatch: pytest.MonkeyPatch) -> None:
    rig = Rig()
    original = MatchProcessor._frame_outputs

    def buggy(self: MatchProcessor, state: Any, live: Any, frame: Any, *rest: Any) -> list[Output]:
        if frame.frame == 1 and frame.match_id == "m1":
            raise ZeroDivisionError("a bug")
        return original(self, state, live, frame, *rest)

    monkeypatch.setattr(MatchProcessor, "_frame_outputs", buggy)
    await rig.take([record(0), record(0, 1, "m2"), record(1), record(1, 1, "m2"), record(2)])
    assert [(m.offset, reason) for m, reason, _ in rig.dead] == [(1, "processing_error")]
    assert frames_of(rig.publisher, "m1") == [(1, 0), (2, 2)]
    assert frames_of(rig.publisher, "m2") == [(1, 0), (2, 1)]


async def test_a_bug_while_preparing_one_frame_costs_that_frame_only(monkeypatch: pytest.MonkeyPatch) -> None:
    rig = Rig()
    original = MatchLive.prepare

    def buggy(self: MatchLive, frame: Any, counts: Any) -> Any:
        if frame.frame == 1 and frame.match_id == "m2":
            raise IndexError("a bug")
        return original(self, frame, counts)

    monkeypatch.setattr(MatchLive, "prepare", buggy)
    await rig.take([record(0), record(0, 1, "m2"), record(1), record(1, 1, "m2"), record(2, 1, "m2")])
    assert [(m.offset, m.partition, reason) for m, reason, _ in rig.dead] == [(1, 1, "processing_error")]
    assert frames_of(rig.publisher, "m1") == [(1, 0), (2, 1)]
    assert frames_of(rig.publisher, "m2") == [(1, 0), (2, 2)]
