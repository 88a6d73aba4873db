"""The latest state as flat rows (vMix, Flowics data sources) or CSV.

Each output is one row: its envelope fields (``match_id``, ``kind``, ``seq``, ``event_ts``,
``published_ts``, ``simulated``, ``model.name``/``model.version``) and its ``data`` flattened with
dotted names (``data.shape.home.width_m``, list items by index: ``data.ball.0``). An output whose
``data`` holds a list of objects (``players`` in ``player_stats``) gives one row per object instead,
its fields under the list's name (``data.players.speed_ms``), the rest of the output repeated.
"""

from __future__ import annotations

import csv
import io
from typing import Any

__all__ = ["to_csv", "to_rows"]

Scalar = str | int | float | bool | None
_ENVELOPE = ("match_id", "kind", "seq", "event_ts", "published_ts", "simulated")


def _flatten(value: Any, name: str, into: dict[str, Scalar]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{name}.{key}", into)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _flatten(item, f"{name}.{index}", into)
    else:
        into[name] = value


def _object_list(data: dict[str, Any]) -> str | None:
    for key, value in data.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return key
    return None


def to_rows(outputs: list[dict[str, Any]]) -> list[dict[str, Scalar]]:
    rows: list[dict[str, Scalar]] = []
    for output in outputs:
        base: dict[str, Scalar] = {key: output.get(key) for key in _ENVELOPE}
        model = output.get("model") or {}
        base["model.name"], base["model.version"] = model.get("name"), model.get("version")
        data = output.get("data") or {}
        listed = _object_list(data)
        for key, value in data.items():
            if key != listed:
                _flatten(value, f"data.{key}", base)
        if listed is None:
            rows.append(base)
            continue
        for item in data[listed]:
            row = dict(base)
            _flatten(item, f"data.{listed}", row)
            rows.append(row)
    return rows


def _cell(value: Scalar) -> str | int | float:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def to_csv(rows: list[dict[str, Scalar]]) -> str:
    """The rows as CSV with a header: the union of their columns, in order of first appearance;
    booleans as ``true``/``false`` and nulls empty, as in the JSON."""
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()
