"""The gateway's settings (tokens, CORS origins from comma-separated variables), its parameter checks
and its row/CSV flattening, without Redis or a server (tests/integration/test_gateway.py has those)."""

from __future__ import annotations

import csv
import io

import pytest
from pydantic import ValidationError

from models.settings import Settings
from stream.contracts import OUTPUT_KINDS
from stream.gateway.formats import to_csv, to_rows
from stream.gateway.params import BadParameter, parse_follow, parse_format
from tests.unit.test_cli import run

A, B = "a" * 16 + "-first", "b" * 20


def test_tokens_and_origins_are_comma_separated_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PITCHSIDE_GATEWAY_TOKENS", f" {A} ,{B},")
    monkeypatch.setenv("PITCHSIDE_GATEWAY_CORS_ORIGINS", "https://gfx.example, http://localhost:5173")
    settings = Settings()
    assert [t.get_secret_value() for t in settings.gateway_tokens] == [A, B]
    assert A not in repr(settings) and B not in str(settings.model_dump())  # secrets stay hidden
    assert settings.gateway_cors_origins == ("https://gfx.example", "http://localhost:5173")


def test_no_tokens_configured_is_an_empty_tuple() -> None:
    assert Settings().gateway_tokens == () and Settings(gateway_tokens="").gateway_tokens == ()


def test_a_short_token_is_refused_by_position_not_by_value() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(gateway_tokens=f"{A},short")
    [error] = refused.value.errors()
    assert "token #2 is shorter than 16 characters" in error["msg"] and "short," not in error["msg"]


def test_a_bad_token_variable_is_one_line_naming_it_without_the_token() -> None:
    code, out = run("gateway", env={"PITCHSIDE_GATEWAY_TOKENS": "tiny-secret"})
    assert code == 1 and "PITCHSIDE_GATEWAY_TOKENS" in out and "token #1" in out
    assert "tiny-secret" not in out and "Traceback" not in out and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("query", "since"),
    [
        ({}, {}),
        ({"kinds": "frame,event", "since": "41"}, {"frame": 41, "event": 41}),
        ({"kinds": "frame,event", "since": "frame:41"}, {"frame": 41}),
    ],
)
def test_since_applies_to_every_kind_or_to_the_kinds_named(
    query: dict[str, str], since: dict[str, int]
) -> None:
    follow = parse_follow("8658", query)
    assert follow.since == since
    assert follow.kinds == (tuple(query["kinds"].split(",")) if "kinds" in query else OUTPUT_KINDS)


@pytest.mark.parametrize(
    ("match_id", "query", "parameter"),
    [
        ("8658", {"kinds": "frame,goals"}, "kinds"),
        ("8658", {"since": "1.5"}, "since"),
        ("8658", {"since": "-3"}, "since"),
        ("8658", {"kinds": "frame", "since": "event:3"}, "since"),
        ("8658", {"since": "frame=3,"}, "since"),
        ("86 58", {}, "match_id"),
    ],
)
def test_a_bad_parameter_is_named(match_id: str, query: dict[str, str], parameter: str) -> None:
    with pytest.raises(BadParameter) as refused:
        parse_follow(match_id, query)
    assert refused.value.parameter == parameter


def test_format_is_one_of_three() -> None:
    assert parse_format({}) == "json" and parse_format({"format": "csv"}) == "csv"
    with pytest.raises(BadParameter, match="format"):
        parse_format({"format": "xlsx"})


def test_rows_flatten_an_output_and_give_one_row_per_listed_object() -> None:
    stats = {
        "match_id": "8658",
        "kind": "player_stats",
        "seq": 9,
        "event_ts": 5,
        "published_ts": 6,
        "simulated": True,
        "model": None,
        "data": {"period": 2, "players": [{"id": "3009", "speed_ms": 6.5}, {"id": "5468", "speed_ms": 1.0}]},
    }
    frame = {
        **stats,
        "kind": "frame",
        "data": {"ball": [1.0, 2.0, None], "shape": {"home": {"width_m": 30.1}}},
    }
    rows = to_rows([stats, frame])
    assert [(r["kind"], r.get("data.players.id"), r.get("data.period")) for r in rows] == [
        ("player_stats", "3009", 2),
        ("player_stats", "5468", 2),
        ("frame", None, None),
    ]
    assert rows[2]["data.ball.0"] == 1.0 and rows[2]["data.shape.home.width_m"] == 30.1
    assert all(isinstance(v, str | int | float | bool) or v is None for r in rows for v in r.values())
    table = list(csv.DictReader(io.StringIO(to_csv(rows))))
    assert [r["data.players.speed_ms"] for r in table] == ["6.5", "1.0", ""]
    assert table[2]["data.ball.2"] == "" and table[0]["model.name"] == ""
    assert {r["simulated"] for r in table} == {"true"}
