"""Timing a call many times, one by one, for the benchmarks' median and p99."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["time_calls"]


def time_calls(fn: Callable[[], Any], calls: int, warmup: int = 500) -> dict[str, float]:
    """Microseconds per call (median, p99, mean) over ``calls`` timed calls after ``warmup``; the
    garbage collector is off while timing so a collection does not land in one call."""
    for _ in range(warmup):
        fn()
    out = np.empty(calls)
    gc.collect()
    gc.disable()
    try:
        for i in range(calls):
            start = time.perf_counter_ns()
            fn()
            out[i] = (time.perf_counter_ns() - start) / 1000
    finally:
        gc.enable()
    return {
        "median": round(float(np.median(out)), 1),
        "p99": round(float(np.percentile(out, 99)), 1),
        "mean": round(float(out.mean()), 1),
    }
