"""The hand-written probability metrics and the lead model's Platt scaling, against scikit-learn on
random data: every figure a model report or gate relies on has an independent oracle."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score, roc_curve
from sklearn.metrics import log_loss as sk_log_loss

from training.lead_pipeline import fit_platt
from training.metrics import brier, log_loss, roc_auc
from training.metrics import roc_curve as our_roc_curve

SEEDS = range(12)


def sample(seed: int, rows: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Outcomes and probabilities; some predictions tied on purpose (rounded), as real scores are."""
    rng = np.random.default_rng(seed)
    p = np.round(rng.beta(1.2, 4.0, rows), 2 if seed % 2 else 6)
    y = (rng.random(rows) < p).astype(np.float64)
    y[:2] = (0.0, 1.0)  # both outcomes always present
    return y, p


@pytest.mark.parametrize("seed", SEEDS)
def test_log_loss_brier_and_auc_agree_with_scikit_learn(seed: int) -> None:
    y, p = sample(seed)
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p), rel=1e-9)
    assert brier(y, p) == pytest.approx(brier_score_loss(y, p), rel=1e-9)
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_roc_curve_is_scikit_learns(seed: int) -> None:
    y, p = sample(seed)
    fpr, tpr = our_roc_curve(y, p)
    sk_fpr, sk_tpr, _ = roc_curve(y, p, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_platt_scaling_is_an_unpenalised_logistic_regression_on_the_margin(seed: int) -> None:
    rng = np.random.default_rng(seed)
    margin = rng.normal(0.0, 1.5, 2000)
    true_scale, true_shift = rng.uniform(0.3, 2.0), rng.uniform(-1.0, 1.0)
    y = (rng.random(2000) < 1 / (1 + np.exp(-(true_scale * margin + true_shift)))).astype(np.float64)
    scale, shift = fit_platt(margin, y)
    oracle = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(margin[:, None], y)
    assert scale == pytest.approx(float(oracle.coef_[0, 0]), rel=1e-5)
    assert shift == pytest.approx(float(oracle.intercept_[0]), abs=1e-5)
