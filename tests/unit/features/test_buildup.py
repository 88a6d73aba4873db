"""What led to a shot: the build-up features on hand-made sequences."""

from __future__ import annotations

import numpy as np
import pytest

from features.buildup import BUILDUP_NAMES, ActionRow, actions_from_rows, buildup_features, no_actions

SHOT = np.array([40.0, 2.0])


def _features(*rows: ActionRow, shot: np.ndarray = SHOT) -> dict[str, float]:
    return dict(zip(BUILDUP_NAMES, buildup_features(actions_from_rows(rows), shot), strict=True))


def test_nothing_known_is_nan_not_zero() -> None:
    assert np.isnan(buildup_features(no_actions(), SHOT)).all()


def test_a_cross_by_a_teammate_is_the_assist() -> None:
    f = _features(
        ActionRow("pass", True, (0.0, 0.0), (20.0, 30.0), 9.0),
        ActionRow("pass", True, (30.0, 30.0), (40.0, 2.0), 2.0, cross=True),
    )
    assert f["assisted"] == f["assist_cross"] == f["same_possession"] == 1.0
    assert f["assist_through_ball"] == f["assist_cut_back"] == f["take_on"] == f["rebound"] == 0.0
    assert f["assist_length_m"] == pytest.approx(np.hypot(10.0, 28.0))
    assert f["since_previous_s"] == 2.0
    assert f["counter_speed_mps"] == pytest.approx(40.0 / 9.0)  # from the possession's first action


def test_an_opponents_pass_ends_the_possession_and_a_duel_does_not() -> None:
    lost = _features(
        ActionRow("pass", True, (10.0, 0.0), (20.0, 0.0), 6.0, set_piece="corner"),
        ActionRow("pass", False, (-20.0, 0.0), (-30.0, 0.0), 4.0),
        ActionRow("take_on", True, (38.0, 2.0), None, 0.5),
    )
    assert lost["assisted"] == 0.0 and lost["take_on"] == 1.0
    assert np.isnan(lost["assist_length_m"])
    assert np.isnan(lost["counter_speed_mps"])  # the possession began half a second ago
    kept = _features(
        ActionRow("pass", True, (10.0, 0.0), (20.0, 0.0), 6.0, set_piece="corner"),
        ActionRow("duel", False, (-20.0, 0.0), None, 0.5),
    )
    assert kept["assisted"] == kept["assist_corner"] == 1.0
    assert kept["same_possession"] == 0.0 and kept["assist_set_piece"] == 0.0


def test_a_rebound_and_a_cut_back() -> None:
    f = _features(
        ActionRow("shot", True, (45.0, 0.0), None, 3.0),
        ActionRow("save", False, (-52.0, 0.0), None, 2.5),
        ActionRow("pass", True, (50.0, 15.0), (42.0, 4.0), 1.0),
    )
    assert f["rebound"] == f["assist_cut_back"] == f["assisted"] == 1.0
    late = _features(ActionRow("shot", True, (45.0, 0.0), None, 12.0))
    assert late["rebound"] == 0.0


def test_times_are_capped_and_never_negative() -> None:
    assert _features(ActionRow("other", True, None, None, 600.0))["since_previous_s"] == 60.0
    assert _features(ActionRow("other", True, None, None, -1.0))["since_previous_s"] == 0.0
