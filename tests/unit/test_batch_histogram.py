"""The batch histogram exports exactly what prometheus_client's own histogram would for the same
values, observed one by one."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from stream.worker.batch_histogram import BatchHistogram

BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 1.0, 10.0)


def _lines(registry: CollectorRegistry) -> list[str]:
    text = generate_latest(registry).decode()
    # prometheus_client's own histograms add a _created sample; ours has none.
    return [line for line in text.splitlines() if line and "_created" not in line and "#" not in line]


@given(
    st.lists(
        st.lists(st.sampled_from([0.0, *BUCKETS, 20.0]) | st.floats(0, 30, allow_nan=False), max_size=20),
        max_size=6,
    )
)
def test_batches_count_like_single_observations(batches: list[list[float]]) -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    batch = BatchHistogram("lat_seconds", "doc", "kind", BUCKETS, ours).labels("frame")
    single = Histogram("lat_seconds", "doc", ["kind"], buckets=BUCKETS, registry=theirs).labels("frame")
    for values in batches:
        batch.observe_many(np.asarray(values))
        for value in values:
            single.observe(value)
    mine, reference = _lines(ours), _lines(theirs)
    assert [line.rsplit(" ", 1)[0] for line in mine] == [line.rsplit(" ", 1)[0] for line in reference]
    for a, b in zip(mine, reference, strict=True):  # counts exactly, the sum to rounding
        assert np.isclose(float(a.rsplit(" ", 1)[1]), float(b.rsplit(" ", 1)[1]), rtol=1e-12)


def test_a_series_is_exported_from_zero_once_labelled() -> None:
    registry = CollectorRegistry()
    BatchHistogram("lat_seconds", "doc", "kind", BUCKETS, registry).labels("xg")
    lines = _lines(registry)
    assert 'lat_seconds_bucket{kind="xg",le="+Inf"} 0.0' in lines
    assert 'lat_seconds_count{kind="xg"} 0.0' in lines
