"""What one tracking frame costs the worker apart from Kafka and Redis: decode the JSON, check it is
newer, turn the objects into slot arrays, compute every feature, build the outputs (and the stats
and checkpoint every 0.5 s of match time). Plain dicts stand in for the Faust tables.

    python -m benchmarks.frame_processing [--frames 20000] [--metrics]

``--metrics`` attaches the worker's Prometheus metrics as the worker does (feature timing through the
processor's observer, the latency histograms the publisher's batch hook feeds, per output), to show
what recording at the edges costs per frame.

Prints median, p99 and mean microseconds per frame and one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import time

import msgspec
import numpy as np

from stream.contracts import TrackedObject, TrackingFrame
from stream.decode import decode_frame
from stream.match.processing import MatchProcessor, Received


def frame_records(
    n: int, match_id: str = "bench", seed: int = 7, t0: int = 1_700_000_000_000
) -> list[TrackingFrame]:
    """``n`` 25 Hz frames of 22 players (2 keepers) and the ball, moving a few cm a frame."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform([-45.0, -30.0], [45.0, 30.0], (22, 2))
    velocity = rng.normal(0.0, 2.0, (22, 2))
    out = []
    for i in range(n):
        velocity += rng.normal(0.0, 0.3, (22, 2))
        velocity = np.clip(velocity, -6.0, 6.0)
        xy = np.clip(xy + velocity * 0.04, [-52.0, -33.0], [52.0, 33.0])
        objects = [
            TrackedObject(
                id=f"{'h' if k < 11 else 'a'}{k % 11}",
                team="home" if k < 11 else "away",
                role="goalkeeper" if k % 11 == 0 else "player",
                x=round(float(xy[k, 0]), 2),
                y=round(float(xy[k, 1]), 2),
            )
            for k in range(22)
        ]
        ball = xy[5] + 0.4
        objects.append(
            TrackedObject(id="ball", team="ball", role="ball", x=float(ball[0]), y=float(ball[1]), z=0.1)
        )
        out.append(
            TrackingFrame(
                match_id=match_id, sport="soccer", frame=i, ts=t0 + 40 * i, period=1, objects=objects
            )
        )
    return out


def frames(n: int, seed: int = 7) -> list[bytes]:
    """The same frames, encoded as the worker reads them."""
    return [msgspec.json.encode(f) for f in frame_records(n, seed=seed)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--metrics", action="store_true", help="with the worker's metrics attached")
    args = parser.parse_args()
    raw = frames(args.frames + 1_000)
    proc = MatchProcessor()
    on_batch = None
    batch_done = None
    if args.metrics:
        from stream.outputs.publisher import InMemoryPublisher
        from stream.worker.drift import DriftMonitor
        from stream.worker.metrics import WorkerMetrics

        metrics = WorkerMetrics(proc, InMemoryPublisher(), (), DriftMonitor(None, {}, 1, 1))  # type: ignore[arg-type]
        on_batch, batch_done = metrics.on_batch, metrics.batch_done
    received = Received(0, 0)
    for message in raw[:1_000]:  # warm-up
        proc.on_frame(decode_frame(message), received)
    times = np.empty(args.frames)
    gc.collect()
    gc.disable()
    try:
        for i, message in enumerate(raw[1_000:]):
            start = time.perf_counter_ns()
            outputs = proc.on_frame(decode_frame(message), received)
            if on_batch is not None and batch_done is not None:
                on_batch(outputs, 0.0)
                batch_done()
            times[i] = time.perf_counter_ns() - start
    finally:
        gc.enable()
    us = times / 1_000
    figures = {
        "frames": args.frames,
        "metrics": args.metrics,
        "per_frame_us": {
            "median": round(float(np.median(us)), 1),
            "p99": round(float(np.percentile(us, 99)), 1),
            "mean": round(float(us.mean()), 1),
        },
        "frames_per_s_one_core": round(1e6 / float(us.mean())),
    }
    print(
        f"per frame (decode + features + outputs): median {figures['per_frame_us']['median']} us, "
        f"p99 {figures['per_frame_us']['p99']} us, mean {figures['per_frame_us']['mean']} us"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
