"""The lead-distance pipeline: load Savant opportunities -> features -> split by season -> train
(monotone in lead) -> evaluate against two baselines -> gate -> register.

The latest season is held out whole for evaluation; early stopping uses the season before it. The
probability may only rise with the lead (an XGBoost monotone constraint), with the runner's sprint
speed, the catcher's pop time, the runner's past success and the steals the pitcher allowed, and only
fall with the runner-stopping record of the catcher (:data:`MONOTONE`). The booster's output is then
recalibrated (Platt scaling) on the early-stopping season, the most recent one before the held-out
season. Each version ships the players' record through the last data season
(:data:`models.players.HISTORY_FILE`, checksummed with the reports) for the worker to look players up.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
import xgboost as xgb

from features.baseball import LEAD_GRID_FT, PITCH_FEATURE_NAMES, PRIOR_ATTEMPTS, lead_grid
from models.drift import BASELINE_FILE, build_baseline, encode_baseline
from models.lead import platt
from models.players import HISTORY_FILE, POP_TIME_FILE, SPRINT_FILE, load_player_reference
from models.registry import ModelRegistry, ModelVersion

from .explain import explain_pitches
from .learn import Fitted, fit, importance
from .lineage import run_lineage
from .metrics import scores
from .pipeline import gate
from .report import LEAD_LABELS, importance_plot, reliability_plot, roc_plot
from .savant import LeadDataset, csv_files, load_opportunities
from .shots import TrainingDataError, hash_files

__all__ = ["LEAD_MONOTONE", "MONOTONE", "LeadOptions", "evaluate_lead", "train_lead"]

FloatArray = npt.NDArray[np.float64]
MODEL_NAME = "lead"
# The leads the model has data for: the 1st to 99th percentile of its training attempts' leads.
SUPPORT_QUANTILES = (0.01, 0.99)
# +1: P(success) never falls as the feature grows; -1: never rises. The player-record directions
# are the plain reading of the records (a runner who succeeded, a pitcher who let steals through, a
# catcher who threw runners out), constrained so a thin record cannot flip them.
MONOTONE = {
    "lead_ft": 1,
    "runner_sprint_speed_fps": 1,
    "catcher_pop_time_s": 1,
    "runner_success_vs_league": 1,
    "catcher_cs_vs_league": -1,
    "pitcher_sb_vs_league": 1,
}
LEAD_MONOTONE = "(" + ",".join(str(MONOTONE.get(n, 0)) for n in PITCH_FEATURE_NAMES) + ")"


@dataclass(frozen=True)
class LeadOptions:
    data: Path
    seed: int = 7
    override_gate: bool = False
    name: str = MODEL_NAME


def _bucket_rates(lead: FloatArray, y: FloatArray) -> tuple[dict[int, float], float]:
    overall = float(y.mean())
    buckets = np.floor(lead).astype(int)
    return {int(b): float(y[buckets == b].mean()) for b in np.unique(buckets)}, overall


class Predictor(Protocol):
    def predict(self, x: FloatArray) -> FloatArray: ...


@dataclass(frozen=True)
class Calibrated:
    """The fitted booster with Platt recalibration: ``sigmoid(scale * margin + shift)``."""

    model: Fitted
    scale: float
    shift: float

    def margin(self, x: FloatArray) -> FloatArray:
        out: FloatArray = self.model.booster.predict(xgb.DMatrix(x), output_margin=True).astype(np.float64)
        return out

    def predict(self, x: FloatArray) -> FloatArray:
        out: FloatArray = 1.0 / (1.0 + np.exp(-(self.scale * self.margin(x) + self.shift)))
        return out


def fit_platt(margin: FloatArray, y: FloatArray) -> tuple[float, float]:
    """Logistic regression of the outcome on the booster's margin (Newton's method). The most recent
    season before the held-out one carries the latest league conditions (2023's rule changes raised
    success rates); a scale that is not positive would break monotonicity: identity then."""
    scale, shift = 1.0, 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(scale * margin + shift)))
        w = p * (1.0 - p)
        gradient = np.array([((p - y) * margin).sum(), (p - y).sum()])
        hessian = np.array([[(w * margin * margin).sum(), (w * margin).sum()], [(w * margin).sum(), w.sum()]])
        step = np.linalg.solve(hessian, gradient)
        scale, shift = scale - float(step[0]), shift - float(step[1])
        if abs(step).max() < 1e-9:
            break
    return (scale, shift) if scale > 0 else (1.0, 0.0)


def calibrated_probabilities(margin: FloatArray, extra: dict[str, Any]) -> FloatArray:
    """A registered version's probabilities from its raw margins and stored calibration."""
    scale, shift = platt(extra.get("calibration") if isinstance(extra.get("calibration"), dict) else None)
    out: FloatArray = 1.0 / (1.0 + np.exp(-(scale * margin + shift)))
    return out


def evaluate_lead(
    data: LeadDataset, train: npt.NDArray[np.bool_], test: npt.NDArray[np.bool_], model: Predictor
) -> tuple[dict[str, Any], dict[str, FloatArray]]:
    """The model and two baselines fitted on the training rows (the overall success rate; the rate per
    1-ft lead bucket, the overall rate where a bucket is empty), on the same held-out rows."""
    y = data.success[test]
    by_bucket, overall = _bucket_rates(data.x[train, 0], data.success[train])
    test_buckets = np.floor(data.x[test, 0]).astype(int)
    predictions = {
        "model": model.predict(data.x[test]),
        "overall rate": np.full(len(y), overall),
        "rate by 1-ft lead": np.array([by_bucket.get(int(b), overall) for b in test_buckets]),
    }
    return {name: scores(y, p) for name, p in predictions.items()}, {"y": y, **predictions}


def _curve_pairs(data: LeadDataset, test: npt.NDArray[np.bool_]) -> list[tuple[int, str]]:
    """A few real held-out attempts to draw curves for: the fastest and slowest known runner, and
    the attempt against the quickest known pop time."""
    rows = np.flatnonzero(test)
    speed, pop = data.x[rows, 1], data.x[rows, 2]
    picks: list[tuple[int, str]] = []
    if np.isfinite(speed).any():
        picks.append((int(rows[np.nanargmax(speed)]), "fastest runner"))
        picks.append((int(rows[np.nanargmin(speed)]), "slowest runner"))
    if np.isfinite(pop).any():
        picks.append((int(rows[np.nanargmin(pop)]), "quickest catcher"))
    return picks


def _curves_plot(
    data: LeadDataset, model: Predictor, picks: list[tuple[int, str]]
) -> tuple[bytes, list[dict[str, Any]]]:
    fig, ax = plt.subplots(figsize=(7, 5))
    curves = []
    for row, label in picks:
        p = model.predict(lead_grid(data.x[row]))
        name = f"{label}: runner {data.runner[row]} v catcher {data.catcher[row]} ({data.target_base[row]})"
        ax.plot(LEAD_GRID_FT, p, marker=".", label=name)
        curves.append({"label": name, "probabilities": [round(float(v), 4) for v in p]})
    ax.set_xlabel("lead at the pitcher's first move (ft)")
    ax.set_ylabel("P(steal succeeds)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("21-point curves, real held-out attempts")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue(), curves


def lead_support(leads: FloatArray) -> dict[str, Any]:
    """The range of leads (ft) the training attempts cover, :data:`SUPPORT_QUANTILES` of them.

    Runners almost never take a short lead before an attempt (25 of 20,301 under 6 ft), so below the
    range the curve is the booster's extrapolation, flat: graphics should grey it out.
    """
    measured = leads[np.isfinite(leads)]
    if measured.size == 0:
        raise TrainingDataError("no attempt with a measured lead: no support range for the curve")
    low, high = np.quantile(measured, SUPPORT_QUANTILES)
    return {
        "low_ft": round(float(low), 1),
        "high_ft": round(float(high), 1),
        "quantiles": list(SUPPORT_QUANTILES),
        "attempts": int(measured.size),
    }


def _report(summary: dict[str, Any]) -> str:
    m = summary["metrics"]
    lines = [
        f"# {summary['name']} — evaluation report",
        "",
        f"Trained {summary['created']} on Baseball Savant stolen-base attempts ({summary['rows']} SB/CS "
        f"with a lead; left out: {summary['left_out']}). Data: Baseball Savant / MLBAM.",
        "",
        f"Held out: season **{summary['holdout']}** ({summary['split']['test']} attempts). Trained on "
        f"{summary['split']['train']} attempts of seasons {summary['train_seasons']}; early stopping on "
        f"season {summary['valid_season']} ({summary['split']['valid']}), also used to recalibrate "
        f"(Platt: scale {summary['calibration'][0]:.3f}, shift {summary['calibration'][1]:.3f}); seed "
        f"{summary['seed']}.",
        "",
        "| model | attempts | successes | log loss | Brier | ROC AUC | ECE |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *[
            f"| {k} | {v['shots']} | {v['goals']} | {v['log_loss']:.4f} | {v['brier']:.4f} | "
            f"{'-' if v['roc_auc'] is None else format(v['roc_auc'], '.4f')} | {v['ece']:.4f} |"
            for k, v in m.items()
        ],
        "",
        f"Gate: {summary['gate']['verdict']}",
        "",
        "![reliability](reliability.png)",
        "",
        "![roc](roc.png)",
        "",
        "## Feature importance (total gain)",
        "",
        *[f"- {name}: {gain:.1f}" for name, gain in summary["importance"]],
        "",
        "![importance](importance.png)",
        "",
        "## 21-point curves (lead 0..20 ft)",
        "",
        "P(steal succeeds), given an attempt. The training attempts' leads span "
        f"{summary['support']['low_ft']}-{summary['support']['high_ft']} ft (1st-99th percentile of "
        f"{summary['support']['attempts']}); outside that the curve is extrapolated.",
        "",
        *[f"- {c['label']}: " + ", ".join(f"{p:.2f}" for p in c["probabilities"]) for c in summary["curves"]],
        "",
        "![curves](curves.png)",
        "",
        "## Explained held-out attempts",
        "",
        "The same attempts at the runner's real lead: P(success) and the three features that moved its "
        "log-odds most (SHAP values, scaled by the recalibration so they add up to the calibrated log-odds).",
        "",
        *[
            f"- {e['label']} ({'safe' if e['success'] else 'caught'}): {e['probability']:.2f}; "
            + "; ".join(e["why"])
            for e in summary.get("explained", [])
        ],
        "",
        f"Monotone constraints `{LEAD_MONOTONE}` over {list(PITCH_FEATURE_NAMES)}: the probability never "
        "falls as the lead, the sprint speed, the pop time, the runner's past success or the pitcher's "
        "steals allowed grows, and never rises with the catcher's caught-stealing record. Unknown sprint "
        "speed or pop time: NaN, XGBoost's missing-value branch.",
        "",
        "## Player records",
        "",
        "Each attempt carries its runner's, catcher's and pitcher's steal record from earlier seasons only, "
        "shrunk toward those seasons' league rate with an additive prior of "
        + ", ".join(f"{n} attempts ({role})" for role, n in PRIOR_ATTEMPTS.items())
        + f"; the first season has none (NaN). Shipped for live scoring: `{HISTORY_FILE}`, the record of "
        f"seasons {summary['history']['seasons']} ({summary['history']['runners']} runners, "
        f"{summary['history']['catchers']} catchers, {summary['history']['pitchers']} pitchers).",
    ]
    return "\n".join(lines) + "\n"


def train_lead(
    options: LeadOptions, registry: ModelRegistry, step: Callable[[str], None] = lambda _s: None
) -> tuple[ModelVersion, dict[str, Any]]:
    savant_dir = options.data if options.data.is_dir() else options.data.parent
    step(f"load opportunities from {options.data}")
    data = load_opportunities(options.data, load_player_reference(savant_dir))
    seasons = sorted(set(data.season.tolist()))
    if len(seasons) < 3:
        raise TrainingDataError(
            f"{options.data}: {len(seasons)} season(s); need 3 (train, early stopping, held out)"
        )
    holdout = seasons[-1]
    # Early stopping and recalibration use the latest season before it: the closest to the league
    # the model will score (seasons drift: 2023's rule changes raised success rates).
    valid_season = seasons[-2]
    test = data.season == holdout
    valid = data.season == valid_season
    train = ~test & ~valid
    step(f"train on {int(train.sum())} attempts, holding out season {holdout}")
    model = fit(
        data.x[train],
        data.success[train],
        data.x[valid],
        data.success[valid],
        PITCH_FEATURE_NAMES,
        options.seed,
        {"monotone_constraints": LEAD_MONOTONE},
    )
    step(f"calibrate on season {valid_season}")
    raw = Calibrated(model, 1.0, 0.0)
    scale, shift = fit_platt(raw.margin(data.x[valid]), data.success[valid])
    calibrated = Calibrated(model, scale, shift)
    step("evaluate")
    metrics, predictions = evaluate_lead(data, train, test, calibrated)
    metrics["model before calibration"] = scores(data.success[test], raw.predict(data.x[test]))
    verdict = gate(
        registry,
        options.name,
        PITCH_FEATURE_NAMES,
        data.x[test],
        data.success[test],
        metrics["model"]["log_loss"],
        options.override_gate,
        calibrated_probabilities,
    )
    picks = _curve_pairs(data, test)
    curves_png, curves = _curves_plot(data, calibrated, picks)
    summary: dict[str, Any] = {
        "name": options.name,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": len(data),
        "left_out": data.left_out,
        "holdout": holdout,
        "valid_season": valid_season,
        "train_seasons": [s for s in seasons if s not in (holdout, valid_season)],
        "seed": options.seed,
        "split": {"train": int(train.sum()), "valid": int(valid.sum()), "test": int(test.sum())},
        "metrics": metrics,
        "gate": verdict,
        "curves": curves,
        "calibration": (scale, shift),
        "importance": importance(model, PITCH_FEATURE_NAMES),
        "support": lead_support(data.x[train][:, PITCH_FEATURE_NAMES.index("lead_ft")]),
        "explained": explain_pitches(model.booster, scale, shift, data, picks, PITCH_FEATURE_NAMES),
        "history": {
            "seasons": list(data.history.seasons),
            "runners": len(data.history.runners),
            "catchers": len(data.history.catchers),
            "pitchers": len(data.history.pitchers),
        },
    }
    y = predictions.pop("y")
    step("register")
    version = registry.register(
        options.name,
        bytes(model.booster.save_raw("ubj")),
        feature_names=list(PITCH_FEATURE_NAMES),
        params={**model.params, "rounds": model.best_iteration + 1},
        metrics={"holdout": metrics, "valid_log_loss": round(model.valid_log_loss, 5)},
        lineage={
            "files": hash_files(
                [
                    *csv_files(options.data),
                    *(p for f in (SPRINT_FILE, POP_TIME_FILE) if (p := savant_dir / f).is_file()),
                ],
                savant_dir,
            ),
            "holdout_season": holdout,
            "valid_season": valid_season,
            "seed": options.seed,
            "run": run_lineage(),
        },
        report_files={
            "report.md": _report(summary).encode(),
            "reliability.png": reliability_plot(y, predictions, LEAD_LABELS),
            "roc.png": roc_plot(y, predictions, LEAD_LABELS),
            "importance.png": importance_plot(summary["importance"]),
            "curves.png": curves_png,
            # The attempts the booster was fit on (not the early-stopping or held-out seasons): live
            # pitch contexts are later compared with these.
            BASELINE_FILE: encode_baseline(build_baseline(data.x[train], PITCH_FEATURE_NAMES)),
            # Every season's record: the "earlier seasons" of the live season, which follows them.
            HISTORY_FILE: data.history.encode(),
        },
        extra={
            "kind": "lead",
            "leads_ft": [float(v) for v in LEAD_GRID_FT],
            "lead_support": summary["support"],
            "gate": verdict,
            "player_history": {"file": HISTORY_FILE, "prior_attempts": dict(PRIOR_ATTEMPTS)},
            "calibration": {
                "method": "platt",
                "scale": scale,
                "shift": shift,
                "fitted_on": f"season {valid_season}",
            },
        },
    )
    return version, summary
