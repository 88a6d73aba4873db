"""Faust's Kafka consumer with a cheaper hand-off of each fetched message.

Faust's fetch loop hands every message to the conductor inside ``wait_first(deliver, suspended)``:
four tasks and an ``asyncio.wait`` per message, so a rebalance can abandon a delivery that is stuck
waiting. That is most of Faust's own cost per message (about 150-200 µs of the ~600 µs a full frame
took, ``benchmarks.capacity``). Here a message is delivered with a plain ``await`` whenever nothing
can hold the delivery up: flow is on (no rebalance under way) and the producer buffer (changelog
writes) is under its limit. Otherwise it goes through ``wait_first`` exactly as in Faust, so a
rebalance still interrupts a stuck delivery. Everything else (fetching, read offsets, offset gaps,
commits, acks, the streams' stale-generation checks) is Faust's, unchanged.

Installed with :func:`install` on a new app, before its topics, tables or agents are made.
"""

from __future__ import annotations

import asyncio
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["DirectDeliveryConsumer", "install"]


class DirectDeliveryConsumer(faust_aiokafka.Consumer):
    """The aiokafka driver's consumer; only the per-message hand-off in the fetch loop differs."""

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
