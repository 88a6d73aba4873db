"""``pitchside worker``: run one Faust worker process until SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio

import faust

from models.settings import Settings

from .app import create_app
from .topics import ensure_changelog_topics, ensure_topics

__all__ = ["run_worker"]


def run_worker(settings: Settings) -> None:
    # Topics first, with the configured partition count: the tables' changelogs copy it.
    asyncio.run(ensure_topics(settings))
    asyncio.run(ensure_changelog_topics(settings))
    parts = create_app(settings)
    worker = faust.Worker(parts.app, loglevel=settings.log_level, quiet=True)
    worker.execute_from_commandline()
