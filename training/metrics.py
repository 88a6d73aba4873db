"""Probability metrics for binary outcomes (numpy only): log loss, Brier score, ROC AUC, expected
calibration error and the reliability table behind the plot."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "CALIBRATION_BINS",
    "brier",
    "calibration_table",
    "expected_calibration_error",
    "log_loss",
    "roc_auc",
    "roc_curve",
    "scores",
]

FloatArray = npt.NDArray[np.float64]
CALIBRATION_BINS = 10
_EPS = 1e-15


def log_loss(y: FloatArray, p: FloatArray) -> float:
    q = np.clip(p, _EPS, 1 - _EPS)
    return float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))


def brier(y: FloatArray, p: FloatArray) -> float:
    return float(np.mean((p - y) ** 2))


def roc_curve(y: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """False and true positive rates at every distinct threshold, from (0, 0) to (1, 1). Tied
    predictions move together (a diagonal step), so the area under it is :func:`roc_auc`."""
    positives = float(y.sum())
    negatives = float(len(y)) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("a ROC curve needs both outcomes among the rows")
    order = np.argsort(-p, kind="mergesort")
    sorted_p, sorted_y = p[order], y[order]
    # The last row of each run of equal predictions: thresholds between distinct values.
    last = np.flatnonzero(np.r_[sorted_p[1:] != sorted_p[:-1], True])
    hits = np.cumsum(sorted_y)[last]
    misses = (last + 1) - hits
    fpr: FloatArray = np.r_[0.0, misses / negatives]
    tpr: FloatArray = np.r_[0.0, hits / positives]
    return fpr, tpr


def roc_auc(y: FloatArray, p: FloatArray) -> float:
    """Probability that a random goal scores above a random miss (ties count half): the
    Mann-Whitney statistic, with average ranks for tied predictions."""
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sorted_p = p[order]
    # Average rank over each run of equal predictions.
    starts = np.flatnonzero(np.r_[True, sorted_p[1:] != sorted_p[:-1]])
    ends = np.r_[starts[1:], len(p)]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = (s + e + 1) / 2.0
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def calibration_table(y: FloatArray, p: FloatArray, bins: int = CALIBRATION_BINS) -> list[dict[str, float]]:
    """Equal-width bins of predicted probability: count, mean prediction, observed goal rate."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table = []
    for b in range(bins):
        rows = index == b
        n = int(rows.sum())
        table.append(
            {
                "low": float(edges[b]),
                "high": float(edges[b + 1]),
                "n": n,
                "mean_predicted": float(p[rows].mean()) if n else float("nan"),
                "observed": float(y[rows].mean()) if n else float("nan"),
            }
        )
    return table


def expected_calibration_error(y: FloatArray, p: FloatArray, bins: int = CALIBRATION_BINS) -> float:
    """Bin-count-weighted mean gap between predicted and observed rates (equal-width bins)."""
    table = calibration_table(y, p, bins)
    return float(sum(b["n"] * abs(b["mean_predicted"] - b["observed"]) for b in table if b["n"]) / len(y))


def scores(y: FloatArray, p: FloatArray) -> dict[str, Any]:
    """All four figures, rounded for reports; ``None`` where undefined (AUC with one class only)."""
    auc = roc_auc(y, p)
    return {
        "log_loss": round(log_loss(y, p), 5),
        "brier": round(brier(y, p), 5),
        "roc_auc": None if np.isnan(auc) else round(auc, 5),
        "ece": round(expected_calibration_error(y, p), 5),
        "shots": len(y),
        "goals": int(y.sum()),
    }
