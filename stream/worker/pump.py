"""The pump: takes input messages from Kafka in batches and turns them into outputs, in order.

Per batch it admits each message against the input ledger (skips repeats, reads gaps back from
Kafka first), hands the admitted ones to the topic's handler (decode, process: frames together,
events one by one), dead-letters what is malformed, publishes the batch's outputs in one go, tells
the metrics the batch is done and lets the checkpointer save.
Kafka is reached only through the injected ``fetch`` (gap fill) and ``dead_letter`` callables, so
the pump runs in unit tests without a broker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, NamedTuple, Protocol

from ..contracts import Output, TrackingFrame
from ..decode import PROCESSING_ERROR, DecodeError, decode_event, decode_frame
from ..match.processing import MatchProcessor, Received, Source
from ..outputs.publisher import Publisher, now_ms
from .checkpoint import Checkpointer
from .ledger import Admit, InputLedger

__all__ = ["DeadLetter", "Handler", "Pump", "event_handler", "frame_handler"]

log = logging.getLogger(__name__)

# Read offsets ``start <= offset < end`` of one topic partition straight from Kafka.
FetchRange = Callable[[str, int, int, int], Awaitable[list[Any]]]


class DeadLetter(NamedTuple):
    message: Any
    reason: str
    detail: str


# A batch of admitted ``(message, produced epoch ms)`` -> its outputs, and what to dead-letter.
Handler = Callable[[list[tuple[Any, int]]], tuple[list[Output], list[DeadLetter]]]


class DeadLetterSink(Protocol):
    async def __call__(self, message: Any, reason: str, detail: str) -> None: ...


class BatchObserver(Protocol):
    def batch_done(self) -> None:
        """A batch has been processed: record what was gathered while processing it."""


def _source(message: Any) -> Source:
    return Source(message.topic, message.partition, message.offset)


def _failed(message: Any, err: Exception) -> DeadLetter:
    if isinstance(err, DecodeError):
        return DeadLetter(message, err.reason, err.detail)
    # A bug must cost one message, never the agent.
    log.error(
        "processing failed at %s[%s]@%s",
        message.topic,
        message.partition,
        message.offset,
        exc_info=(type(err), err, err.__traceback__),
    )
    return DeadLetter(message, PROCESSING_ERROR, repr(err))


def frame_handler(processor: MatchProcessor, max_bytes: int) -> Handler:
    """Decode a batch of frames, then process them together (:meth:`MatchProcessor.on_frames`)."""

    def handle(batch: list[tuple[Any, int]]) -> tuple[list[Output], list[DeadLetter]]:
        ingest = now_ms()
        items: list[tuple[TrackingFrame, Received, Source | None]] = []
        owners: list[Any] = []
        dead: list[DeadLetter] = []
        for message, produced_ms in batch:
            try:
                frame = decode_frame(message.value, message.key, max_bytes)
            except Exception as err:
                dead.append(_failed(message, err))
                continue
            items.append((frame, Received(produced_ms, ingest), _source(message)))
            owners.append(message)
        outputs, failed = processor.on_frames(items)
        dead.extend(_failed(owners[index], err) for index, err in failed)
        return outputs, dead

    return handle


def event_handler(processor: MatchProcessor, max_bytes: int) -> Handler:
    """Decode and process a batch of events one by one (shots and pitches are few)."""

    def handle(batch: list[tuple[Any, int]]) -> tuple[list[Output], list[DeadLetter]]:
        outputs: list[Output] = []
        dead: list[DeadLetter] = []
        for message, produced_ms in batch:
            try:
                event = decode_event(message.value, message.key, max_bytes)
                received = Received(produced_ms, now_ms())
                outputs.extend(processor.on_event(event, received, _source(message)))
            except Exception as err:
                dead.append(_failed(message, err))
        return outputs, dead

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
        admitted: list[tuple[Any, int]] = []
        taken = 0
        for message, produced_ms in messages:
            taken += 1
            action, first = self.ledger.admit(message.topic, message.partition, message.offset)
            if action is Admit.REPLAYED:
                continue
            if action is Admit.FILL:
                admitted.extend(await self._fill(message, first))
                action, _ = self.ledger.admit(message.topic, message.partition, message.offset)
                if action is not Admit.PROCESS:  # cannot happen after accept_gap; never process twice
                    continue
            admitted.append((message, produced_ms))
        outputs, dead = handle(admitted) if admitted else ([], [])
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

    async def _fill(self, message: Any, first: int) -> list[tuple[Any, int]]:
        """The offsets ``first .. message.offset - 1`` nobody processed, read from Kafka and admitted."""
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
        admitted = []
        for record in records:
            action, _ = ledger.admit(record.topic, record.partition, record.offset)
            if action is Admit.FILL:  # the log starts after the first missing offset
                _report_gap(ledger.accept_gap(record.topic, record.partition, record.offset), record)
                action, _ = ledger.admit(record.topic, record.partition, record.offset)
            if action is Admit.PROCESS:
                admitted.append((record, record.timestamp or 0))  # aiokafka: epoch ms
        _report_gap(ledger.accept_gap(message.topic, message.partition, message.offset), message)
        return admitted


def _report_gap(missing: int, message: Any) -> None:
    if missing:
        log.error(
            "%d message(s) before %s[%s]@%s were never processed",
            missing,
            message.topic,
            message.partition,
            message.offset,
        )
