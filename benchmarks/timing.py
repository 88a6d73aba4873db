"""Timing a call many times, one by one, for the benchmarks' median and p99."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["time_calls"]


def time_calls(fn: Callable[[], Any], calls: int, warmup: int = 500) -> dict[str, float]:
    """Microseconds per call (median, p99, mean) over ``calls`` timed calls after ``warmup``, with
    the garbage collector on: the worker pays its pauses, so the p99 shows them too."""
    for _ in range(warmup):
        fn()
    out = np.empty(calls)
    gc.collect()  # a clean start, not a collection owed by the warm-up
    for i in range(calls):
        start = time.perf_counter_ns()
        fn()
        out[i] = (time.perf_counter_ns() - start) / 1000
    return {
        "median": round(float(np.median(out)), 1),
        "p99": round(float(np.percentile(out, 99)), 1),
        "mean": round(float(out.mean()), 1),
    }
