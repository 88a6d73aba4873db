"""The 21-point lead-distance curve, in process: the shipped production lead model scoring one
pitch's 21 leads as one batch (``LeadModel.curve``: in-place predict), beside XGBoost's plain
``predict`` on the same 21 rows (a DMatrix per call) as the reference.

    python -m benchmarks.lead [--calls 20000]

Targets: under 1 ms median and 2 ms p99. Prints figures and one JSON line. The per-pitch latency
through Kafka and Redis is measured by ``python -m benchmarks.e2e``.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import xgboost as xgb

from benchmarks.timing import time_calls
from features.baseball import lead_grid, pitch_context
from models.registry import open_registry
from models.settings import Settings
from stream.match.model_serving import LeadServer


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    server = LeadServer(open_registry(Settings()))
    if not server.refresh_now() or server.model is None:
        raise SystemExit("no production lead model in the registry (the repo ships one in models/baseline)")
    model = server.model
    # Kershaw's 0-1 pitch (a 73.1 mph curveball, not an input), runner 682829 (30.5 ft/s) 12.7 ft off
    # first at the first move against catcher 605131 (2.065 s to 2B).
    context = pitch_context(12.7, 30.5, 2.065, 0, 1, np.nan, ["2B"])[0]
    context = model.with_history(context, "682829", "605131", "Clayton-Kershaw")  # as the worker does
    grid = lead_grid(context)
    curve = time_calls(lambda: model.curve(context), args.calls)

    def plain_predict() -> np.ndarray:
        margin = model.booster.predict(xgb.DMatrix(grid), output_margin=True)
        return 1.0 / (1.0 + np.exp(-(model.scale * margin + model.shift)))  # the same calibration

    plain = time_calls(plain_predict, args.calls)
    same = np.allclose(model.curve(context), plain_predict(), atol=1e-6)
    probabilities = model.curve(context)
    print(
        f"{model.name} v{model.version}: "
        + " ".join(f"{p:.2f}" for p in probabilities[::4])
        + " (leads 0, 4, ..20 ft)"
    )
    print(f"21-point curve, in-place predict: median {curve['median']} us, p99 {curve['p99']} us")
    print(
        f"the same 21 rows with plain predict (DMatrix): median {plain['median']} us, p99 {plain['p99']} us"
    )
    print(
        json.dumps(
            {
                "benchmark": "lead",
                "model": f"{model.name} v{model.version}",
                "calls": args.calls,
                "curve_us": curve,
                "plain_predict_us": plain,
                "same_probabilities": bool(same),
                "targets_us": {"median": 1000, "p99": 2000},
                "met": curve["median"] < 1000 and curve["p99"] < 2000,
            }
        )
    )
    if not same:
        raise SystemExit("in-place and plain predict disagree")


if __name__ == "__main__":
    main()
