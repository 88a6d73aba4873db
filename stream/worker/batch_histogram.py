"""A Prometheus histogram that takes a whole batch of observations in one call.

``prometheus_client``'s ``Histogram.observe`` takes a lock and walks the buckets once per value;
the worker has a batch of values at once (one per output, one per frame), so this one counts them
into the buckets with numpy and exports the same ``_bucket``/``_count``/``_sum`` series, exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt
from prometheus_client import CollectorRegistry
from prometheus_client.core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

__all__ = ["BatchHistogram", "HistogramSeries"]


class HistogramSeries:
    """One labelled series: counts per bucket (the last is ``+Inf``) and the sum."""

    def __init__(self, bounds: npt.NDArray[np.float64]) -> None:
        self._bounds = bounds
        self._counts = np.zeros(len(bounds) + 1, dtype=np.int64)
        self._sum = 0.0
        self._lock = threading.Lock()  # the scrape thread reads while the event loop adds

    def observe_many(self, values: Sequence[float] | npt.NDArray[np.float64]) -> None:
        if len(values) == 0:
            return
        arr = np.asarray(values, dtype=np.float64)
        # side="left": a value equal to a bound counts in that bound's bucket (Prometheus' le).
        counts = np.bincount(np.searchsorted(self._bounds, arr, side="left"), minlength=len(self._counts))
        total = float(arr.sum())
        with self._lock:
            self._counts += counts
            self._sum += total

    def observe(self, value: float) -> None:
        self.observe_many((value,))

    def read(self) -> tuple[npt.NDArray[np.int64], float]:
        with self._lock:
            return self._counts.copy(), self._sum


class BatchHistogram(Collector):
    """A histogram family with one label, registered in ``registry``."""

    def __init__(
        self, name: str, documentation: str, label: str, buckets: Sequence[float], registry: CollectorRegistry
    ) -> None:
        self.name = name
        self.documentation = documentation
        self.label = label
        self._bounds = np.asarray(sorted(buckets), dtype=np.float64)
        self._series: dict[str, HistogramSeries] = {}
        registry.register(self)

    def labels(self, value: str) -> HistogramSeries:
        series = self._series.get(value)
        if series is None:
            series = self._series[value] = HistogramSeries(self._bounds)
        return series

    def describe(self) -> list[Metric]:
        return [HistogramMetricFamily(self.name, self.documentation, labels=[self.label])]

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(self.name, self.documentation, labels=[self.label])
        # The same spelling as prometheus_client's own histograms: 0.005, 1.0, 10.0.
        les = [*map(_go_string, self._bounds), "+Inf"]
        for value, series in sorted(dict.copy(self._series).items()):
            counts, total = series.read()
            cumulative = np.cumsum(counts).tolist()
            family.add_metric([value], list(zip(les, cumulative, strict=True)), total)
        yield family


def _go_string(bound: float) -> str:
    return str(floatToGoString(bound))  # type: ignore[no-untyped-call]
