"""A real subprocess for the integration tests, its output kept in a log for failure messages: the
worker, the gateway and Prometheus each run as one."""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

__all__ = ["LoggedProcess"]


class LoggedProcess:
    """``args`` started at once, stdout and stderr to ``log``; :meth:`stop` ends it (SIGTERM, then
    SIGKILL after ``stop_timeout_s``) and returns its exit code."""

    stop_timeout_s = 30.0
    tail_lines = 30

    def __init__(self, args: Sequence[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._fh = log.open("wb")
        self.proc = subprocess.Popen(
            list(args),
            env=os.environ.copy() if env is None else env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
        )

    def tail(self, lines: int | None = None) -> str:
        shown = self.tail_lines if lines is None else lines
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-shown:])

    def wait_http_ready(self, url: str, timeout_s: float, name: str, poll_s: float = 0.1) -> None:
        """Until ``url`` answers 200; it fails (and stops the process) if it exits or times out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{name} exited at start:\n{self.tail()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (our http URL)
                    if response.status == 200:
                        return
            except OSError:
                pass  # not listening yet, or not ready (503)
            time.sleep(poll_s)
        self.stop()
        raise AssertionError(f"{name} was not ready in {timeout_s:.0f}s:\n{self.tail()}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            code = self.proc.wait(timeout=self.stop_timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self._fh.close()
        return code
