"""The consumer's hand-off of fetched messages, without a broker: a plain await when nothing can hold
a delivery up, Faust's interruptible ``wait_first`` otherwise, and Faust's read-offset, gap and
commit bookkeeping kept. The whole consumer runs against the real broker in the integration tests
(restarts, scale-out, rebalances)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from models.settings import Settings
from stream.outputs.publisher import InMemoryPublisher
from stream.worker.app import create_app
from stream.worker.consumer import DirectDeliveryConsumer, DirectDeliveryTransport, InLoopConsumerThread


class FakeConsumer:
    """Just what the hand-off reads and calls on Faust's consumer, with the hand-off itself."""

    _deliver = DirectDeliveryConsumer._deliver
    _deliver_all = DirectDeliveryConsumer._deliver_all

    def __init__(self, *, flow_active: bool = True, suspended: bool = False, buffered: int = 0) -> None:
        flow = SimpleNamespace(is_active=lambda: flow_active)
        buffer = SimpleNamespace(size=buffered, max_messages=100)
        topics = SimpleNamespace(acks_enabled_for=lambda topic: True)
        self.app = SimpleNamespace(flow_control=flow, producer=SimpleNamespace(buffer=buffer), topics=topics)
        self.suspend_flow = asyncio.Event()
        if suspended:
            self.suspend_flow.set()
        self.delivered: list[Any] = []
        self.waited_first = 0
        self.gaps: list[tuple[int, int]] = []
        self.commits = 0
        self._read_offset: dict[Any, int | None] = {"tp": None}
        self._commit_every: int | None = None
        self._n_acked = 0

    async def callback(self, message: Any) -> None:
        self.delivered.append(message)

    async def wait_first(self, *coros: Any) -> None:
        self.waited_first += 1
        await coros[0]
        coros[1].close()

    async def _add_gap(self, tp: Any, start: int, end: int) -> None:
        self.gaps.append((start, end))

    async def commit(self) -> None:
        self.commits += 1


def message(offset: int) -> Any:
    return SimpleNamespace(offset=offset, topic="tracking")


async def fetched(*offsets: int) -> AsyncIterator[tuple[str, Any]]:
    for offset in offsets:
        yield "tp", message(offset)


async def deliver(consumer: FakeConsumer, offset: int) -> None:
    await consumer._deliver(message(offset))


async def test_a_message_goes_straight_to_the_conductor_when_nothing_can_block_it() -> None:
    consumer = FakeConsumer()
    await deliver(consumer, 7)
    assert [m.offset for m in consumer.delivered] == [7]
    assert consumer.waited_first == 0


@pytest.mark.parametrize(
    "state",
    [{"flow_active": False}, {"suspended": True}, {"buffered": 101}],
    ids=["flow-suspended", "consumer-suspended", "producer-buffer-full"],
)
async def test_a_delivery_that_could_block_stays_interruptible(state: dict[str, Any]) -> None:
    consumer = FakeConsumer(**state)
    await deliver(consumer, 7)
    assert consumer.waited_first == 1
    assert [m.offset for m in consumer.delivered] == [7]


async def test_offsets_already_read_are_skipped_and_read_offsets_advance() -> None:
    consumer = FakeConsumer()
    await consumer._deliver_all(fetched(3, 4))
    await consumer._deliver_all(fetched(2, 4, 5))
    assert [m.offset for m in consumer.delivered] == [3, 4, 4, 5]  # 4 again: Faust's rule is >= read
    assert consumer._read_offset["tp"] == 5


async def test_a_hole_in_the_offsets_is_recorded_as_a_gap_for_commits() -> None:
    consumer = FakeConsumer()
    await consumer._deliver_all(fetched(3, 4, 9))
    assert consumer.gaps == [(5, 9)]


async def test_commits_every_n_acks_as_faust_does() -> None:
    consumer = FakeConsumer()
    consumer._commit_every, consumer._n_acked = 2, 2
    await consumer._deliver_all(fetched(1))
    assert consumer.commits == 1
    assert consumer._n_acked == 0


def test_the_worker_app_consumes_through_the_direct_delivery_consumer() -> None:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", worker_web_port=0, app_id="unit")
    parts = create_app(settings, publisher_factory=InMemoryPublisher)
    assert isinstance(parts.app.transport, DirectDeliveryTransport)
    assert isinstance(parts.app.consumer, DirectDeliveryConsumer)


def unit_app_consumer() -> Any:
    settings = Settings(kafka_bootstrap="127.0.0.1:1", worker_web_port=0, app_id="unit")
    return create_app(settings, publisher_factory=InMemoryPublisher).app.consumer


def test_the_kafka_client_runs_on_the_workers_loop_not_in_a_thread() -> None:
    consumer = unit_app_consumer()
    assert isinstance(consumer._thread, InLoopConsumerThread)
    assert consumer._thread.thread_loop is consumer.loop


async def test_calls_for_the_kafka_client_run_at_once_on_the_calling_loop() -> None:
    thread = unit_app_consumer()._thread
    ran_on: list[tuple[threading.Thread, asyncio.AbstractEventLoop | None]] = []

    async def coroutine_call(value: int) -> int:
        ran_on.append((threading.current_thread(), asyncio.get_running_loop()))
        return value + 1

    def plain_call(value: int) -> int:
        return value * 2

    # Through a thread's method queue these would never run: none is started in a unit test.
    assert await asyncio.wait_for(thread.call_thread(coroutine_call, 1), timeout=5) == 2
    assert await asyncio.wait_for(thread.call_thread(plain_call, value=4), timeout=5) == 8
    assert ran_on == [(threading.current_thread(), asyncio.get_running_loop())]
    assert thread._thread is None  # no thread was ever started
