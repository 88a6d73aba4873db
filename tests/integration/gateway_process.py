"""A real ``pitchside gateway`` subprocess on a free port, for tests that want the gateway as it is
deployed: its own process and event loop, scraped over HTTP like any other target."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .conftest import settings_env
from .prometheus import free_port

__all__ = ["GatewayProcess"]


class GatewayProcess:
    """``python -m stream gateway`` with the given settings overrides, ready (``/readyz`` 200: Redis
    answers it) once the constructor returns; its log is kept for failure messages."""

    def __init__(self, overrides: dict[str, str], log: Path, *, timeout_s: float = 30.0) -> None:
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.target = f"127.0.0.1:{self.port}"
        self.log = log
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stream", "gateway", "--host", "127.0.0.1", "--port", str(self.port)],
            env=settings_env(overrides),
            stdout=self._fh,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the gateway exited at start:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.http}/readyz", timeout=1) as response:  # noqa: S310 (our http URL)
                    if response.status == 200:
                        return
            except OSError:
                pass  # not listening yet, or 503 until Redis answers
            time.sleep(0.1)
        self.stop()
        raise AssertionError(f"the gateway was not ready in {timeout_s:.0f}s:\n{self.tail()}")

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"{self.http}/metrics", timeout=5) as response:  # noqa: S310
            return str(response.read().decode())

    def tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._fh.close()
        return code
