"""A background server process owned by the local stack: started detached, tracked by a pid file,
stopped with SIGTERM and, if it will not go, SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["ManagedProcess"]


class ManagedProcess:
    def __init__(self, name: str, run_dir: Path, log_dir: Path) -> None:
        self.name = name
        self.pid_file = run_dir / f"{name}.pid"
        self.out_file = log_dir / f"{name}.out"

    def pid(self) -> int | None:
        """The pid of our process if it is still alive, else ``None`` (a stale pid file is removed)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            self.pid_file.unlink(missing_ok=True)
            return None
        except PermissionError:
            return pid
        # A zombie child of ours (already exited) counts as gone.
        with contextlib.suppress(ChildProcessError):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                self.pid_file.unlink(missing_ok=True)
                return None
        return pid

    def start(self, argv: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
        self.pid_file.parent.mkdir(parents=True, exist_ok=True)
        self.out_file.parent.mkdir(parents=True, exist_ok=True)
        with self.out_file.open("ab") as out:
            # A session of its own: the server outlives this command and ignores its Ctrl-C.
            proc = subprocess.Popen(  # noqa: S603 - argv is built by the stack, not from user input
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=cwd,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        return proc.pid

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Stop our process; ``True`` if it was running. Waits up to ``timeout_s`` before SIGKILL."""
        pid = self.pid()
        if pid is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pid() is None:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        self.pid_file.unlink(missing_ok=True)
        return True
