"""``pitchside worker``: run one Faust worker process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio

import faust
from prometheus_client import start_http_server

from models.settings import Settings

from .app import create_app
from .topics import ensure_changelog_topics, ensure_topics

__all__ = ["run_worker"]


def run_worker(settings: Settings) -> None:
    # Topics first, with the configured partition count: the tables' changelogs copy it.
    asyncio.run(ensure_topics(settings))
    asyncio.run(ensure_changelog_topics(settings))
    parts = create_app(settings)
    if settings.metrics_port:
        # Scraped by Prometheus (deploy/prometheus/prometheus.yml); 0 leaves it off (several local workers).
        start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=parts.metrics.registry)
    worker = faust.Worker(parts.app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
