"""The worker's drift windows: a ring of the last inputs, one window per serving version, and the
windows of several workers added up the way ``pitchside models drift`` does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from models.drift import (
    BASELINE_FILE,
    DriftBaseline,
    DriftBaselineError,
    bin_rows,
    build_baseline,
    encode_baseline,
    psi,
)
from stream.worker.drift import DriftMonitor, DriftWindow, merge_drift

NAMES = ("a", "b", "c")
RNG = np.random.default_rng(3)
TRAIN = np.column_stack([RNG.normal(size=4000), RNG.uniform(size=4000), RNG.integers(0, 2, 4000)])
BASELINE = build_baseline(TRAIN, NAMES)


def test_a_full_window_counts_exactly_its_last_inputs() -> None:
    rows = np.column_stack([RNG.normal(1.0, size=250), RNG.uniform(size=250), RNG.integers(0, 2, 250)])
    window = DriftWindow("m", 1, BASELINE, NAMES, size=100)
    for row in rows:
        window.add(row)
    assert window.inputs == 100
    np.testing.assert_allclose(window.psi(), psi(BASELINE, bin_rows(BASELINE, rows[-100:])))


def test_live_vectors_are_matched_to_the_baseline_by_name() -> None:
    live_names = ("extra", "c", "b", "a")  # the worker's vector holds more, in another order
    window = DriftWindow("m", 1, BASELINE, live_names, size=50)
    for row in TRAIN[:50]:
        window.add(np.array([99.0, row[2], row[1], row[0]]))
    np.testing.assert_allclose(window.psi(), psi(BASELINE, bin_rows(BASELINE, TRAIN[:50])))
    with pytest.raises(DriftBaselineError, match="lack"):
        DriftWindow("m", 1, BASELINE, ("a", "b"), size=10)


@dataclass
class _Version:
    name: str
    version: int
    report_files: tuple[str, ...]
    path: Path

    def report_path(self, file_name: str) -> Path:
        return self.path / file_name


class _Registry:
    def __init__(self, tmp_path: Path, baselines: dict[int, DriftBaseline | None]) -> None:
        self.tmp_path = tmp_path
        self.baselines = baselines

    def get(self, name: str, version: int) -> _Version:
        baseline = self.baselines[version]
        path = self.tmp_path / f"v{version}"
        path.mkdir(exist_ok=True)
        if baseline is None:
            return _Version(name, version, (), path)
        (path / BASELINE_FILE).write_bytes(encode_baseline(baseline))
        return _Version(name, version, (BASELINE_FILE,), path)


def test_a_swap_starts_a_new_window_and_a_version_without_baseline_is_not_compared(tmp_path: Path) -> None:
    monitor = DriftMonitor(_Registry(tmp_path, {1: BASELINE, 2: None, 3: BASELINE}), {"m": NAMES}, 50, 10)
    for row in TRAIN[:20]:
        monitor.observe("m", 1, row)
    assert [r.feature for r in monitor.readings()] == list(NAMES)
    assert all(r.inputs == 20 and r.version == 1 for r in monitor.readings())
    monitor.observe("m", 2, TRAIN[0])  # v2 has no baseline: nothing to compare with
    assert monitor.readings() == [] and monitor.windows == {}
    for row in TRAIN[:5]:
        monitor.observe("m", 3, row)
    assert monitor.windows["m"].version == 3 and monitor.readings() == []  # 5 < 10 inputs yet


def test_workers_windows_add_up_to_the_psi_of_all_their_inputs(tmp_path: Path) -> None:
    registry = _Registry(tmp_path, {1: BASELINE})
    rows = np.column_stack([RNG.normal(0.5, size=300), RNG.uniform(size=300), RNG.integers(0, 2, 300)])
    workers = [DriftMonitor(registry, {"m": NAMES}, 1000, 1) for _ in range(3)]
    for n, row in enumerate(rows):
        workers[n % 3].observe("m", 1, row)
    snapshots = [s for w in workers for s in w.snapshots()]
    [merged] = merge_drift(snapshots, registry)
    assert merged.inputs == 300 and merged.workers == 3
    expected = psi(BASELINE, bin_rows(BASELINE, rows))
    assert [merged.psi[n] for n in NAMES] == pytest.approx(expected, abs=1e-4)
    assert merged.psi["a"] > 0.1 > merged.psi["b"]  # the shifted column, not the others
    assert merge_drift(snapshots, registry, min_inputs=301) == []


def test_a_feature_never_seen_in_training_is_not_reported(tmp_path: Path) -> None:
    train = TRAIN.copy()
    train[:, 2] = np.nan
    baseline = build_baseline(train, NAMES)
    monitor = DriftMonitor(_Registry(tmp_path, {1: baseline}), {"m": NAMES}, 50, 1)
    monitor.observe("m", 1, TRAIN[0])
    assert [r.feature for r in monitor.readings()] == ["a", "b"]


def test_only_the_serving_version_and_a_window_still_fed_are_reported(tmp_path: Path) -> None:
    monitor = DriftMonitor(_Registry(tmp_path, {1: BASELINE}), {"m": NAMES}, 50, 1)
    monitor.observe("m", 1, TRAIN[0])
    assert len(monitor.readings({"m": 1}, idle_s=60)) == 3
    assert monitor.readings({"m": 2}) == []  # v2 took over; its first input opens its window
    monitor.windows["m"].last_input -= 120  # two minutes without an input
    assert monitor.readings({"m": 1}, idle_s=60) == []
    assert len(monitor.readings({"m": 1}, idle_s=300)) == 3
