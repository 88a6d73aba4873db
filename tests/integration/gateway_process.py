"""A real ``pitchside gateway`` subprocess on a free port, for tests that want the gateway as it is
deployed: its own process and event loop, scraped over HTTP like any other target."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

from .conftest import settings_env
from .processes import LoggedProcess
from .prometheus import free_port

__all__ = ["GatewayProcess"]


class GatewayProcess(LoggedProcess):
    """``python -m stream gateway`` with the given settings overrides, ready (``/readyz`` 200: Redis
    answers it) once the constructor returns; its log is kept for failure messages."""

    stop_timeout_s = 20.0

    def __init__(self, overrides: dict[str, str], log: Path, *, timeout_s: float = 30.0) -> None:
        self.port = free_port()
        self.http = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}"
        self.target = f"127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "stream", "gateway", "--host", "127.0.0.1", "--port", str(self.port)]
        super().__init__(args, log, settings_env(overrides))
        self.wait_http_ready(f"{self.http}/readyz", timeout_s, "the gateway")

    def metrics_text(self) -> str:
        with urllib.request.urlopen(f"{self.http}/metrics", timeout=5) as response:  # noqa: S310
            return str(response.read().decode())
