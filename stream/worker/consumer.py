"""Faust's Kafka consumer with a cheaper hand-off of each fetched message.

Faust's fetch loop hands every message to the conductor inside ``wait_first(deliver, suspended)``:
four tasks and an ``asyncio.wait`` per message, so a rebalance can abandon a delivery that is stuck
waiting. That is most of Faust's own cost per message (about 150-200 µs of the ~600 µs a full frame
took, ``benchmarks.capacity``). Here a message is delivered with a plain ``await`` whenever nothing
can hold the delivery up: flow is on (no rebalance under way) and the producer buffer (changelog
writes) is under its limit. Otherwise it goes through ``wait_first`` exactly as in Faust, so a
rebalance still interrupts a stuck delivery. Everything else (fetching, read offsets, offset gaps,
commits, acks, the streams' stale-generation checks) is Faust's, unchanged.

The aiokafka client itself runs on the worker's event loop (:class:`InLoopConsumerThread`), not in
Faust's consumer thread. In a thread, every fetch and every hand-back to the main loop waited for the
GIL while the main thread computed features: at 50 live matches fetches lagged until the worker sat
seconds behind (``benchmarks.capacity`` sweep). On one loop a fetch is a coroutine like any other.

Installed with :func:`install` on a new app, before its topics, tables or agents are made.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka
from mode import Service
from mode.utils.futures import maybe_async

__all__ = ["DirectDeliveryConsumer", "InLoopConsumerThread", "install"]


class InLoopConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's aiokafka consumer "thread", run as a plain service on the caller's event loop.

    Faust reaches the aiokafka client only through ``call_thread`` (subscribe, fetch, commit, seek,
    offsets) and the rebalance listener, so with the thread's loop being the main loop a call is a
    direct await, and the rebalance callbacks go through Faust's method queue on the same loop.
    Start and stop are :class:`mode.Service`'s: the thread variants wait for a thread that is never
    made here.
    """

    wait_for_shutdown = False  # nothing else sets _shutdown: there is no thread to report it

    def __init__(self, consumer: Any, *, loop: asyncio.AbstractEventLoop, **kwargs: Any) -> None:
        super().__init__(consumer, loop=loop, thread_loop=loop, **kwargs)
        # In Faust's thread a fetch and a rebalance callback queue for the one thread, so they
        # never overlap. On one loop they would: a fetch begun before a rebalance then hands over
        # records of the old assignment after it, the streams drop them as stale, and their
        # offsets are taken as read, so a partition the worker kept went silent (a second worker
        # joining stopped half the matches). The lock keeps them apart, as the thread did.
        self._rebalance_lock = asyncio.Lock()

    async def getmany(self, active_partitions: Any, timeout: float) -> Any:  # noqa: ASYNC109 (Faust's signature)
        async with self._rebalance_lock:
            return await super().getmany(active_partitions, timeout)

    async def on_partitions_revoked(self, revoked: Any) -> None:
        async with self._rebalance_lock:
            await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: Any, generation_id: int = 0) -> None:
        async with self._rebalance_lock:
            await super().on_partitions_assigned(assigned, generation_id)

    async def start(self) -> None:
        self._thread_started.set()
        await Service.start(self)
        await self.on_thread_started()

    async def stop(self) -> None:
        await Service.stop(self)

    async def _stop_children(self) -> None:
        await self.on_thread_stop()  # the method queue, then the aiokafka client
        await self._default_stop_children()

    async def _stop_futures(self) -> None:
        await self._default_stop_futures()

    async def _stop_exit_stacks(self) -> None:
        await self._default_stop_exit_stacks()

    async def on_shutdown(self) -> None:
        self._shutdown.set()

    async def call_thread(self, fun: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        # Faust's method queue runs what it is given through maybe_async too: some calls are plain.
        return await maybe_async(fun(*args, **kwargs))


class DirectDeliveryConsumer(faust_aiokafka.Consumer):
    """The aiokafka driver's consumer, on the worker's loop, with a cheaper per-message hand-off."""

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return InLoopConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _drain_messages(self, fetcher: Any) -> None:
        try:
            while not (self._stopped.is_set() or fetcher._stopped.is_set()):
                fetched = self.getmany(timeout=1.0)
                await asyncio.sleep(0)  # getmany may return at once, again and again
                if not self.should_stop:
                    await self._deliver_all(fetched)
        except self.consumer_stopped_errors:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Broker stopped consumer, shutting down...")
        except asyncio.CancelledError:
            if not self.transport.app.should_stop:
                raise
            self.log.info("Consumer shutting down for user cancel.")
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise

    async def _deliver_all(self, fetched: Any) -> None:
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        async for tp, message in fetched:
            offset = message.offset
            last = read_offset[tp]
            if last is not None and offset < last:
                continue  # already delivered (Faust drops these too)
            # Offsets a transactional producer or compaction left out must not hold commits back.
            if last and offset - last > 1 and acks_enabled_for(message.topic):
                await self._add_gap(tp, last + 1, offset)
            commit_every = self._commit_every
            if commit_every is not None and self._n_acked >= commit_every:
                self._n_acked = 0
                await self.commit()
            await self._deliver(message)
            read_offset[tp] = offset

    async def _deliver(self, message: Any) -> None:
        app = self.app
        buffer = app.producer.buffer
        if (
            app.flow_control.is_active()
            and not self.suspend_flow.is_set()
            and buffer.size <= buffer.max_messages
        ):
            # Neither of the conductor's waits (flow control, producer ebb) can block now. A full
            # stream queue still can; a rebalance clears those queues, which frees it.
            await self.callback(message)
        else:
            await self.wait_first(self.callback(message), self.suspend_flow.wait())


class DirectDeliveryTransport(faust_aiokafka.Transport):
    Consumer = DirectDeliveryConsumer


def install(app: Any) -> None:
    """Make ``app`` consume through :class:`DirectDeliveryConsumer` (before anything uses its
    transport: topics, tables and agents reach it through ``app.topics``)."""
    app.transport = DirectDeliveryTransport(app.conf.broker_consumer, app)
