"""The live side of drift monitoring: a sliding window of each model's inputs, binned against the
baseline its serving version was trained on (:mod:`models.drift`).

The window holds the bins of the last ``size`` inputs (a ring buffer) and running counts per bin,
so adding an input costs one binning of one row and PSI is read off the counts when scraped. A
model swap starts a new window against the new version's baseline. Each worker sees only its own
partitions; the counts are also written to Redis so ``pitchside models drift`` can add up the
windows of every worker (counts add, PSI does not).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import msgspec
import numpy as np
import numpy.typing as npt

from models.drift import DriftBaseline, DriftBaselineError, baseline_of, bin_rows, psi_counts
from models.errors import PitchsideError

__all__ = [
    "DriftMonitor",
    "DriftReading",
    "DriftWindow",
    "MergedDrift",
    "WindowSnapshot",
    "drift_key",
    "merge_drift",
    "read_drift",
    "write_drift",
]

log = logging.getLogger(__name__)


class WindowSnapshot(msgspec.Struct, frozen=True):
    """One worker's window of one model version, as written to Redis."""

    model: str
    version: int
    inputs: int
    counts: dict[str, list[int]]


class DriftReading(msgspec.Struct, frozen=True):
    model: str
    version: int
    feature: str
    psi: float
    inputs: int


class DriftWindow:
    """The last ``size`` inputs of one model version. ``live_names`` names the columns of the
    vectors the worker builds; the baseline's features are picked out of them by name."""

    def __init__(
        self, model: str, version: int, baseline: DriftBaseline, live_names: Sequence[str], size: int
    ) -> None:
        missing = [n for n in baseline.names if n not in live_names]
        if missing:
            raise DriftBaselineError(f"{model} v{version}: live inputs lack baseline features {missing}")
        self.model = model
        self.version = version
        self.baseline = baseline
        self._columns = np.array([list(live_names).index(n) for n in baseline.names])
        self._ring = np.zeros((size, len(self._columns)), dtype=np.int64)
        self._counts = [np.zeros(len(f.expected), dtype=np.int64) for f in baseline.features]
        self._next = 0
        self.inputs = 0
        self.last_input = time.monotonic()

    def add(self, vector: npt.ArrayLike) -> None:
        row = bin_rows(self.baseline, np.asarray(vector, dtype=np.float64)[self._columns])[0]
        size = self._ring.shape[0]
        if self.inputs == size:  # full: the oldest input leaves the window
            for counts, old in zip(self._counts, self._ring[self._next], strict=True):
                counts[old] -= 1
        else:
            self.inputs += 1
        for counts, new in zip(self._counts, row, strict=True):
            counts[new] += 1
        self._ring[self._next] = row
        self._next = (self._next + 1) % size
        self.last_input = time.monotonic()

    def psi(self) -> npt.NDArray[np.float64]:
        return psi_counts(self.baseline, self._counts)

    def snapshot(self) -> WindowSnapshot:
        return WindowSnapshot(
            model=self.model,
            version=self.version,
            inputs=self.inputs,
            counts={n: c.tolist() for n, c in zip(self.baseline.names, self._counts, strict=True)},
        )


class _Versions(Protocol):
    def get(self, name: str, version: int) -> Any: ...


class DriftMonitor:
    """One window per model, following the version that scored the inputs."""

    def __init__(
        self, source: _Versions, live_names: Mapping[str, Sequence[str]], size: int, min_inputs: int
    ) -> None:
        self.source = source
        self.live_names = live_names
        self.size = size
        self.min_inputs = min(min_inputs, size)
        self.windows: dict[str, DriftWindow] = {}
        self._no_baseline: set[tuple[str, int]] = set()

    def observe(self, model: str, version: int, vector: npt.ArrayLike) -> None:
        window = self.windows.get(model)
        if window is None or window.version != version:
            if (model, version) in self._no_baseline:
                return
            window = self._open(model, version)
            if window is None:
                return
        window.add(vector)

    def _open(self, model: str, version: int) -> DriftWindow | None:
        # Read once per version (a small JSON file); a version without a usable baseline is noted
        # and its inputs are not compared.
        try:
            baseline = baseline_of(self.source.get(model, version))
            if baseline is not None:
                window = DriftWindow(model, version, baseline, self.live_names[model], self.size)
                self.windows[model] = window
                return window
            log.warning("%s v%s has no drift baseline: its inputs are not compared", model, version)
        except (PitchsideError, KeyError) as exc:
            log.error("%s v%s: drift baseline unusable: %s", model, version, exc)
        self.windows.pop(model, None)
        self._no_baseline.add((model, version))
        return None

    def readings(
        self, serving: Mapping[str, int] | None = None, idle_s: float | None = None
    ) -> list[DriftReading]:
        """PSI per model and feature, for windows holding at least ``min_inputs`` inputs; only of the
        versions ``serving`` (model -> version) names, and only of windows fed within ``idle_s``
        (after the last match of the day the picture is old news, not drift).

        Called from the metrics server's thread: it reads a copy of the windows."""
        out: list[DriftReading] = []
        now = time.monotonic()
        for window in list(self.windows.values()):
            if (
                window.inputs < self.min_inputs
                or (serving is not None and serving.get(window.model) != window.version)
                or (idle_s is not None and now - window.last_input > idle_s)
            ):
                continue
            values = window.psi()
            for feature, value in zip(window.baseline.features, values, strict=True):
                if feature.informative:
                    out.append(
                        DriftReading(window.model, window.version, feature.name, float(value), window.inputs)
                    )
        return out

    def snapshots(self) -> list[WindowSnapshot]:
        return [w.snapshot() for w in list(self.windows.values()) if w.inputs]


def drift_key(prefix: str, model: str, worker: str) -> str:
    """Where one worker's window of one model lives in Redis: ``{prefix}:drift:{model}:{worker}``."""
    return f"{prefix}:drift:{model}:{worker}"


async def write_drift(
    client: Any, prefix: str, worker: str, snapshots: Sequence[WindowSnapshot], ttl_s: int
) -> None:
    """Write a worker's windows (expiring, so a stopped worker's window leaves the picture)."""
    if not snapshots:
        return
    pipe = client.pipeline(transaction=False)
    for snap in snapshots:
        pipe.set(drift_key(prefix, snap.model, worker), msgspec.json.encode(snap), ex=ttl_s)
    await pipe.execute()


async def read_drift(client: Any, prefix: str) -> list[WindowSnapshot]:
    """Every worker's windows currently in Redis."""
    keys = [k async for k in client.scan_iter(match=f"{prefix}:drift:*", count=1000)]
    values = await client.mget(keys) if keys else []
    out: list[WindowSnapshot] = []
    for key, value in zip(keys, values, strict=True):
        if value is None:  # expired between the scan and the read
            continue
        try:
            out.append(msgspec.json.decode(value, type=WindowSnapshot))
        except msgspec.DecodeError:
            log.warning("ignoring an unreadable drift window at %r", key)
    return out


class MergedDrift(msgspec.Struct, frozen=True):
    """The windows of every worker for one model version, added up."""

    model: str
    version: int
    inputs: int
    workers: int
    psi: dict[str, float]


def merge_drift(
    snapshots: Sequence[WindowSnapshot], source: _Versions, min_inputs: int = 1
) -> list[MergedDrift]:
    """PSI per model version over the added-up counts of every worker's window. A model version
    whose windows hold fewer than ``min_inputs`` inputs is left out."""
    groups: dict[tuple[str, int], list[WindowSnapshot]] = {}
    for snap in snapshots:
        groups.setdefault((snap.model, snap.version), []).append(snap)
    out: list[MergedDrift] = []
    for (model, version), snaps in sorted(groups.items()):
        inputs = sum(s.inputs for s in snaps)
        if inputs < max(1, min_inputs):
            continue
        baseline = baseline_of(source.get(model, version))
        if baseline is None:
            continue
        counts = [
            np.sum([s.counts.get(f.name, [0] * len(f.expected)) for s in snaps], axis=0)
            for f in baseline.features
        ]
        values = psi_counts(baseline, counts)
        psi = {
            f.name: round(float(v), 4)
            for f, v in zip(baseline.features, values, strict=True)
            if f.informative
        }
        out.append(MergedDrift(model, version, inputs, len(snaps), psi))
    return out
