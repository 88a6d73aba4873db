"""The xG model at run time: one shot's features in, the probability and its explanation out.

Explanations are XGBoost's SHAP values (``pred_contribs``): per feature, how much it moved this
shot's log-odds away from the average shot; they and the bias add up to the log-odds exactly. The
top contributors are also written in plain words ("distance 24 m: -0.41"). Penalties are not scored
by the booster: they get the model's fixed penalty rate (see the training report).

Two paths, chosen per shot by what is known (:data:`PATHS`). A version trained in two stages keeps
both in one booster: its first ``event_rounds`` trees are the **event-only** model (they never saw
the players' geometry), the trees after them were boosted on top of that logit from shots whose
players were known: the **full** model. A shot with any of :data:`features.shot.FREEZE_FRAME_NAMES`
known (a freeze frame or tracking) is scored by every tree, any other by the first ``event_rounds``
only; the SHAP values add up either way. A version trained in one stage scores every shot alike
(``single``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from features.shot import FREEZE_FRAME_NAMES

from .errors import PitchsideError

__all__ = [
    "PATHS",
    "ModelLoadError",
    "XgModel",
    "XgPrediction",
    "describe_feature",
    "load_booster",
    "shot_log_loss",
    "top_contributors",
]

FloatArray = npt.NDArray[np.float64]
TOP_CONTRIBUTORS = 3
DEFAULT_PENALTY_RATE = 0.76  # for a version that records none
# How a shot was scored: by the full model, the event-only one, one model for all, or a fixed rate.
PATHS = ("full", "event_only", "single", "penalty_rate")


class ModelLoadError(PitchsideError):
    """An artifact cannot serve: unreadable, or built for other features."""


@dataclass(frozen=True, slots=True)
class XgPrediction:
    probability: float
    contributions: dict[str, float]  # log-odds, per feature; they add up with ``bias``
    bias: float
    top: list[str]
    method: str  # "model" or "penalty_rate"
    path: str = "single"  # one of PATHS


_PLAIN: dict[str, tuple[str, str]] = {
    "distance_m": ("distance", "{:.0f} m"),
    "angle_deg": ("goal angle", "{:.0f} deg"),
    "offcentre_deg": ("angle off centre", "{:.0f} deg"),
    "defenders_in_triangle": ("defenders in the way", "{:.0f}"),
    "attackers_in_triangle": ("teammates in the way", "{:.0f}"),
    "keeper_in_triangle": ("keeper in the way", "{:.0f}"),
    "keeper_to_goal_m": ("keeper from goal centre", "{:.1f} m"),
    "keeper_to_line_m": ("keeper off the shot line", "{:.1f} m"),
    "nearest_defender_m": ("nearest defender", "{:.1f} m"),
    "defenders_within_3m": ("defenders within 3 m", "{:.0f}"),
    "since_previous_s": ("previous action", "{:.1f} s before"),
    "assist_length_m": ("assist", "{:.0f} m long"),
    "counter_speed_mps": ("attack speed", "{:.1f} m/s"),
}


def describe_feature(name: str, value: float, plain: Mapping[str, tuple[str, str]] = _PLAIN) -> str:
    """A feature and its value in words: ``distance 24 m``, ``header``, ``not under pressure``.
    ``plain`` names the numeric features (label, format); the rest read as flags or one-hots."""
    if math.isnan(value):
        return f"{plain.get(name, (name, ''))[0]} unknown"
    if name in plain:
        label, fmt = plain[name]
        return f"{label} {fmt.format(value)}"
    # One-hot groups ("body_part=head") and flags ("under_pressure") read as what is or is not so.
    words = name.partition("=")[2] or name
    words = words.replace("_", " ")
    return words if value >= 0.5 else f"not {words}"


def top_contributors(
    names: Sequence[str],
    values: FloatArray,
    contributions: FloatArray,
    plain: Mapping[str, tuple[str, str]] = _PLAIN,
) -> list[str]:
    """The :data:`TOP_CONTRIBUTORS` features that moved the log-odds most, in words with their
    SHAP value: ``"distance 24 m: -0.41"``. ``contributions`` per feature, without the bias."""
    order = np.argsort(-np.abs(contributions))[:TOP_CONTRIBUTORS]
    return [f"{describe_feature(names[i], float(values[i]), plain)}: {contributions[i]:+.2f}" for i in order]


def load_booster(
    artifact: bytes, feature_names: Sequence[str], expected_features: Sequence[str], name: str, version: int
) -> xgb.Booster:
    """An artifact as a booster for one-row-at-a-time serving, refused (:class:`ModelLoadError`) if
    unreadable or built for other features than ``expected_features``, in that order."""
    if list(feature_names) != list(expected_features):
        missing = sorted(set(expected_features) - set(feature_names))
        extra = sorted(set(feature_names) - set(expected_features))
        raise ModelLoadError(
            f"{name} v{version} expects other features (missing {missing[:5]}, extra {extra[:5]}, "
            "or another order): retrain it with this code"
        )
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(artifact))
    except xgb.core.XGBoostError as exc:
        raise ModelLoadError(f"{name} v{version}: not a readable XGBoost model ({exc})") from None
    if booster.num_features() != len(expected_features):
        raise ModelLoadError(
            f"{name} v{version}: the booster takes {booster.num_features()} features, "
            f"not {len(expected_features)}"
        )
    booster.set_param({"nthread": 1})  # small batches: threads only add overhead
    return booster


class XgModel:
    """One registered xG version held in memory. ``feature_names`` are the booster's, in its order;
    ``columns`` picks them from the vector the worker computes (:data:`features.shot.SHOT_FEATURE_NAMES`),
    so a version trained before features were added still serves."""

    def __init__(
        self,
        booster: xgb.Booster,
        feature_names: Sequence[str],
        name: str,
        version: int,
        penalty_rate: float,
        event_rounds: int | None = None,
        columns: Sequence[int] | None = None,
    ) -> None:
        self.booster = booster
        self.feature_names = tuple(feature_names)
        self.name = name
        self.version = version
        self.penalty_rate = penalty_rate
        self.event_rounds = event_rounds
        self.columns = np.arange(len(self.feature_names)) if columns is None else np.asarray(columns)
        self._players = [i for i, n in enumerate(self.feature_names) if n in FREEZE_FRAME_NAMES]

    @classmethod
    def from_artifact(
        cls,
        artifact: bytes,
        feature_names: Sequence[str],
        expected_features: Sequence[str],
        name: str,
        version: int,
        penalty_rate: float,
        event_rounds: int | None = None,
    ) -> XgModel:
        """Load a UBJ/JSON artifact (its checksum already verified by the registry) and refuse one
        built on a feature this code does not compute."""
        unknown = [n for n in feature_names if n not in expected_features]
        if unknown:
            raise ModelLoadError(
                f"{name} v{version} expects features this code does not compute ({unknown[:5]}): "
                "retrain it with this code"
            )
        booster = load_booster(artifact, feature_names, feature_names, name, version)
        if event_rounds is not None and not 0 < event_rounds <= booster.num_boosted_rounds():
            raise ModelLoadError(
                f"{name} v{version}: event_rounds {event_rounds} outside the booster's "
                f"{booster.num_boosted_rounds()} rounds"
            )
        columns = [list(expected_features).index(n) for n in feature_names]
        return cls(booster, feature_names, name, version, penalty_rate, event_rounds, columns)

    @classmethod
    def from_record(
        cls,
        artifact: bytes,
        feature_names: Sequence[str],
        extra: Mapping[str, object] | None,
        expected_features: Sequence[str],
        name: str,
        version: int,
    ) -> XgModel:
        """As :meth:`from_artifact`, the penalty rate and the event-only rounds read from the
        version's ``extra`` record (absent: :data:`DEFAULT_PENALTY_RATE`, one path)."""
        extra = extra or {}
        rate, rounds = extra.get("penalty_rate"), extra.get("event_rounds")
        penalty_rate = float(rate) if isinstance(rate, int | float) else DEFAULT_PENALTY_RATE
        event_rounds = rounds if isinstance(rounds, int) and not isinstance(rounds, bool) else None
        return cls.from_artifact(
            artifact, feature_names, expected_features, name, version, penalty_rate, event_rounds
        )

    def path_of(self, x: FloatArray) -> str:
        """Which path scores a shot with these (booster-order) features."""
        if self.event_rounds is None:
            return "single"
        return "full" if np.isfinite(x[self._players]).any() else "event_only"

    def score(self, features: FloatArray, penalty: bool = False) -> XgPrediction:
        """One shot: ``features`` in the worker's order (NaN = unknown)."""
        if penalty:
            top = [f"penalty: fixed rate {self.penalty_rate:.2f}"]
            return XgPrediction(self.penalty_rate, {}, 0.0, top, "penalty_rate", "penalty_rate")
        x = features[self.columns]
        path = self.path_of(x)
        rounds = (0, self.event_rounds or 0) if path == "event_only" else (0, 0)
        matrix = xgb.DMatrix(x.reshape(1, -1))
        contribs = self.booster.predict(matrix, pred_contribs=True, iteration_range=rounds)[0]
        margin = float(contribs.sum())
        probability = 1.0 / (1.0 + math.exp(-margin))
        named = {n: float(c) for n, c in zip(self.feature_names, contribs[:-1], strict=True)}
        top = top_contributors(self.feature_names, x, contribs[:-1])
        return XgPrediction(probability, named, float(contribs[-1]), top, "model", path)

    def predict(self, x: FloatArray) -> FloatArray:
        """Probabilities of many shots (rows in booster order), each by its own path."""
        p: FloatArray = np.empty(len(x), dtype=np.float64)
        event: npt.NDArray[np.bool_] = np.zeros(len(x), dtype=bool)
        if self.event_rounds is not None:
            event = np.asarray(~np.isfinite(x[:, self._players]).any(axis=1), dtype=bool)
        for rows, rounds in ((~event, (0, 0)), (event, (0, self.event_rounds or 0))):
            if rows.any():
                p[rows] = self.booster.predict(xgb.DMatrix(x[rows]), iteration_range=rounds)
        return p


def shot_log_loss(p: float, goal: bool) -> float:
    """One shot's log loss, ``p`` clipped away from 0 and 1 (live comparisons of two versions)."""
    p = min(max(p, 1e-15), 1.0 - 1e-15)
    return -math.log(p if goal else 1.0 - p)
