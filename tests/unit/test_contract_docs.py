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
from models.registry import ModelRegistry
from models.settings import Settings
from stream.contracts import (
    OUTPUT_KINDS,
    GenericEvent,
    LineupEvent,
    Output,
    PassEvent,
    PitchEvent,
    ShotEvent,
    TrackingFrame,
)
from stream.decode import decode_event, decode_frame
from stream.gateway.messages import GapMessage, Message, OutputMessage, SnapshotMessage
from stream.match.model_serving import LeadServer, XgServer
from stream.match.processing import MatchProcessor, Received

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
_FENCE = re.compile(r"^```json[ \t]*([a-z]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_TAGS = ("tracking", "events", "output", "gateway")
_EVENT_CLASSES: dict[str, type] = {
    "shot": ShotEvent,
    "pass": PassEvent,
    "pitch": PitchEvent,
    "lineup": LineupEvent,
}
# What a model makes: these values change with the shipped version, so an example of a model's
# output is checked for its fields, and for the values of everything else.
_MODEL_MADE = frozenset(
    {"xg", "explanation", "contributions", "bias", "probabilities", "current_probability"}
    # the players' records of earlier seasons that the production lead version ships
    | {"runner_prior_attempts", "runner_success_vs_league", "catcher_cs_vs_league", "pitcher_sb_vs_league"}
)
_MODEL_MADE_KINDS = frozenset({"xg", "lead_curve", "pitch_context"})


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
    for wanted in _EVENT_CLASSES:
        assert wanted in types, f"no ```json events example of type {wanted!r}"
    assert types - set(_EVENT_CLASSES), "no ```json events example of a generic event type"
    missing = set(OUTPUT_KINDS) - {o["kind"] for o in OUTPUTS}
    assert not missing, f"no ```json output example of the kinds {sorted(missing)}"


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


def _worker_outputs() -> list[Output]:
    """What a worker with the shipped production models makes of every documented input, fed in
    event-time order per match (the line-ups first, so names and sides are known)."""
    settings = Settings()
    registry = ModelRegistry(settings.baseline_registry_dir)
    xg, lead = XgServer(registry), LeadServer(registry)
    assert xg.refresh_now() and lead.refresh_now(), "the repo ships production xg and lead"
    reference = load_player_reference(settings.data_dir / "savant")
    processor = MatchProcessor(reference=reference, xg=xg, lead=lead)
    inputs = [(True, f) for f in TRACKING] + [(False, e) for e in EVENTS]
    built: list[Output] = []
    for is_frame, item in sorted(inputs, key=lambda i: (i[1]["match_id"], i[1]["ts"])):
        raw = json.dumps(item).encode()
        received = Received(produced_ts=item["ts"] + 3, ingest_ts=item["ts"] + 5)
        if is_frame:
            built += processor.on_frame(decode_frame(raw), received)
        else:
            built += processor.on_event(decode_event(raw), received)
    return built


def _same_shape(example: Any, built: Any, where: str = "data") -> None:
    """The same fields all the way down, and the same values where no model made them."""
    if isinstance(example, dict):
        assert isinstance(built, dict) and set(example) == set(built), f"fields differ at {where}"
        for key, value in example.items():
            if key in _MODEL_MADE:
                assert type(value) is type(built[key]), f"{where}.{key}: {value!r} vs {built[key]!r}"
            else:
                _same_shape(value, built[key], f"{where}.{key}")
    elif isinstance(example, list) and example and isinstance(example[0], dict | list):
        assert isinstance(built, list) and len(built) == len(example), f"length differs at {where}"
        for n, (a, b) in enumerate(zip(example, built, strict=True)):
            _same_shape(a, b, f"{where}[{n}]")
    elif isinstance(example, float) and isinstance(built, float):
        assert example == pytest.approx(built, abs=1e-4), f"{where}: {example} vs {built}"
    else:
        assert example == built, f"{where}: {example!r} vs {built!r}"


@pytest.fixture(scope="module")
def worker_outputs() -> list[Output]:
    return _worker_outputs()


@pytest.mark.parametrize("example", OUTPUTS, ids=_ids(OUTPUTS))
def test_output_example_matches_the_worker(example: dict[str, Any], worker_outputs: list[Output]) -> None:
    output = msgspec.convert(example, Output)
    assert set(example) == set(Output.__struct_fields__), "an output example must show every field"
    # The payload the worker builds from the documented inputs: the last of its kind at that time
    # (two line-ups at the kick-off make two ``match`` outputs; the example shows the second).
    same = [
        b
        for b in worker_outputs
        if (b.match_id, b.kind, b.event_ts) == (output.match_id, output.kind, output.event_ts)
    ]
    assert same, f"no documented input gives this {output.kind} output: check its inputs' ts"
    built = same[-1]
    assert (built.simulated, built.v) == (output.simulated, output.v)
    data = msgspec.to_builtins(built.data)
    if output.kind in _MODEL_MADE_KINDS:
        # Made by the model named (pitch_context: by none, but with its version's players' records).
        assert (built.model and built.model.name) == (output.model and output.model.name)
        _same_shape(example["data"], data)
    else:
        assert data == example["data"]


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
