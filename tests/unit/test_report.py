"""Report figures say what the model predicts: goals for xG, steal success for the lead model."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from training.report import LEAD_LABELS, XG_LABELS, PlotLabels, reliability_figure, reliability_plot


@pytest.mark.parametrize(
    ("labels", "observed", "rows"),
    [
        (XG_LABELS, "observed goal rate in bin", "shots"),
        (LEAD_LABELS, "observed success rate in bin", "attempts"),
    ],
)
def test_the_reliability_plot_is_labelled_for_its_model(labels: PlotLabels, observed: str, rows: str) -> None:
    y = np.array([0.0, 1.0, 0.0, 1.0])
    fig = reliability_figure(y, {"model": np.array([0.1, 0.8, 0.3, 0.6])}, labels)
    try:
        ax = fig.axes[0]
        assert ax.get_ylabel() == observed
        assert ax.get_xlabel() == f"{labels.predicted} in bin"
        assert rows in ax.get_title()
    finally:
        plt.close(fig)


def test_the_plot_renders_to_a_png() -> None:
    png = reliability_plot(np.array([0.0, 1.0]), {"model": np.array([0.2, 0.7])}, LEAD_LABELS)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
