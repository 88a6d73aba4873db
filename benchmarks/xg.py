"""Scoring one shot with its explanation, in process: the shipped production xG model, a real
freeze-frame shot's features, ``XgModel.score`` (probability + SHAP contributions + top three in
words). Also the whole shot path the worker runs: shot context from the freeze frame, then the score.

    python -m benchmarks.xg [--calls 5000]

Prints median and p99 microseconds and one JSON line. Target: under 2 ms median.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

from benchmarks.timing import time_calls
from models.registry import open_registry
from models.settings import Settings
from stream.contracts import FreezeFramePlayer, PlayerRef, ShotBody, ShotEvent
from stream.match.model_serving import XgServer
from stream.match.shot_context import shot_context


def _shot() -> ShotEvent:
    """Mbappé's 51st-minute shot in the 2018 final (docs/contracts.md), with its freeze frame."""
    frozen = [
        FreezeFramePlayer(x=-47.92, y=10.08, teammate=False),
        FreezeFramePlayer(x=-45.17, y=10.08, teammate=False),
        FreezeFramePlayer(x=-47.0, y=-0.92, teammate=False),
        FreezeFramePlayer(x=-42.42, y=-0.92, teammate=True),
        FreezeFramePlayer(x=-49.75, y=10.99, teammate=False, keeper=True),
    ]
    body = ShotBody(
        body_part="Right Foot",
        technique="Normal",
        shot_type="Open Play",
        play_pattern="Regular Play",
        freeze_frame=frozen,
    )
    return ShotEvent(
        match_id="8658",
        event_id="b",
        ts=1,
        type="shot",
        player=PlayerRef(id="3009"),
        location=[-47.92, 13.74],
        attack=-1,
        shot=body,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    server = XgServer(open_registry(Settings()))
    if not server.refresh_now() or server.model is None:
        raise SystemExit("no production xG model in the registry (the repo ships one in models/baseline)")
    model = server.model
    event = _shot()
    counts: Counter[str] = Counter()
    features = shot_context(event, None, 500, counts).features
    score = time_calls(lambda: model.score(features), args.calls)
    path = time_calls(lambda: model.score(shot_context(event, None, 500, counts).features), args.calls)
    example = model.score(features)
    print(f"{model.name} v{model.version}: xG {example.probability:.3f}; {'; '.join(example.top)}")
    print(f"score + explanation: median {score['median']} us, p99 {score['p99']} us")
    print(f"shot context + score + explanation: median {path['median']} us, p99 {path['p99']} us")
    print(
        json.dumps(
            {
                "benchmark": "xg",
                "model": f"{model.name} v{model.version}",
                "calls": args.calls,
                "score_us": score,
                "context_and_score_us": path,
                "target_median_us": 2000,
                "met": score["median"] < 2000,
            }
        )
    )


if __name__ == "__main__":
    main()
