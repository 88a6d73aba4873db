"""The evaluation report stored with each registered version: Markdown plus PNG plots."""

from __future__ import annotations

import io
from typing import Any, NamedTuple

import matplotlib

matplotlib.use("Agg")  # files only, no display: safe on servers and in CI

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt

from .metrics import calibration_table, roc_auc, roc_curve

__all__ = [
    "LEAD_LABELS",
    "XG_LABELS",
    "PlotLabels",
    "importance_plot",
    "reliability_figure",
    "reliability_plot",
    "render_report",
    "roc_plot",
]

FloatArray = npt.NDArray[np.float64]


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


class PlotLabels(NamedTuple):
    """What a reliability plot's axes and counts are called, per model."""

    predicted: str
    observed: str
    rows: str


XG_LABELS = PlotLabels("mean predicted xG", "observed goal rate", "shots")
LEAD_LABELS = PlotLabels("mean predicted steal success", "observed success rate", "attempts")


def reliability_plot(
    y: FloatArray, predictions: dict[str, FloatArray], labels: PlotLabels = XG_LABELS
) -> bytes:
    """Observed rate against mean prediction per bin, one line per model; numbers = rows per bin."""
    return _png(reliability_figure(y, predictions, labels))


def reliability_figure(y: FloatArray, predictions: dict[str, FloatArray], labels: PlotLabels) -> Any:
    """The figure :func:`reliability_plot` renders (a matplotlib ``Figure``)."""
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="perfect calibration")
    for name, p in predictions.items():
        table = [b for b in calibration_table(y, p) if b["n"]]
        xs = [b["mean_predicted"] for b in table]
        ys = [b["observed"] for b in table]
        ax.plot(xs, ys, marker="o", label=name)
        for b in table:
            ax.annotate(str(b["n"]), (b["mean_predicted"], b["observed"]), fontsize=7, alpha=0.6)
    ax.set_xlabel(f"{labels.predicted} in bin")
    ax.set_ylabel(f"{labels.observed} in bin")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(f"Reliability (numbers: {labels.rows} per bin)")
    ax.legend(loc="upper left")
    return fig


def roc_plot(y: FloatArray, predictions: dict[str, FloatArray], labels: PlotLabels = XG_LABELS) -> bytes:
    """True against false positive rate, one line per model, its AUC in the legend."""
    fig, ax = plt.subplots(figsize=(6, 6))
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance")
    for name, p in predictions.items():
        fpr, tpr = roc_curve(y, p)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc(y, p):.3f})")
    ax.set_xlabel(f"false positive rate (of {labels.rows} without the outcome)")
    ax.set_ylabel(f"true positive rate (of {labels.rows} with it)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title("ROC on the held-out rows")
    ax.legend(loc="lower right")
    return _png(fig)


def importance_plot(importance: list[tuple[str, float]]) -> bytes:
    top = importance[:15][::-1]
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.barh([n for n, _ in top], [v for _, v in top])
    ax.set_xlabel("total gain")
    ax.set_title("Feature importance (XGBoost total gain)")
    return _png(fig)


def _metrics_table(rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| model | shots | goals | log loss | Brier | ROC AUC | ECE |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, m in rows.items():
        lines.append(
            f"| {name} | {m['shots']} | {m['goals']} | {m['log_loss']:.4f} | {m['brier']:.4f} | "
            f"{m['roc_auc']:.4f} | {m['ece']:.4f} |"
        )
    return "\n".join(lines)


def _explained_shot(e: dict[str, Any]) -> str:
    outcome = "goal" if e["goal"] else "no goal"
    provider = "-" if e["provider_xg"] is None else f"{e['provider_xg']:.3f}"
    shot = f"{e['group']}: `{e['event_id'][:8]}`"
    return f"| {shot} | {e['match_id']} | {outcome} | {e['xg']:.3f} | {provider} | {'; '.join(e['why'])} |"


def render_report(summary: dict[str, Any]) -> str:
    """Markdown for one trained version; ``summary`` is what the pipeline measured."""
    split = summary["split"]
    m = summary["metrics"]
    lines = [
        f"# {summary['name']} — evaluation report",
        "",
        f"Trained {summary['created']} from {', '.join(summary['data'])} ({summary['shots_total']} shots; "
        f"{summary['shots_open_play']} open play, {summary['shots_penalty']} penalties, "
        f"{summary['shots_shootout']} shoot-out kicks; by provider: "
        f"{', '.join(f'{k} {v}' for k, v in summary['providers'].items())}). Event data: StatsBomb "
        "Open Data; Wyscout (Pappalardo et al. 2019, CC BY 4.0).",
        "",
        f"Two paths in one booster: its first {summary['event_rounds']} of {summary['rounds']} rounds are "
        "the event-only model (trained on every shot with the players' geometry hidden); the rounds after "
        "them were boosted on its logit from the shots whose players were known (the full model). The "
        "worker scores a shot with a freeze frame or tracking by the full model, any other by the "
        "event-only one; `model, event-only` below scores every held-out shot as if it had none.",
        "",
        "## Held-out evaluation",
        "",
        f"Held out: **{split['holdout_name']}** (`{split['holdout']}`), never used for training or tuning: "
        f"{split['rows']['test']} open-play shots in {split['matches']['test']} matches. Training: "
        f"{split['rows']['train']} shots in {split['matches']['train']} matches; early stopping on "
        f"{split['rows']['valid']} shots in {split['matches']['valid']} other matches (seed {split['seed']}, "
        "split by match, never by shot). Compared on the same open-play shots that carry StatsBomb's xG.",
        "",
        _metrics_table(m["holdout"]),
        "",
        *(
            [
                "Held-out shots of event-only feeds (Wyscout: no freeze frame, no provider xG):",
                "",
                _metrics_table(m["holdout_event_feeds"]),
                "",
            ]
            if m.get("holdout_event_feeds")
            else []
        ),
        f"Gate: {summary['gate']['verdict']}",
        "",
        "![reliability](reliability.png)",
        "",
        "![roc](roc.png)",
        "",
        "## Features",
        "",
        f"{len(summary['feature_names'])} features, computed by `features.shot` as the live worker does. "
        "The location-only model sees distance and angles alone: the gap to the full model is what the "
        "freeze frame and the shot's attributes add.",
        "",
        "| feature | total gain |",
        "| --- | --- |",
        *[f"| {n} | {v:.1f} |" for n, v in summary["importance"][:15]],
        "",
        "![importance](importance.png)",
        "",
        "## Explained held-out shots",
        "",
        "Scored and explained as the live worker does: the three features that moved each shot's log-odds "
        "most (SHAP values, `xg` outputs carry all of them).",
        "",
        "| shot | match | outcome | xG | StatsBomb xG | why |",
        "| --- | --- | --- | --- | --- | --- |",
        *[_explained_shot(e) for e in summary.get("explained", [])],
        "",
        "## Penalties and shoot-outs",
        "",
        f"Not in the model. A penalty gets the fixed rate {summary['penalty_rate']:.3f}: the conversion rate "
        f"of the {summary['penalty_rate_from']} penalties (normal and extra time) in the training "
        "competitions. Shoot-out kicks are excluded.",
        "",
        "## Parameters",
        "",
        "```",
        *[f"{k} = {v}" for k, v in sorted(summary["params"].items())],
        f"rounds = {summary['rounds']}",
        "```",
    ]
    if summary.get("search"):
        lines += [
            "",
            "## Search (validation log loss)",
            "",
            "| params | rounds | valid log loss |",
            "| --- | --- | --- |",
        ]
        for t in summary["search"]:
            params = ", ".join(f"{k}={v}" for k, v in t.items() if k not in ("rounds", "valid_log_loss"))
            lines.append(f"| {params} | {t['rounds']} | {t['valid_log_loss']:.5f} |")
    return "\n".join(lines) + "\n"
