"""The xG model at run time: one shot's features in, the probability and its explanation out.

Explanations are XGBoost's SHAP values (``pred_contribs``): per feature, how much it moved this
shot's log-odds away from the average shot; they and the bias add up to the log-odds exactly. The
top contributors are also written in plain words ("distance 24 m: -0.41"). Penalties are not scored
by the booster: they get the model's fixed penalty rate (see the training report).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import xgboost as xgb

from .errors import PitchsideError

__all__ = [
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


class ModelLoadError(PitchsideError):
    """An artifact cannot serve: unreadable, or built for other features."""


@dataclass(frozen=True, slots=True)
class XgPrediction:
    probability: float
    contributions: dict[str, float]  # log-odds, per feature; they add up with ``bias``
    bias: float
    top: list[str]
    method: str  # "model" or "penalty_rate"


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
    """One registered xG version held in memory."""

    def __init__(
        self, booster: xgb.Booster, feature_names: Sequence[str], name: str, version: int, penalty_rate: float
    ) -> None:
        self.booster = booster
        self.feature_names = tuple(feature_names)
        self.name = name
        self.version = version
        self.penalty_rate = penalty_rate

    @classmethod
    def from_artifact(
        cls,
        artifact: bytes,
        feature_names: Sequence[str],
        expected_features: Sequence[str],
        name: str,
        version: int,
        penalty_rate: float,
    ) -> XgModel:
        """Load a UBJ/JSON artifact (its checksum already verified by the registry) and refuse one
        built for features other than the ones this code computes."""
        booster = load_booster(artifact, feature_names, expected_features, name, version)
        return cls(booster, feature_names, name, version, penalty_rate)

    def score(self, features: FloatArray, penalty: bool = False) -> XgPrediction:
        """One shot: ``features`` in :attr:`feature_names` order (NaN = unknown)."""
        if penalty:
            return XgPrediction(
                self.penalty_rate, {}, 0.0, [f"penalty: fixed rate {self.penalty_rate:.2f}"], "penalty_rate"
            )
        matrix = xgb.DMatrix(features.reshape(1, -1))
        contribs = self.booster.predict(matrix, pred_contribs=True)[0]
        margin = float(contribs.sum())
        probability = 1.0 / (1.0 + math.exp(-margin))
        named = {n: float(c) for n, c in zip(self.feature_names, contribs[:-1], strict=True)}
        top = top_contributors(self.feature_names, features, contribs[:-1])
        return XgPrediction(probability, named, float(contribs[-1]), top, "model")


def shot_log_loss(p: float, goal: bool) -> float:
    """One shot's log loss, ``p`` clipped away from 0 and 1 (live comparisons of two versions)."""
    p = min(max(p, 1e-15), 1.0 - 1e-15)
    return -math.log(p if goal else 1.0 - p)
