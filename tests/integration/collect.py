"""Collecting a match's outputs from real Redis pub/sub, subscribed before anything is produced."""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import orjson
import redis.asyncio as aioredis

from .conftest import WorkerProcess


class Collector:
    def __init__(self, client: aioredis.Redis, prefix: str, match_id: str) -> None:
        self.pubsub = client.pubsub()
        self.pattern = f"{prefix}:{match_id}:*"
        self.by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)

    async def __aenter__(self) -> Collector:
        await self.pubsub.psubscribe(self.pattern)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.pubsub.aclose()

    async def _read(self, timeout_s: float) -> bool:
        msg = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout_s)
        if msg is None:
            return False
        payload = orjson.loads(msg["data"])
        assert msg["channel"].decode() == f"{self.pattern[:-1]}{payload['kind']}"
        self.by_kind[payload["kind"]].append(payload)
        return True

    async def until(self, expected: dict[str, int], timeout_s: float, worker: WorkerProcess) -> None:
        """Read until at least ``expected`` outputs per kind arrived; fail with the worker's log."""
        deadline = time.monotonic() + timeout_s
        while any(len(self.by_kind[k]) < n for k, n in expected.items()):
            if time.monotonic() > deadline:
                got = {k: len(v) for k, v in self.by_kind.items()}
                frames = [p["data"].get("frame") for p in self.by_kind.get("frame", [])]
                raise AssertionError(
                    f"expected {expected}, got {got} (frame numbers {frames}); worker log:\n{worker.tail()}"
                )
            await self._read(0.5)

    async def until_frame(self, number: int, timeout_s: float, worker: WorkerProcess) -> None:
        """Read until the ``frame`` output of frame ``number`` arrived."""
        deadline = time.monotonic() + timeout_s
        while not any(p["data"].get("frame") == number for p in self.by_kind.get("frame", [])):
            if time.monotonic() > deadline:
                raise AssertionError(f"frame {number} never arrived; worker log:\n{worker.tail()}")
            await self._read(0.5)

    async def drain(self, seconds: float) -> None:
        """Read whatever else arrives within ``seconds`` (extra outputs would be duplicates)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            await self._read(0.1)
