"""What a training run records about itself, so a version can be traced and rebuilt: the git
commit of the code, the package versions that shape the model, and the command that ran."""

from __future__ import annotations

import platform
import shlex
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "run_lineage"]

# What decides the model's bytes, figures and plots: the project, the booster (the CPU wheel or the
# full one, whichever is installed), the numerics, the report's plotting.
PACKAGES = ("pitchside", "xgboost-cpu", "xgboost", "numpy", "matplotlib")
_REPO = Path(__file__).resolve().parent.parent


def run_lineage(argv: list[str] | None = None) -> dict[str, Any]:
    """``{"git": {"commit", "dirty"}, "python", "packages", "command"}`` for this process."""
    args = sys.argv if argv is None else argv
    return {
        "git": _git(),
        "python": platform.python_version(),
        "packages": {name: v for name in PACKAGES if (v := _version(name)) is not None},
        # The program by its name, not the path it was installed at: the same on every machine.
        "command": shlex.join([Path(args[0]).name, *args[1:]]) if args else None,
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git() -> dict[str, Any] | None:
    """The checkout's commit and whether files differ from it; None outside a git checkout."""
    try:
        commit = _run("rev-parse", "HEAD")
        # Untracked files do not change what was trained; modified tracked ones may.
        dirty = bool(_run("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):  # no git, not a checkout, or git hung
        return None
    return {"commit": commit, "dirty": dirty}


def _run(*args: str) -> str:
    git = shutil.which("git")
    if git is None:
        raise OSError("git not found")
    argv = [git, "-C", str(_REPO), *args]  # fixed arguments only, never user input
    done = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=10)  # noqa: S603
    return done.stdout.strip()
