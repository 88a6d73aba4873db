"""The shared data directory in tests: required in CI (where ../shared is always beside the
checkout, so a missing folder is a broken setup), skipped with a reason on a developer's machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from models.settings import Settings


def shared_path(*parts: str) -> Path:
    """``{PITCHSIDE_DATA_DIR}/{parts}``, failing in CI and skipping elsewhere when it is missing."""
    path = Settings().data_dir.joinpath(*parts)
    if not path.exists():
        message = f"{path} not found: set PITCHSIDE_DATA_DIR to the shared data folder"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def shipped_production(name: str) -> int:
    """The version of ``name`` the repo ships as production (what a fresh registry serves)."""
    from models.registry import ModelRegistry
    from models.settings import Settings

    version = ModelRegistry(Settings().baseline_registry_dir).alias_version(name)
    assert version is not None, f"the repo ships no production {name}"
    return version
