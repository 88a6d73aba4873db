"""The messages a streaming client receives (docs/contracts.md shows each): ``snapshot``, ``output``
and ``gap``. Output payloads are passed through as the workers wrote them, never decoded and
re-encoded on the hot path."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["GapMessage", "Message", "SnapshotMessage", "gap_message", "output_message", "snapshot_message"]

_encode = msgspec.json.Encoder().encode


class SnapshotMessage(msgspec.Struct, frozen=True, tag_field="type", tag="snapshot"):
    """The latest output of each requested kind that has one, oldest event first."""

    match_id: str
    outputs: list[msgspec.Raw]


class GapMessage(msgspec.Struct, frozen=True, tag_field="type", tag="gap"):
    """Outputs ``from_seq``..``to_seq`` (inclusive) of one kind were trimmed from the stream before the
    client came back: they cannot be sent. What follows starts at ``to_seq + 1``."""

    match_id: str
    kind: str
    from_seq: int
    to_seq: int


class OutputMessage(msgspec.Struct, frozen=True, tag_field="type", tag="output"):
    output: msgspec.Raw


Message = SnapshotMessage | GapMessage | OutputMessage
Kind = Literal["snapshot", "output", "gap"]


def snapshot_message(match_id: str, outputs: list[bytes]) -> bytes:
    return _encode(SnapshotMessage(match_id, [msgspec.Raw(o) for o in outputs]))


def gap_message(match_id: str, kind: str, from_seq: int, to_seq: int) -> bytes:
    return _encode(GapMessage(match_id, kind, from_seq, to_seq))


def output_message(payload: bytes) -> bytes:
    return b'{"type":"output","output":' + payload + b"}"
