"""Decoding and validation at the boundary: good records round-trip, bad ones are refused with a
reason code and a detail that names the field."""

from __future__ import annotations

import math

import orjson
import pytest

from stream.contracts import GenericEvent, PassEvent, ShotEvent, TrackingFrame
from stream.decode import DecodeError, decode_event, decode_frame
from tests.factories import encode, frame, frame_dict, pass_event


def test_frame_round_trips() -> None:
    original = frame(n=3)
    decoded = decode_frame(encode(original), key=b"m1")
    assert decoded == original
    assert isinstance(decoded, TrackingFrame)
    assert decoded.ball is not None and decoded.ball.id == "ball"


def test_event_types_dispatch_to_their_record() -> None:
    assert isinstance(decode_event(encode(pass_event())), PassEvent)
    shot = {"match_id": "m1", "event_id": "s1", "ts": 5, "type": "shot", "shot": {"outcome": "Goal"}}
    assert isinstance(decode_event(orjson.dumps(shot)), ShotEvent)
    carry = {"match_id": "m1", "event_id": "c1", "ts": 5, "type": "carry", "body": {"x": 1}}
    decoded = decode_event(orjson.dumps(carry))
    assert isinstance(decoded, GenericEvent)
    assert decoded.type == "carry"


def test_unknown_fields_are_ignored_for_forward_compatibility() -> None:
    decoded = decode_frame(orjson.dumps(frame_dict(new_field_from_v2=1)))
    assert decoded.frame == 0


@pytest.mark.parametrize(
    ("raw", "reason", "names"),
    [
        (b"{not json", DecodeError.NOT_JSON, "byte 1"),
        (b"[1, 2]", DecodeError.INVALID, "Expected `object`, got `array`"),
        (b"", DecodeError.NOT_JSON, ""),
        (orjson.dumps(frame_dict(match_id="bad id")), DecodeError.INVALID, "$.match_id"),
        (orjson.dumps(frame_dict(match_id="a:b")), DecodeError.INVALID, "$.match_id"),
        (orjson.dumps(frame_dict(ts=-1)), DecodeError.INVALID, "$.ts"),
        (orjson.dumps(frame_dict(period=7)), DecodeError.INVALID, "$.period"),
        (orjson.dumps(frame_dict(sport="cricket")), DecodeError.INVALID, "$.sport"),
        (
            orjson.dumps({k: v for k, v in frame_dict().items() if k != "objects"}),
            DecodeError.INVALID,
            "objects",
        ),
    ],
)
def test_bad_frames_are_refused_with_a_named_reason(raw: bytes, reason: str, names: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode_frame(raw)
    assert err.value.reason == reason
    assert names in err.value.detail


def _with_object(**obj: object) -> bytes:
    data = frame_dict()
    data["objects"] = [*data["objects"], {"id": "x1", "team": "home", "role": "player", **obj}]
    return orjson.dumps(data)


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        (_with_object(x=0.0, y=300.0), "$.objects[3].y"),
        (_with_object(x="1", y=0.0), "$.objects[3].x"),
        (_with_object(x=0.0, y=0.0, role="umpire"), "$.objects[3].role"),
        (_with_object(x=0.0, y=0.0, id="ball"), "duplicate object id 'ball'"),
        (_with_object(x=0.0, y=0.0, role="ball"), "at most one"),
    ],
)
def test_bad_objects_are_refused(raw: bytes, names: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode_frame(raw)
    assert err.value.reason == DecodeError.INVALID
    assert names in err.value.detail


def test_non_finite_coordinates_cannot_pass() -> None:
    # JSON has no NaN; a producer that writes one is refused as not-JSON, and a Python float NaN
    # that reached validation would fail the range check.
    with pytest.raises(DecodeError) as err:
        decode_frame(orjson.dumps(frame_dict()).replace(b'"x":-50.0', b'"x":NaN'))
    assert err.value.reason == DecodeError.NOT_JSON
    data = frame_dict()
    data["objects"][1]["x"] = math.inf
    with pytest.raises(DecodeError):
        decode_frame(orjson.dumps(data))  # orjson writes inf as null: refused as not a float


def test_a_frame_without_a_ball_is_valid() -> None:
    data = frame_dict()
    data["objects"] = [o for o in data["objects"] if o["role"] != "ball"]
    assert decode_frame(orjson.dumps(data)).ball is None


def test_key_must_be_the_match_id() -> None:
    with pytest.raises(DecodeError) as err:
        decode_frame(encode(frame(match_id="m1")), key=b"m2")
    assert err.value.reason == DecodeError.KEY_MISMATCH
    with pytest.raises(DecodeError) as err:
        decode_event(encode(pass_event(match_id="m1")), key=b"other")
    assert err.value.reason == DecodeError.KEY_MISMATCH


def test_oversized_messages_are_refused_before_parsing() -> None:
    with pytest.raises(DecodeError) as err:
        decode_frame(b" " * 2048, max_bytes=1024)
    assert err.value.reason == DecodeError.TOO_LARGE


@pytest.mark.parametrize(
    ("event", "names"),
    [
        ({"match_id": "m1", "event_id": "e", "ts": 1}, "`type`"),
        ({"match_id": "m1", "event_id": "e", "ts": 1, "type": "Ball Receipt*"}, "$.type"),
        ({"match_id": "m1", "event_id": "", "ts": 1, "type": "pass"}, "$.event_id"),
        (
            {"match_id": "m1", "event_id": "e", "ts": 1, "type": "shot", "shot": {"provider_xg": 1.5}},
            "provider_xg",
        ),
        (
            {
                "match_id": "m1",
                "event_id": "e",
                "ts": 1,
                "type": "pitch",
                "pitch": {"pitcher_id": "p", "balls": 4},
            },
            "$.pitch.balls",
        ),
    ],
)
def test_bad_events_are_refused(event: dict[str, object], names: str) -> None:
    with pytest.raises(DecodeError) as err:
        decode_event(orjson.dumps(event))
    assert names in err.value.detail
