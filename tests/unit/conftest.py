"""Shared StatsBomb data for the unit tests of :mod:`stream.sources.statsbomb` and
:mod:`stream.sources.replay_plan`: the 2018 World Cup final (match 8658) from the shared data directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stream.sources.statsbomb import load_events
from tests.shared_data import shared_path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return shared_path("statsbomb", "events").parent


@pytest.fixture(scope="session")
def events(data_dir: Path) -> list[dict[str, Any]]:
    """The final's raw events, France (home) v Croatia."""
    return load_events(data_dir / "events" / "8658.json")


@pytest.fixture(scope="session")
def period_lengths(events: list[dict[str, Any]]) -> dict[int, int]:
    """Each period's duration in ms, the latest timestamp + duration, computed from the raw file."""
    lengths: dict[int, int] = {}
    for e in events:
        h, m, s = e["timestamp"].split(":")
        end = round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000) + round((e.get("duration") or 0) * 1000)
        lengths[e["period"]] = max(lengths.get(e["period"], 0), end)
    return lengths
