"""The challenger's live record for the SRE dashboard: inputs both versions scored, and for shots
whose outcome is known each side's summed log loss (a rate of the sum over a rate of the count is
the log loss over any window)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter

from models.xg import shot_log_loss

from ..contracts import Output

__all__ = ["ChallengerMetrics"]


class ChallengerMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.scored = Counter(
            "pitchside_challenger_scored",
            "Inputs scored by the challenger beside production",
            ["model", "production", "challenger"],
            registry=registry,
        )
        self.outcomes = Counter(
            "pitchside_challenger_outcomes",
            "Challenger-scored shots whose outcome was known",
            ["model"],
            registry=registry,
        )
        self.log_loss = Counter(
            "pitchside_challenger_log_loss",
            "Summed log loss on those shots, per side (production, challenger)",
            ["model", "side"],
            registry=registry,
        )

    def record(self, outputs: Iterable[Output]) -> None:
        for out in outputs:
            if out.model is None:
                continue
            data, model = out.data, out.model.name
            production, challenger = data["production"], data["challenger"]
            self.scored.labels(model, str(production["version"]), str(challenger["version"])).inc()
            goal = data.get("goal")
            if goal is None or "xg" not in production:
                continue
            self.outcomes.labels(model).inc()
            for side, figures in (("production", production), ("challenger", challenger)):
                self.log_loss.labels(model, side).inc(shot_log_loss(float(figures["xg"]), goal))
