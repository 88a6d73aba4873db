"""Decode raw Kafka messages, once, into the typed records of :mod:`stream.contracts`.

Everything that can be wrong with an input message is decided here and reported as a
:class:`DecodeError` with a short machine-readable ``reason`` (a metric label, a dead-letter header)
and a ``detail`` that names the bad field and value.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
import orjson

from models.errors import PitchsideError

from .contracts import EVENT_TYPES, GenericEvent, MatchEvent, TrackingFrame

__all__ = ["DEAD_LETTER_REASONS", "PROCESSING_ERROR", "DecodeError", "decode_event", "decode_frame"]

T = TypeVar("T")


# A valid message whose processing raised (a bug): dead-lettered too, so the agent keeps going.
PROCESSING_ERROR = "processing_error"


class DecodeError(PitchsideError):
    """An input message was refused. ``reason`` is one of the short codes below."""

    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    INVALID = "invalid"
    KEY_MISMATCH = "key_mismatch"
    REASONS = (TOO_LARGE, NOT_JSON, INVALID, KEY_MISMATCH)

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


# Every reason a message is dead-lettered for (metrics start each at 0, so rates see the first one).
DEAD_LETTER_REASONS = (*DecodeError.REASONS, PROCESSING_ERROR)


def _sized(raw: bytes | None, max_bytes: int) -> bytes:
    if raw is None:
        raise DecodeError(DecodeError.NOT_JSON, "message has no value")
    if len(raw) > max_bytes:
        raise DecodeError(DecodeError.TOO_LARGE, f"{len(raw)} bytes > limit {max_bytes}")
    return raw


def _load(raw: bytes | None, max_bytes: int) -> dict[str, Any]:
    try:
        obj = orjson.loads(_sized(raw, max_bytes))
    except orjson.JSONDecodeError as exc:
        raise DecodeError(DecodeError.NOT_JSON, str(exc)) from None
    if not isinstance(obj, dict):
        raise DecodeError(DecodeError.INVALID, f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _convert(obj: dict[str, Any], kind: type[T]) -> T:
    try:
        return msgspec.convert(obj, kind)
    except msgspec.ValidationError as exc:
        raise DecodeError(DecodeError.INVALID, str(exc)) from None


def _check_key(key: bytes | None, match_id: str) -> None:
    # A message keyed by anything but its match would land on the wrong partition, and so on the
    # wrong worker's table: refuse it rather than corrupt another match's state.
    if key is not None and key != match_id.encode():
        raise DecodeError(DecodeError.KEY_MISMATCH, f"key {key[:64]!r} differs from match_id {match_id!r}")


# Frames are most of the traffic: decoded straight into the record, with no dict in between.
_FRAME_DECODER = msgspec.json.Decoder(TrackingFrame)


def decode_frame(raw: bytes | None, key: bytes | None = None, max_bytes: int = 1 << 20) -> TrackingFrame:
    """Decode one ``tracking`` message into a :class:`TrackingFrame`."""
    sized = _sized(raw, max_bytes)
    try:
        frame = _FRAME_DECODER.decode(sized)
    except msgspec.ValidationError as exc:
        raise DecodeError(DecodeError.INVALID, str(exc)) from None
    except msgspec.DecodeError as exc:
        raise DecodeError(DecodeError.NOT_JSON, str(exc)) from None
    _check_key(key, frame.match_id)
    return frame


def decode_event(raw: bytes | None, key: bytes | None = None, max_bytes: int = 1 << 20) -> MatchEvent:
    """Decode one ``events`` message; known types get their typed body, others a generic record."""
    obj = _load(raw, max_bytes)
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise DecodeError(DecodeError.INVALID, "Object missing required field `type` (a string) - at `$`")
    event_type: type[MatchEvent] = EVENT_TYPES.get(kind, GenericEvent)
    event = _convert(obj, event_type)
    _check_key(key, event.match_id)
    return event
