"""What `pitchside watch` and the demo print for the live-feature outputs."""

from __future__ import annotations

from stream.outputs.watch import (
    describe_lead_curve,
    describe_pitch_context,
    describe_shot_context,
    describe_xg,
)


def test_a_shot_context_line_says_where_the_players_came_from_and_what_it_measured() -> None:
    payload = {
        "simulated": True,
        "data": {
            "source": "tracking",
            "features": {
                "distance_m": 11.04,
                "angle_deg": 36.8,
                "defenders_in_triangle": 2.0,
                "keeper_to_line_m": None,
            },
        },
    }
    line = describe_shot_context(payload)
    assert line.startswith("    shot context (SIMULATED tracking):")
    assert "11.0 m out" in line and "36.8 deg" in line and "2 defender(s)" in line
    assert "keeper ? off the line" in line  # unknown stays unknown


def test_a_pitch_context_line_names_the_runner_the_base_and_the_lead() -> None:
    payload = {
        "match_id": "g1",
        "data": {
            "runner": {"id": "682829", "name": None},
            "target_base": "2B",
            "features": {"lead_ft": 12.7, "runner_sprint_speed_fps": None},
        },
    }
    assert describe_pitch_context(payload) == "  g1: runner 682829 -> 2B, lead 12.7 ft, sprint speed ?"


def test_a_lead_curve_line_reads_the_curve_every_5_ft_and_at_the_current_lead() -> None:
    payload = {
        "model": {"name": "lead", "version": 3},
        "data": {
            "leads_ft": [float(v) for v in range(21)],
            "probabilities": [0.5 + v / 50 for v in range(21)],
            "current_lead_ft": 12.5,
            "current_probability": 0.75,
        },
    }
    line = describe_lead_curve(payload)
    assert "(lead v3)" in line and "0 ft 0.50" in line and "20 ft 0.90" in line and "15 ft 0.80" in line
    assert line.endswith("at 12.5 ft now: 0.75") and "trained on" not in line
    payload["data"]["support_ft"] = [8.7, 19.9]
    assert "(lead v3) (trained on leads 8.7-19.9 ft): 0 ft 0.50" in describe_lead_curve(payload)


def test_an_xg_line_names_the_version_and_the_path_that_scored_it() -> None:
    data = {"xg": 0.123, "provider_xg": 0.2, "explanation": ["distance 12 m: +0.40"], "path": "event_only"}
    line = describe_xg({"data": data, "model": {"name": "xg", "version": 2}})
    assert line == "    xG 0.12 (StatsBomb 0.20) by xg v2 (event-only): distance 12 m: +0.40"
    single = describe_xg({"data": {**data, "path": "single"}, "model": {"name": "xg", "version": 1}})
    assert "by xg v1: " in single
