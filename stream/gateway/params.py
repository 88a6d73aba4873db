"""Query parameters of the gateway, checked once on the way in: a bad one is a 400 naming it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from models.errors import PitchsideError

from ..contracts import OUTPUT_KINDS

__all__ = [
    "BadParameter",
    "Follow",
    "LatestFormat",
    "parse_follow",
    "parse_format",
    "parse_kind",
    "parse_match_id",
]

LatestFormat = Literal["json", "rows", "csv"]
_MATCH_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # as stream.contracts.Id


class BadParameter(PitchsideError):
    """A query or path parameter the gateway refuses (HTTP 400)."""

    def __init__(self, parameter: str, problem: str) -> None:
        super().__init__(f"{parameter}: {problem}")
        self.parameter = parameter
        self.problem = problem


@dataclass(frozen=True)
class Follow:
    """What a streaming client asked for: the kinds, and per kind the last ``seq`` it has (resume);
    kinds without one start with the snapshot."""

    match_id: str
    kinds: tuple[str, ...]
    since: Mapping[str, int]


def parse_match_id(value: str) -> str:
    if not _MATCH_ID.fullmatch(value):
        raise BadParameter("match_id", "1-64 letters, digits, '_', '.' or '-'")
    return value


def parse_kind(value: str, parameter: str = "kind") -> str:
    if value not in OUTPUT_KINDS:
        raise BadParameter(parameter, f"unknown kind {value!r}; one of {', '.join(OUTPUT_KINDS)}")
    return value


def parse_kinds(value: str | None) -> tuple[str, ...]:
    if value is None or not value.strip():
        return OUTPUT_KINDS
    kinds = [parse_kind(part.strip(), "kinds") for part in value.split(",") if part.strip()]
    return tuple(dict.fromkeys(kinds))


def _seq(value: str) -> int:
    if not re.fullmatch(r"\d{1,18}", value.strip()):
        raise BadParameter("since", f"not a non-negative integer: {value!r}")
    return int(value)


def parse_since(value: str | None, kinds: tuple[str, ...]) -> dict[str, int]:
    """``since=SEQ`` (every requested kind) or ``since=kind:SEQ,kind:SEQ`` (those kinds)."""
    if value is None:
        return {}
    if ":" not in value:
        return dict.fromkeys(kinds, _seq(value))
    since: dict[str, int] = {}
    for part in value.split(","):
        named, sep, number = part.partition(":")
        if not sep:
            raise BadParameter("since", f"expected kind:SEQ, got {part!r}")
        kind = parse_kind(named.strip(), "since")
        if kind not in kinds:
            raise BadParameter("since", f"kind {kind!r} is not among the requested kinds")
        since[kind] = _seq(number)
    return since


def parse_follow(match_id: str, query: Mapping[str, str]) -> Follow:
    kinds = parse_kinds(query.get("kinds"))
    return Follow(parse_match_id(match_id), kinds, parse_since(query.get("since"), kinds))


def parse_format(query: Mapping[str, str]) -> LatestFormat:
    value = query.get("format", "json")
    if value not in ("json", "rows", "csv"):
        raise BadParameter("format", f"unknown format {value!r}; one of json, rows, csv")
    return value  # type: ignore[return-value]  # narrowed by the check above
