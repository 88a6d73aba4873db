"""docs/contracts.md must agree with the code: every example in it is decoded by the real decoders.

Input examples sit in fenced blocks tagged ```json tracking or ```json events; Redis payload examples
in ```json output; the gateway's messages in ```json gateway. Each is checked against the records of
:mod:`stream.contracts` (and :mod:`stream.gateway.messages`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from models.players import load_player_reference
from models.settings import Settings
from stream.contracts import GenericEvent, Output, PassEvent, PitchEvent, ShotEvent, TrackingFrame
from stream.decode import decode_event, decode_frame
from stream.gateway.messages import GapMessage, Message, OutputMessage, SnapshotMessage
from stream.match.processing import MatchProcessor, Received

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
_FENCE = re.compile(r"^```json[ \t]*([a-z]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_TAGS = ("tracking", "events", "output", "gateway")
_EVENT_CLASSES: dict[str, type] = {"shot": ShotEvent, "pass": PassEvent, "pitch": PitchEvent}


def _kept(example: Any, decoded: Any) -> bool:
    """Every key and value of ``example`` is in ``decoded`` (which also has the defaulted fields)."""
    if isinstance(example, dict):
        return isinstance(decoded, dict) and all(
            k in decoded and _kept(v, decoded[k]) for k, v in example.items()
        )
    if isinstance(example, list):
        return (
            isinstance(decoded, list) and len(example) == len(decoded) and all(map(_kept, example, decoded))
        )
    return bool(example == decoded)


def _blocks() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _FENCE.finditer(DOC.read_text(encoding="utf-8"))]


def _examples(tag: str) -> list[dict[str, Any]]:
    return [json.loads(body) for kind, body in _blocks() if kind == tag]


def _ids(examples: list[dict[str, Any]]) -> list[str]:
    return [f"{e.get('type', e.get('kind', 'frame'))}-{i}" for i, e in enumerate(examples)]


TRACKING = _examples("tracking")
EVENTS = _examples("events")
OUTPUTS = _examples("output")
GATEWAY = _examples("gateway")


def test_every_json_block_is_tagged() -> None:
    untagged = [body[:60] for kind, body in _blocks() if kind not in _TAGS]
    assert not untagged, f"```json blocks without one of the tags {_TAGS}: {untagged}"


def test_doc_has_an_example_of_each_message() -> None:
    assert TRACKING, "no ```json tracking example"
    types = {e["type"] for e in EVENTS}
    for wanted in ("shot", "pass", "pitch"):
        assert wanted in types, f"no ```json events example of type {wanted!r}"
    assert types - set(_EVENT_CLASSES), "no ```json events example of a generic event type"
    assert {o["kind"] for o in OUTPUTS} >= {"frame", "event"}


@pytest.mark.parametrize("example", TRACKING, ids=_ids(TRACKING))
def test_tracking_example_decodes(example: dict[str, Any]) -> None:
    raw = json.dumps(example).encode()
    frame = decode_frame(raw, key=example["match_id"].encode())
    assert isinstance(frame, TrackingFrame)
    # Unknown fields are ignored on decode: a round trip shows a misspelt field in the doc.
    assert _kept(example, msgspec.to_builtins(frame))


@pytest.mark.parametrize("example", EVENTS, ids=_ids(EVENTS))
def test_events_example_decodes(example: dict[str, Any]) -> None:
    raw = json.dumps(example).encode()
    event = decode_event(raw, key=example["match_id"].encode())
    assert isinstance(event, _EVENT_CLASSES.get(example["type"], GenericEvent))
    assert event.type == example["type"]
    assert _kept(example, msgspec.to_builtins(event))


@pytest.mark.parametrize("example", OUTPUTS, ids=_ids(OUTPUTS))
def test_output_example_matches_the_worker(example: dict[str, Any]) -> None:
    output = msgspec.convert(example, Output)
    assert set(example) == set(Output.__struct_fields__), "an output example must show every field"
    # The payload the worker would build from the documented input gives the same data.
    processor = MatchProcessor(reference=load_player_reference(Settings().data_dir / "savant"))
    received = Received(produced_ts=output.produced_ts, ingest_ts=output.ingest_ts)
    if output.kind == "frame":
        source = [f for f in TRACKING if f["match_id"] == output.match_id and f["ts"] == output.event_ts]
        assert source, "a frame output example needs its tracking example"
        built = processor.on_frame(decode_frame(json.dumps(source[0]).encode()), received)
    else:
        source = [e for e in EVENTS if e["event_id"] == output.data.get("event_id")]
        assert source, "an event output example needs its events example"
        built = processor.on_event(decode_event(json.dumps(source[0]).encode()), received)
    [same] = [b for b in built if b.kind == output.kind]
    assert same.simulated == output.simulated
    assert same.event_ts == output.event_ts
    assert msgspec.to_builtins(same.data) == example["data"]


def test_doc_has_an_example_of_each_gateway_message() -> None:
    assert {m["type"] for m in GATEWAY} == {"snapshot", "output", "gap"}


@pytest.mark.parametrize("example", GATEWAY, ids=[f"{m['type']}-{i}" for i, m in enumerate(GATEWAY)])
def test_gateway_example_decodes(example: dict[str, Any]) -> None:
    message = msgspec.json.decode(json.dumps(example).encode(), type=Message, strict=True)
    assert set(example) == {"type", *type(message).__struct_fields__}, "every field of the message"
    if isinstance(message, GapMessage):
        assert message.from_seq <= message.to_seq
        return
    carried = message.outputs if isinstance(message, SnapshotMessage) else [message.output]
    assert isinstance(message, SnapshotMessage | OutputMessage)
    for raw in carried:
        payload = msgspec.json.decode(raw)
        msgspec.convert(payload, Output)
        assert set(payload) == set(Output.__struct_fields__), "an output in a message shows every field"
