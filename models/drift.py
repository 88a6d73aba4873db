"""Training-time feature distributions of a model version, and how far live inputs moved from them.

Each registered version carries a baseline (``drift_baseline.json`` among its report files): per
feature, the decile edges of the training rows and the share of rows in each bin, plus the share of
missing values. Live inputs are put in the same bins and compared with the population stability
index, PSI = sum((live - expected) * ln(live / expected)). Read as usual: below 0.1 stable, 0.1 to
0.25 worth a look, above 0.25 the inputs have shifted. Pure numpy; the worker keeps the window.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np
import numpy.typing as npt

from .errors import PitchsideError
from .registry import ModelVersion

__all__ = [
    "BASELINE_FILE",
    "DriftBaseline",
    "DriftBaselineError",
    "FeatureBins",
    "baseline_of",
    "bin_rows",
    "build_baseline",
    "decode_baseline",
    "encode_baseline",
    "psi",
    "psi_counts",
]

BASELINE_FILE = "drift_baseline.json"
# An empty bin would make the log infinite: shares are floored at this (a common PSI convention).
SHARE_FLOOR = 1e-4
DEFAULT_BINS = 10


class DriftBaselineError(PitchsideError):
    """A baseline that cannot be built or read."""


class FeatureBins(msgspec.Struct, frozen=True):
    """One feature: bins ``(-inf, e0], (e0, e1], ..., (e_last, inf)``, then one for missing values.
    ``expected`` holds the training share of each, ``len(edges) + 2`` values summing to 1."""

    name: str
    edges: list[float]
    expected: list[float]

    @property
    def informative(self) -> bool:
        """False for a feature no training row had a value for (e.g. outs, absent from Savant):
        the model could not learn from it, so its live values are no drift of the model's inputs."""
        return len(self.expected) > 1 and self.expected[-1] < 1.0


class DriftBaseline(msgspec.Struct, frozen=True):
    rows: int
    features: list[FeatureBins]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)


def build_baseline(matrix: npt.ArrayLike, names: Sequence[str], bins: int = DEFAULT_BINS) -> DriftBaseline:
    """The baseline of training rows (one column per name, NaN = missing)."""
    x = np.asarray(matrix, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(names):
        raise DriftBaselineError(f"need a rows x {len(names)} matrix, got shape {x.shape}")
    if x.shape[0] == 0:
        raise DriftBaselineError("no training rows to take a baseline from")
    quantiles = np.linspace(0.0, 1.0, bins + 1)[1:-1]
    features: list[FeatureBins] = []
    for j, name in enumerate(names):
        column = x[:, j]
        present = column[np.isfinite(column)]
        # Repeated quantiles collapse (a one-hot column has edges {0, 1}: three bins, one empty).
        edges = np.unique(np.quantile(present, quantiles)) if present.size else np.empty(0)
        counts = _counts(_bin_column(edges, column), edges.size + 2)
        features.append(
            FeatureBins(
                name=name,
                edges=[float(e) for e in edges],
                expected=[float(c) / x.shape[0] for c in counts],
            )
        )
    return DriftBaseline(rows=int(x.shape[0]), features=features)


def _bin_column(edges: npt.NDArray[np.float64], column: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    index = np.searchsorted(edges, column, side="left").astype(np.int64)  # (e_{i-1}, e_i] -> i
    index[~np.isfinite(column)] = edges.size + 1
    return index


def _counts(index: npt.NDArray[np.int64], size: int) -> npt.NDArray[np.int64]:
    return np.bincount(index, minlength=size)[:size]


def bin_rows(baseline: DriftBaseline, rows: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The bin of every value: ``rows`` is n x features (baseline order); returns n x features."""
    x = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    if x.shape[1] != len(baseline.features):
        raise DriftBaselineError(f"need {len(baseline.features)} columns, got {x.shape[1]}")
    out = np.empty(x.shape, dtype=np.int64)
    for j, feature in enumerate(baseline.features):
        out[:, j] = _bin_column(np.asarray(feature.edges, dtype=np.float64), x[:, j])
    return out


def psi(baseline: DriftBaseline, bins: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """PSI per feature of the rows whose bins are given (from :func:`bin_rows`)."""
    if bins.ndim != 2 or bins.shape[1] != len(baseline.features) or bins.shape[0] == 0:
        raise DriftBaselineError(f"need n x {len(baseline.features)} bins with n > 0, got {bins.shape}")
    counts = [_counts(bins[:, j], len(f.expected)) for j, f in enumerate(baseline.features)]
    return psi_counts(baseline, counts)


def psi_counts(baseline: DriftBaseline, counts: Sequence[npt.ArrayLike]) -> npt.NDArray[np.float64]:
    """PSI per feature from live counts per bin (one sequence per feature, baseline order): windows
    kept apart, e.g. one per worker, are merged by adding their counts."""
    if len(counts) != len(baseline.features):
        raise DriftBaselineError(f"need counts for {len(baseline.features)} features, got {len(counts)}")
    out = np.empty(len(baseline.features))
    for j, feature in enumerate(baseline.features):
        live_counts = np.asarray(counts[j], dtype=np.float64)
        total = live_counts.sum()
        if live_counts.shape != (len(feature.expected),) or total <= 0:
            raise DriftBaselineError(
                f"{feature.name}: need {len(feature.expected)} bin counts with a positive total"
            )
        expected = np.maximum(np.asarray(feature.expected), SHARE_FLOOR)
        live = np.maximum(live_counts / total, SHARE_FLOOR)
        out[j] = float(np.sum((live - expected) * np.log(live / expected)))
    return out


def encode_baseline(baseline: DriftBaseline) -> bytes:
    return msgspec.json.encode(baseline)


def decode_baseline(data: bytes) -> DriftBaseline:
    try:
        baseline = msgspec.json.decode(data, type=DriftBaseline)
    except msgspec.DecodeError as exc:
        raise DriftBaselineError(f"unreadable drift baseline: {exc}") from exc
    for feature in baseline.features:
        if len(feature.expected) != len(feature.edges) + 2:
            raise DriftBaselineError(f"drift baseline of {feature.name!r}: bins and edges disagree")
    return baseline


def baseline_of(version: ModelVersion) -> DriftBaseline | None:
    """The baseline a registered version carries, or None for a version registered without one."""
    if BASELINE_FILE not in version.report_files:
        return None
    try:
        return decode_baseline(version.report_path(BASELINE_FILE).read_bytes())
    except OSError as exc:
        raise DriftBaselineError(
            f"{version.name} v{version.version}: cannot read its baseline: {exc}"
        ) from exc
