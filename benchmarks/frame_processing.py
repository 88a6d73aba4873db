"""What one tracking frame costs the worker apart from Kafka and Redis: decode the JSON, check it is
newer, turn the objects into slot arrays, compute every feature, build the outputs (and the stats
every 0.5 s of match time). Nothing is checkpointed.

    python -m benchmarks.frame_processing [--frames 20000] [--matches 16] [--batch 256] [--metrics]

The frames are spread over ``--matches`` matches, interleaved, and go through once one by one and
once in batches of ``--batch`` (as the worker takes them: each batch's frames in waves, one frame per
match at a time). ``--metrics`` attaches the worker's Prometheus metrics as the worker does (feature
timing, latency histograms per batch), to show what recording at the edges costs per frame.

Prints the mean and the median over batches of microseconds per frame, and one JSON line.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from stream.contracts import TrackedObject, TrackingFrame
from stream.decode import decode_frame
from stream.match.processing import MatchProcessor, Received

FloatArray = npt.NDArray[np.float64]


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


def interleaved(n: int, matches: int) -> list[bytes]:
    """``n`` frames over ``matches`` matches, one frame of each in turn (as a live matchday arrives)."""
    per = -(-n // matches)
    tracks = [frame_records(per, f"bench-{m}", seed=m) for m in range(matches)]
    return [msgspec.json.encode(tracks[m][i]) for i in range(per) for m in range(matches)][:n]


def _timed_batches(proc: MatchProcessor, raw: list[bytes], batch: int, on_batch: Any) -> FloatArray:
    """Microseconds per frame of each batch (decode + :meth:`MatchProcessor.on_frames`)."""
    received = Received(0, 0)
    times = np.empty(-(-len(raw) // batch))
    gc.collect()
    for k, start in enumerate(range(0, len(raw), batch)):
        chunk = raw[start : start + batch]
        began = time.perf_counter_ns()
        items = [(decode_frame(m), received, None) for m in chunk]
        outputs, failed = proc.on_frames(items)
        if failed:
            raise failed[0][1]
        if on_batch is not None:
            on_batch(outputs)
        times[k] = (time.perf_counter_ns() - began) / 1000 / len(chunk)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--matches", type=int, default=16, help="matches the frames are spread over")
    parser.add_argument("--batch", type=int, default=256, help="frames per batch (the worker's take)")
    parser.add_argument("--metrics", action="store_true", help="with the worker's metrics attached")
    args = parser.parse_args()
    figures: dict[str, Any] = {"frames": args.frames, "matches": args.matches, "metrics": args.metrics}
    for name, batch in (("one_by_one", 1), ("batched", args.batch)):
        raw = interleaved(args.frames + 1_000 * args.matches, args.matches)
        proc = MatchProcessor()
        on_batch = _metrics(proc) if args.metrics else None
        _timed_batches(proc, raw[: 1_000 * args.matches], batch, on_batch)  # warm-up
        us = _timed_batches(proc, raw[1_000 * args.matches :], batch, on_batch)
        figures[name] = {
            "batch": batch,
            "per_frame_us": {"median": round(float(np.median(us)), 1), "mean": round(float(us.mean()), 1)},
            "frames_per_s_one_core": round(1e6 / float(us.mean())),
        }
        print(f"{name} (batch {batch}): {figures[name]['per_frame_us']} us per frame")
    figures["batched_speedup"] = round(
        figures["one_by_one"]["per_frame_us"]["mean"] / figures["batched"]["per_frame_us"]["mean"], 2
    )
    print(json.dumps(figures))


def _metrics(proc: MatchProcessor) -> Callable[[list[Any]], None]:
    from stream.outputs.publisher import InMemoryPublisher
    from stream.worker.drift import DriftMonitor
    from stream.worker.metrics import WorkerMetrics

    metrics = WorkerMetrics(proc, InMemoryPublisher(), (), DriftMonitor(None, {}, 1, 1))  # type: ignore[arg-type]

    def record(outputs: list[Any]) -> None:
        metrics.on_batch(outputs, 0.0)
        metrics.batch_done()

    return record


if __name__ == "__main__":
    main()
