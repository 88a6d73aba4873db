"""The pump: takes input messages from Kafka in batches and turns them into outputs, in order.

Per batch it admits each message against the input ledger (skips repeats, reads gaps back from
Kafka first), decodes it, runs it through the processor, dead-letters what is malformed, publishes
the batch's outputs in one go, tells the metrics the batch is done and lets the checkpointer save.
Kafka is reached only through the injected ``fetch`` (gap fill) and ``dead_letter`` callables, so
the pump runs in unit tests without a broker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple, Protocol

from ..contracts import Output
from ..decode import PROCESSING_ERROR, DecodeError, decode_event, decode_frame
from ..match.processing import MatchProcessor, Received, Source
from ..outputs.publisher import Publisher, now_ms
from .checkpoint import Checkpointer
from .ledger import Admit, InputLedger

__all__ = ["DeadLetter", "Handler", "Pump", "event_handler", "frame_handler"]

log = logging.getLogger(__name__)

# One decoded message through the processor: (value, key, when, where) -> outputs.
Handler = Callable[[bytes | None, bytes | None, Received, Source], list[Output]]
# Read offsets ``start <= offset < end`` of one topic partition straight from Kafka.
FetchRange = Callable[[str, int, int, int], Awaitable[list[Any]]]


class DeadLetter(NamedTuple):
    message: Any
    reason: str
    detail: str


class DeadLetterSink(Protocol):
    async def __call__(self, message: Any, reason: str, detail: str) -> None: ...


class BatchObserver(Protocol):
    def batch_done(self) -> None:
        """A batch has been processed: record what was gathered while processing it."""


def frame_handler(processor: MatchProcessor, max_bytes: int) -> Handler:
    def handle(value: bytes | None, key: bytes | None, received: Received, source: Source) -> list[Output]:
        return processor.on_frame(decode_frame(value, key, max_bytes), received, source)

    return handle


def event_handler(processor: MatchProcessor, max_bytes: int) -> Handler:
    def handle(value: bytes | None, key: bytes | None, received: Received, source: Source) -> list[Output]:
        return processor.on_event(decode_event(value, key, max_bytes), received, source)

    return handle


class Pump:
    """Everything between Faust's stream and the publisher, for both input topics."""

    def __init__(
        self,
        ledger: InputLedger,
        publisher: Publisher,
        dead_letter: DeadLetterSink,
        fetch: FetchRange,
        checkpointer: Checkpointer | None = None,
        observer: BatchObserver | None = None,
    ) -> None:
        self.ledger = ledger
        self.publisher = publisher
        self.dead_letter = dead_letter
        self.fetch = fetch
        self.checkpointer = checkpointer
        self.observer = observer
        self.taken = 0  # messages taken in, over all batches
        self._batch_done = asyncio.Condition()

    async def wait_taken(self, count: int, timeout_s: float = 10.0) -> None:
        """Return once ``count`` messages have been taken in (and their batches finished)."""
        async with self._batch_done:
            await asyncio.wait_for(self._batch_done.wait_for(lambda: self.taken >= count), timeout_s)

    async def consume(self, stream: Any, handle: Handler, batch_max: int, within_s: float) -> None:
        """An agent's loop: batches of up to ``batch_max`` messages, or what came within ``within_s``."""
        async for events in stream.take_events(batch_max, within_s):
            # Faust gives the Kafka record timestamp in seconds (producer create time by default).
            await self.take(((e.message, int((e.message.timestamp or 0) * 1000)) for e in events), handle)

    async def take(self, messages: Iterable[tuple[Any, int]], handle: Handler) -> None:
        """One batch of ``(message, produced epoch ms)``, in partition order."""
        outputs: list[Output] = []
        dead: list[DeadLetter] = []
        taken = 0
        for message, produced_ms in messages:
            taken += 1
            action, first = self.ledger.admit(message.topic, message.partition, message.offset)
            if action is Admit.REPLAYED:
                continue
            if action is Admit.FILL:
                await self._fill(message, first, handle, outputs, dead)
                action, _ = self.ledger.admit(message.topic, message.partition, message.offset)
                if action is not Admit.PROCESS:  # cannot happen after accept_gap; never process twice
                    continue
            self._process(message, produced_ms, handle, outputs, dead)
        if outputs:
            await self.publisher.publish_many(outputs)
        for letter in dead:
            self.ledger.stats.dead_letters[letter.reason] += 1
            await self.dead_letter(*letter)
        if self.observer is not None:
            self.observer.batch_done()
        if self.checkpointer is not None:
            self.checkpointer.maybe()
        self.taken += taken
        async with self._batch_done:
            self._batch_done.notify_all()

    def _process(
        self,
        message: Any,
        produced_ms: int,
        handle: Handler,
        outputs: list[Output],
        dead: list[DeadLetter],
    ) -> None:
        """One admitted message (from Faust, or a record read to fill a gap)."""
        received = Received(produced_ts=produced_ms, ingest_ts=now_ms())
        source = Source(message.topic, message.partition, message.offset)
        try:
            outputs.extend(handle(message.value, message.key, received, source))
        except DecodeError as err:
            dead.append(DeadLetter(message, err.reason, err.detail))
        except Exception as err:  # a bug must cost one message, never the agent
            log.exception("processing failed at %s[%s]@%s", message.topic, message.partition, message.offset)
            dead.append(DeadLetter(message, PROCESSING_ERROR, repr(err)))

    async def _fill(
        self, message: Any, first: int, handle: Handler, outputs: list[Output], dead: list[DeadLetter]
    ) -> None:
        """Process the offsets ``first .. message.offset - 1`` nobody processed, read from Kafka."""
        log.warning(
            "%s[%s]@%s arrived before offsets %s.. were processed; reading them first",
            message.topic,
            message.partition,
            message.offset,
            first,
        )
        try:
            records = await self.fetch(message.topic, message.partition, first, message.offset)
        except Exception:  # the broker is away: report the gap rather than stall the partition
            log.exception(
                "could not read %s[%s] %s..%s", message.topic, message.partition, first, message.offset
            )
            records = []
        ledger = self.ledger
        for record in records:
            action, _ = ledger.admit(record.topic, record.partition, record.offset)
            if action is Admit.FILL:  # the log starts after the first missing offset
                _report_gap(ledger.accept_gap(record.topic, record.partition, record.offset), record)
                action, _ = ledger.admit(record.topic, record.partition, record.offset)
            if action is Admit.PROCESS:
                self._process(record, record.timestamp or 0, handle, outputs, dead)  # aiokafka: epoch ms
        _report_gap(ledger.accept_gap(message.topic, message.partition, message.offset), message)


def _report_gap(missing: int, message: Any) -> None:
    if missing:
        log.error(
            "%d message(s) before %s[%s]@%s were never processed",
            missing,
            message.topic,
            message.partition,
            message.offset,
        )
