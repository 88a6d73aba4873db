"""How :mod:`models.registry` puts its files on disk: atomically, readable by other users, and under a
per-name writer lock.

A directory is written beside its final place and renamed, so it appears whole or not at all; a file
that readers poll is replaced with ``os.replace``, so a reader sees the old content or the new, never a
mix. Everything is fsynced before it is made visible. Also here: the encoding of ``meta.json`` and the
check that a value will encode as plain JSON.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")

# mkdtemp/mkstemp create owner-only entries; a worker running as another user must still read models
DIR_MODE = 0o755
FILE_MODE = 0o644


# --- locking -----------------------------------------------------------------------------------------


@contextlib.contextmanager
def lock(root: Path, name: str) -> Iterator[None]:
    """Hold the writer lock of model ``name``: ``{root}/.locks/{name}.lock``."""
    # flock, not a lock file's existence: the kernel drops it when a writer dies mid-way.
    # Not re-entrant (a second open of the file blocks), so no locked method calls another.
    locks = root / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / f"{name}.lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


# --- meta.json ---------------------------------------------------------------------------------------


def json_problem(field_name: str, value: object) -> str | None:
    """Why ``value`` cannot be stored as the JSON object ``field_name``, or None if it can."""
    if not isinstance(value, Mapping):
        return f"{field_name} must be a mapping, got {type(value).__name__}"
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        # numpy scalars and NaN are the usual culprits: convert with float() / None before registering
        return f"{field_name} is not plain JSON: {exc}"
    return None


def encode_meta(meta: Mapping[str, Any]) -> bytes:
    """The bytes of a ``meta.json`` holding ``meta`` (JSON types only)."""
    return json.dumps(meta, indent=2, allow_nan=False).encode() + b"\n"


def decode_meta(data: bytes, kind: type[T], path: Path) -> T:
    """A ``kind`` from the bytes of the ``meta.json`` in directory ``path``, which becomes its ``path``
    (the file does not record where it lies). Raises ``ValueError`` or ``msgspec.ValidationError``."""
    raw = json.loads(data)
    if not isinstance(raw, dict):
        raise ValueError("not a JSON object")
    return msgspec.convert({**raw, "path": str(path)}, kind, dec_hook=_decode_path)


def _decode_path(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise TypeError(f"cannot decode {type(value).__name__} as {kind.__name__}")


# --- atomic writes -----------------------------------------------------------------------------------


def write_file(path: Path, data: bytes) -> None:
    with path.open("xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(root: Path) -> None:
    for path in sorted(root.rglob("*"), reverse=True):  # files before the directories that hold them
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        else:
            fsync_dir(path)
    fsync_dir(root)


def staging_dir(parent: Path, prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    path.chmod(DIR_MODE)
    return path


def publish_dir(parent: Path, files: Mapping[str, bytes], target: Path) -> None:
    """Write ``files`` into a new directory ``target`` that appears complete or not at all."""
    staging = staging_dir(parent, ".incoming-")
    try:
        for file_name, data in files.items():
            write_file(staging / file_name, data)
        fsync_dir(staging)
        # rename fails if target exists and is not empty: a version is never overwritten
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(parent)


def publish_copy(root: Path, name: str, dirs: Iterable[Path], texts: Mapping[str, str]) -> None:
    """Make ``{root}/{name}`` a directory holding copies of ``dirs`` and the text files ``texts``, which
    appears complete or not at all. Whatever ``{root}/{name}`` held before is replaced: the caller
    holds the name's lock and has made sure it holds no version."""
    root.mkdir(parents=True, exist_ok=True)
    staging = staging_dir(root, f".seed-{name}-")
    try:
        for source in dirs:
            shutil.copytree(source, staging / source.name)
        for file_name, text in texts.items():
            (staging / file_name).write_text(text)
        fsync_tree(staging)
        target = root / name
        if target.exists():
            shutil.rmtree(target)  # it holds no version: only leftovers of an interrupted write
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync_dir(root)


def replace_file(path: Path, data: bytes) -> None:
    """Replace ``path`` so that a concurrent reader sees the old content or the new, never a mix."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    fsync_dir(path.parent)
