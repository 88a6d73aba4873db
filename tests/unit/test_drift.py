"""Training baselines and PSI: the usual reading (0 unchanged, > 0.25 shifted) on continuous, one-hot,
constant and partly missing columns; the stored form; and how a registered version carries it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models.drift import (
    BASELINE_FILE,
    DriftBaseline,
    DriftBaselineError,
    FeatureBins,
    baseline_of,
    bin_rows,
    build_baseline,
    decode_baseline,
    encode_baseline,
    psi,
    psi_counts,
)
from models.registry import ModelRegistry

NAMES = ("distance_m", "body_part=head", "constant", "keeper_to_goal_m")
ROWS = 4000
SHIFTED = 0.25  # "the inputs have shifted"
STABLE = 0.01


def _columns(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    """A continuous column, a one-hot column (20% ones), a constant one, one missing 10% of the time."""
    keeper = rng.gamma(2.0, 3.0, n)
    keeper[rng.random(n) < 0.1] = np.nan
    return np.column_stack(
        [rng.normal(15.0, 7.0, n), (rng.random(n) < 0.2).astype(float), np.full(n, 3.0), keeper]
    )


@pytest.fixture(scope="module")
def train() -> npt.NDArray[np.float64]:
    return _columns(np.random.default_rng(7), ROWS)


@pytest.fixture(scope="module")
def baseline(train: npt.NDArray[np.float64]) -> DriftBaseline:
    return build_baseline(train, NAMES)


def _psi(baseline: DriftBaseline, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return psi(baseline, bin_rows(baseline, rows))


def test_the_baseline_records_every_feature_in_order_with_shares_summing_to_one(
    baseline: DriftBaseline,
) -> None:
    assert baseline.rows == ROWS and baseline.names == NAMES
    for feature in baseline.features:
        assert len(feature.expected) == len(feature.edges) + 2
        assert sum(feature.expected) == pytest.approx(1.0)
        assert feature.edges == sorted(feature.edges)
    head, constant, keeper = baseline.features[1:]
    assert head.expected[0] == pytest.approx(0.8, abs=0.03)  # the zeros
    assert constant.edges == [3.0] and constant.expected == [1.0, 0.0, 0.0]
    assert keeper.expected[-1] == pytest.approx(0.1, abs=0.02)  # the missing bin


def test_the_training_rows_and_a_fresh_sample_of_the_same_population_are_stable(
    baseline: DriftBaseline, train: npt.NDArray[np.float64]
) -> None:
    assert (_psi(baseline, train) < STABLE).all()
    assert (_psi(baseline, _columns(np.random.default_rng(8), 20_000)) < STABLE).all()


def test_a_column_moved_by_two_standard_deviations_shifts_alone(
    baseline: DriftBaseline, train: npt.NDArray[np.float64]
) -> None:
    live = train.copy()
    live[:, 0] += 2 * 7.0
    result = _psi(baseline, live)
    assert result[0] > SHIFTED
    assert (result[1:] < STABLE).all()


def test_one_hot_and_constant_columns_shift_when_their_values_do(
    baseline: DriftBaseline, train: npt.NDArray[np.float64]
) -> None:
    live = train.copy()
    live[:, 1] = (np.random.default_rng(9).random(ROWS) < 0.6).astype(float)  # 20% -> 60% headers
    live[:, 2] = 4.0
    result = _psi(baseline, live)
    assert result[1] > SHIFTED and result[2] > SHIFTED
    assert result[0] < STABLE and result[3] < STABLE
    # 0 and 1 land in different bins, the constant's own value in the first.
    zero_one = bin_rows(baseline, np.array([[15.0, 0.0, 3.0, 5.0], [15.0, 1.0, 3.0, 5.0]]))
    assert zero_one[0, 1] != zero_one[1, 1] and zero_one[0, 2] == 0


def test_missing_values_go_to_the_missing_bin(
    baseline: DriftBaseline, train: npt.NDArray[np.float64]
) -> None:
    bins = bin_rows(baseline, np.array([[np.nan, np.nan, np.nan, np.nan]]))
    assert bins.tolist() == [[len(f.edges) + 1 for f in baseline.features]]
    live = train.copy()
    live[:, 0] = np.nan  # never missing in training
    result = _psi(baseline, live)
    assert result[0] > SHIFTED and (result[1:] < STABLE).all()


@settings(max_examples=50, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 60), st.integers(1, 4)),
        elements=st.one_of(st.floats(-1e6, 1e6), st.just(np.nan), st.sampled_from([0.0, 1.0])),
    )
)
def test_any_rows_are_stable_against_their_own_baseline_and_round_trip(
    matrix: npt.NDArray[np.float64],
) -> None:
    names = [f"f{j}" for j in range(matrix.shape[1])]
    baseline = build_baseline(matrix, names)
    assert baseline.rows == matrix.shape[0]
    assert all(sum(f.expected) == pytest.approx(1.0) for f in baseline.features)
    assert np.allclose(_psi(baseline, matrix), 0.0)
    assert decode_baseline(encode_baseline(baseline)) == baseline


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "unreadable drift baseline"),
        (b'{"rows": 10}', "unreadable drift baseline"),
        (b'{"rows": 10, "features": [{"name": "x", "edges": [1.0], "expected": ["a"]}]}', "unreadable"),
        (b'{"rows": 10, "features": [{"name": "x", "edges": [1.0], "expected": [1.0]}]}', "'x': bins"),
    ],
)
def test_an_unreadable_or_inconsistent_baseline_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(DriftBaselineError, match=message):
        decode_baseline(data)


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (np.empty((0, 2)), "no training rows"),
        (np.zeros((5, 3)), r"rows x 2 matrix, got shape \(5, 3\)"),
        (np.zeros(5), r"rows x 2 matrix, got shape \(5,\)"),
    ],
)
def test_a_baseline_needs_rows_with_one_column_per_name(
    matrix: npt.NDArray[np.float64], message: str
) -> None:
    with pytest.raises(DriftBaselineError, match=message):
        build_baseline(matrix, ["a", "b"])


def test_live_rows_need_the_baseline_s_columns(baseline: DriftBaseline) -> None:
    with pytest.raises(DriftBaselineError, match="need 4 columns, got 3"):
        bin_rows(baseline, np.zeros((2, 3)))
    with pytest.raises(DriftBaselineError, match="n > 0"):
        psi(baseline, np.empty((0, 4), dtype=np.int64))


def test_windows_kept_apart_merge_by_adding_their_counts(
    baseline: DriftBaseline, train: npt.NDArray[np.float64]
) -> None:
    first, second = bin_rows(baseline, train[:1000]), bin_rows(baseline, train[1000:] + 1.0)
    sizes = [len(f.expected) for f in baseline.features]
    merged = [
        np.bincount(first[:, j], minlength=n) + np.bincount(second[:, j], minlength=n)
        for j, n in enumerate(sizes)
    ]
    assert np.allclose(psi_counts(baseline, merged), psi(baseline, np.vstack([first, second])))
    with pytest.raises(DriftBaselineError, match="need counts for 4 features, got 3"):
        psi_counts(baseline, merged[:3])
    for wrong in (np.zeros(sizes[0]), np.ones(sizes[0] + 1)):  # an empty window, a wrong length
        with pytest.raises(DriftBaselineError, match=f"distance_m: need {sizes[0]} bin counts"):
            psi_counts(baseline, [wrong, *merged[1:]])


def _register(registry: ModelRegistry, reports: dict[str, bytes]) -> int:
    return registry.register(
        "xg",
        b"model-bytes",
        feature_names=list(NAMES),
        params={},
        metrics={},
        lineage={},
        report_files=reports,
    ).version


def test_a_version_carries_its_baseline_or_none(tmp_path: Path, baseline: DriftBaseline) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    without = _register(registry, {"report.md": b"# xg"})
    with_it = _register(registry, {"report.md": b"# xg", BASELINE_FILE: encode_baseline(baseline)})
    assert baseline_of(registry.get("xg", without)) is None
    assert baseline_of(registry.get("xg", with_it)) == baseline


def test_a_damaged_or_lost_baseline_file_is_an_error(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "registry")
    small = DriftBaseline(rows=1, features=[FeatureBins("a", [0.0], [1.0, 0.0, 0.0])])
    version = registry.get("xg", _register(registry, {BASELINE_FILE: encode_baseline(small)}))
    (version.path / BASELINE_FILE).write_bytes(b"{")
    with pytest.raises(DriftBaselineError, match="unreadable drift baseline"):
        baseline_of(version)
    (version.path / BASELINE_FILE).unlink()
    with pytest.raises(DriftBaselineError, match="xg v1: cannot read its baseline"):
        baseline_of(version)
