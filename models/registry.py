"""A model registry in a local directory: every trained version with its metadata, its approval status,
and the ``production`` alias that running workers poll to hot-swap (and the ``challenger`` they score
beside it).

Layout under ``root``::

    {name}/v{N}/model.ubj      the XGBoost booster as bytes (UBJ, or model.json)
    {name}/v{N}/meta.json      what it was trained on, how it scored, who approved it
    {name}/v{N}/report.md ...  the training report and its figures
    {name}/aliases.json        {"production": N | null, "history": [earlier productions, newest last],
                                "changes": [every promotion and rollback: who, when, from which version],
                                "challenger": N | null, "challenger_changes": [challenges, withdrawals]}

A version directory appears whole or not at all: it is written beside its final place and renamed.
Files that readers poll (``aliases.json``, ``meta.json``) are replaced atomically, so readers take no
lock; writers on one name serialise on ``{root}/.locks/{name}.lock`` so two approvals or registrations
never overwrite each other. Artifacts are stored bytes checked against their sha256 and never
unpickled; this module does not import XGBoost.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import msgspec

from . import _registry_store as _store
from .errors import PitchsideError
from .settings import Settings

__all__ = [
    "APPROVED",
    "PENDING",
    "REJECTED",
    "AliasChange",
    "ArtifactCorrupt",
    "ArtifactFormat",
    "AuditEntry",
    "InvalidModelName",
    "InvalidRegistration",
    "ModelRegistry",
    "ModelVersion",
    "RefusedTransition",
    "RegistryError",
    "Status",
    "StatusChange",
    "UnknownModelVersion",
    "open_registry",
]

Status = Literal["PendingManualApproval", "Approved", "Rejected"]
ArtifactFormat = Literal["ubj", "json"]
PENDING: Status = "PendingManualApproval"
APPROVED: Status = "Approved"
REJECTED: Status = "Rejected"

_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_VERSION_DIR = re.compile(r"v([1-9][0-9]*)")
_REPORT_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_META = "meta.json"
_ALIASES = "aliases.json"
_ARTIFACT_FILES = {f"model.{fmt}" for fmt in get_args(ArtifactFormat)}
_NO_REPORTS: Mapping[str, bytes] = MappingProxyType({})
# production: what serves graphics; challenger: a candidate the workers score beside it, for comparison.
_ALIAS_NAMES = ("production", "challenger")


class RegistryError(PitchsideError):
    """The registry's content, or a request made of it, is wrong; the message names what."""


class InvalidModelName(RegistryError):
    """A model name outside ``[a-z][a-z0-9_-]{0,39}`` (it becomes a directory name)."""


class InvalidRegistration(RegistryError):
    """Metadata given to :meth:`ModelRegistry.register` that cannot be stored as asked."""


class UnknownModelVersion(RegistryError):
    """No such model name or version; the message lists what exists."""


class RefusedTransition(RegistryError):
    """A status or alias change the approval rules do not allow; the message says what would."""


class ArtifactCorrupt(RegistryError):
    """A model file is missing or its bytes no longer match the sha256 recorded at registration."""


@dataclass(frozen=True)
class StatusChange:
    status: Status
    at: datetime
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class ModelVersion:
    """One registered version as its ``meta.json`` records it; ``path`` is its directory."""

    name: str
    version: int
    path: Path
    created: datetime
    artifact_file: str
    artifact_sha256: str
    artifact_format: ArtifactFormat
    feature_names: tuple[str, ...]
    params: dict[str, Any]
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    status: Status
    status_history: tuple[StatusChange, ...]
    report_files: tuple[str, ...]
    extra: dict[str, Any] | None = None
    # sha256 of each report file at registration; None for versions registered before they were kept.
    report_sha256: dict[str, str] | None = None

    @property
    def artifact_path(self) -> Path:
        return self.path / self.artifact_file

    def report_path(self, file_name: str = "report.md") -> Path:
        """The path of one of this version's report files (``report.md`` unless named)."""
        if file_name not in self.report_files:
            have = ", ".join(self.report_files) or "none"
            raise RegistryError(
                f"{self.name} v{self.version} has no report file {file_name!r}; it has: {have}"
            )
        return self.path / file_name

    def meta(self) -> dict[str, Any]:
        """The content of ``meta.json``: JSON types only."""
        data: dict[str, Any] = msgspec.to_builtins(self, enc_hook=str)
        del data["path"]  # where it lives is the reader's business; copies would carry a stale path
        return data


@dataclass(frozen=True)
class AliasChange:
    """One move of an alias: promotions and rollbacks of ``production``, challenges and withdrawals
    of ``challenger``; together the aliases' audit trail."""

    action: Literal["promote", "rollback", "challenge", "withdraw"]
    version: int  # the alias after the change (withdraw: the version withdrawn)
    previous: int | None  # the alias before it
    at: datetime
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One line of a model's audit trail: a status change of a version or a move of the alias."""

    at: datetime
    what: str  # "v2 Approved", "promote v2 (was v1)"
    by: str | None
    note: str | None


@dataclass(frozen=True)
class _Aliases:
    production: int | None = None
    history: tuple[int, ...] = ()
    changes: tuple[AliasChange, ...] = ()  # production moves only: promote, rollback
    challenger: int | None = None
    # Kept apart from ``changes``: a reader from before challengers (a worker mid-upgrade, or a
    # release rolled back) ignores unknown fields but would refuse unknown actions in ``changes``.
    challenger_changes: tuple[AliasChange, ...] = ()


class ModelRegistry:
    """The registry rooted at ``root``; the directory is created by the first write."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # --- reading ---------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Names with at least one version, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if _NAME.fullmatch(p.name) and self._numbers(p.name)
        )

    def versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name``, oldest first; empty for a name never registered."""
        return [self._read(name, n) for n in self._numbers(_check_name(name))]

    def get(self, name: str, version: int) -> ModelVersion:
        numbers = self._require(name)
        if version not in numbers:
            have = ", ".join(map(str, numbers))
            raise UnknownModelVersion(f"model {name!r} has no version {version}; versions: {have}")
        return self._read(name, version)

    def alias_version(self, name: str, alias: str = "production") -> int | None:
        """The version ``alias`` points at, or None. One small file read: fine to poll every second."""
        if alias not in _ALIAS_NAMES:
            raise RegistryError(f"unknown alias {alias!r}; aliases: {', '.join(_ALIAS_NAMES)}")
        aliases = self._aliases(_check_name(name))
        return aliases.production if alias == "production" else aliases.challenger

    def production(self, name: str) -> ModelVersion | None:
        version = self.alias_version(name)
        return None if version is None else self.get(name, version)

    def production_history(self, name: str) -> tuple[int, ...]:
        """Earlier production versions, newest last: where :meth:`rollback` goes."""
        return self._aliases(_check_name(name)).history

    def alias_changes(self, name: str) -> tuple[AliasChange, ...]:
        """Every promotion and rollback of ``name``, oldest first (none recorded before this field)."""
        return self._aliases(_check_name(name)).changes

    def challenger_changes(self, name: str) -> tuple[AliasChange, ...]:
        """Every challenge and withdrawal of ``name``, oldest first."""
        return self._aliases(_check_name(name)).challenger_changes

    def audit_trail(self, name: str) -> list[AuditEntry]:
        """Everything that happened to ``name``, oldest first: each version's registration, approval
        and rejection, each promotion and rollback, each challenge and withdrawal, with who, when
        and why."""
        trail = [
            AuditEntry(change.at, f"v{entry.version} {change.status}", change.by, change.note)
            for n in self._require(name)
            for entry in (self._read(name, n),)
            for change in entry.status_history
        ]
        aliases = self._aliases(name)
        for move in (*aliases.changes, *aliases.challenger_changes):
            came_from = "none" if move.previous is None else f"v{move.previous}"
            what = f"{move.action} v{move.version} (was {came_from})"
            if move.action == "withdraw":
                what = f"withdraw challenger v{move.version}"
            elif move.action == "challenge":
                what = f"challenger v{move.version} (was {came_from})"
            trail.append(AuditEntry(move.at, what, move.by, move.note))
        return sorted(trail, key=lambda e: e.at)

    def load_artifact(self, name: str, version: int) -> bytes:
        """The model's bytes, after checking them against the sha256 recorded at registration."""
        entry = self.get(name, version)
        try:
            data = entry.artifact_path.read_bytes()
        except OSError as exc:
            raise ArtifactCorrupt(
                f"{name} v{version}: cannot read {entry.artifact_path} ({exc.strerror or exc}); "
                "restore the file or register the model again"
            ) from None
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry.artifact_sha256:
            raise ArtifactCorrupt(
                f"{name} v{version}: {entry.artifact_path} has sha256 {digest[:12]}… but meta.json records "
                f"{entry.artifact_sha256[:12]}…; the file changed after registration: restore it or "
                "register the model again"
            )
        return data

    def check_reports(self, name: str, version: int) -> None:
        """Raise :class:`ArtifactCorrupt` if a report file differs from the sha256 recorded at
        registration (versions registered before report hashes were kept have none to check)."""
        entry = self.get(name, version)
        for file_name in sorted(entry.report_sha256 or {}):
            _checked_report(entry, file_name)

    def read_report(self, name: str, version: int, file_name: str) -> bytes:
        """The bytes of one report file a model needs at run time (a lead version's player history),
        checked against the sha256 recorded at registration; :class:`ArtifactCorrupt` if they differ
        or the version recorded none for it."""
        entry = self.get(name, version)
        if file_name not in (entry.report_sha256 or {}):
            raise ArtifactCorrupt(f"{name} v{version}: no recorded sha256 for {file_name!r}; retrain it")
        return _checked_report(entry, file_name)

    # --- writing ---------------------------------------------------------------------------------

    def register(
        self,
        name: str,
        artifact: bytes,
        *,
        artifact_format: ArtifactFormat = "ubj",
        feature_names: Sequence[str],
        params: Mapping[str, Any],
        metrics: Mapping[str, Any],
        lineage: Mapping[str, Any],
        report_files: Mapping[str, bytes] = _NO_REPORTS,
        extra: Mapping[str, Any] | None = None,
        by: str | None = None,
    ) -> ModelVersion:
        """Store a new version (the highest so far + 1), pending manual approval."""
        _check_name(name)
        if artifact_format not in get_args(ArtifactFormat):
            raise InvalidRegistration(f"artifact_format must be 'ubj' or 'json', got {artifact_format!r}")
        if not artifact:
            raise InvalidRegistration(f"{name}: the artifact is empty")
        features = _check_features(feature_names)
        jsons = {"params": params, "metrics": metrics, "lineage": lineage, "extra": extra or {}}
        for field_name, value in jsons.items():
            problem = _store.json_problem(field_name, value)
            if problem is not None:
                raise InvalidRegistration(problem)
        reports = _check_reports(report_files, artifact_file=f"model.{artifact_format}")
        now = datetime.now(UTC)
        name_dir = self.root / name
        with self._lock(name):
            name_dir.mkdir(parents=True, exist_ok=True)
            version = max(self._numbers(name), default=0) + 1
            entry = ModelVersion(
                name=name,
                version=version,
                path=name_dir / f"v{version}",
                created=now,
                artifact_file=f"model.{artifact_format}",
                artifact_sha256=hashlib.sha256(artifact).hexdigest(),
                artifact_format=artifact_format,
                feature_names=features,
                params=dict(params),
                metrics=dict(metrics),
                lineage=dict(lineage),
                status=PENDING,
                status_history=(StatusChange(PENDING, now, by or _user(), "registered"),),
                report_files=tuple(sorted(reports)),
                extra=None if extra is None else dict(extra),
                report_sha256={f: hashlib.sha256(data).hexdigest() for f, data in sorted(reports.items())},
            )
            files = {entry.artifact_file: artifact, **reports, _META: _store.encode_meta(entry.meta())}
            _store.publish_dir(name_dir, files, entry.path)
        return entry

    def adopt_record(self, name: str, version: int, retrained: ModelVersion) -> ModelVersion:
        """Give ``version`` the record of ``retrained``, a retrain of the same artifact elsewhere:
        its metrics, lineage, extra and report files. The model file, creation time, status and
        history stay; a different artifact is a new model and must be registered as a new version."""
        with self._lock(name):
            local = self._read(name, version)
            if (retrained.artifact_sha256, retrained.artifact_format) != (
                local.artifact_sha256,
                local.artifact_format,
            ):
                raise RegistryError(
                    f"{name} v{version}: the retrained artifact differs (sha256 "
                    f"{retrained.artifact_sha256[:12]}… vs {local.artifact_sha256[:12]}…); register it "
                    "as a new version instead"
                )
            for file_name in retrained.report_files:
                _store.replace_file(local.path / file_name, retrained.report_path(file_name).read_bytes())
            entry = replace(
                retrained,
                name=name,
                version=version,
                path=local.path,
                created=local.created,  # when the version was registered, as its history says
                status=local.status,
                status_history=local.status_history,
            )
            _store.replace_file(local.path / _META, _store.encode_meta(entry.meta()))
            for stale in set(local.report_files) - set(retrained.report_files):
                (local.path / stale).unlink(missing_ok=True)  # after meta.json stops naming it
        return entry

    def approve(
        self, name: str, version: int, note: str | None = None, *, by: str | None = None
    ) -> ModelVersion:
        """Mark a pending version fit for production. A Rejected one only with a note saying why:
        somebody judged it unfit, and the trail must show who overruled that and on what grounds."""
        return self._set_status(name, version, APPROVED, note, by)

    def reject(
        self, name: str, version: int, note: str | None = None, *, by: str | None = None
    ) -> ModelVersion:
        """Mark a version unfit; the version in production cannot be rejected."""
        return self._set_status(name, version, REJECTED, note, by)

    def promote(
        self, name: str, version: int, note: str | None = None, *, by: str | None = None
    ) -> ModelVersion:
        """Make an Approved version production; the one it replaces goes onto the history."""
        with self._lock(_check_name(name)):
            entry = self.get(name, version)
            if entry.status != APPROVED:
                raise RefusedTransition(
                    f"{name} v{version} is {entry.status}; only an Approved version can be promoted: "
                    "approve it first"
                )
            aliases = self._aliases(name)
            if aliases.production == version:
                raise RefusedTransition(f"{name} v{version} is already production")
            history = (
                aliases.history if aliases.production is None else (*aliases.history, aliases.production)
            )
            now, who = datetime.now(UTC), by or _user()
            changes = (*aliases.changes, AliasChange("promote", version, aliases.production, now, who, note))
            moved = replace(aliases, production=version, history=history, changes=changes)
            # A challenger that won has nothing left to be compared with.
            self._write_aliases(name, _without_challenger(moved, version, now, who, "promoted"))
        return entry

    def rollback(self, name: str, note: str | None = None, *, by: str | None = None) -> ModelVersion:
        """Put the previous production version back; the current one leaves production."""
        with self._lock(_check_name(name)):
            aliases = self._aliases(name)
            if not aliases.history:
                self._require(name)
                now = "none" if aliases.production is None else f"v{aliases.production}"
                raise RefusedTransition(
                    f"{name} has no earlier production version to roll back to (production: {now}); "
                    "promote an Approved version instead"
                )
            entry = self.get(name, aliases.history[-1])
            if entry.status != APPROVED:
                raise RefusedTransition(
                    f"cannot roll {name} back to v{entry.version}: it is now {entry.status}; "
                    "promote an Approved version instead"
                )
            at, who = datetime.now(UTC), by or _user()
            change = AliasChange("rollback", entry.version, aliases.production, at, who, note)
            moved = replace(
                aliases,
                production=entry.version,
                history=aliases.history[:-1],
                changes=(*aliases.changes, change),
            )
            self._write_aliases(name, _without_challenger(moved, entry.version, at, who, "rolled back to"))
        return entry

    def challenge(
        self, name: str, version: int, note: str | None = None, *, by: str | None = None
    ) -> ModelVersion:
        """Make ``version`` the challenger: workers score it beside production on the live traffic,
        and keep its outputs apart from graphics. Any version but a Rejected one or production."""
        with self._lock(_check_name(name)):
            entry = self.get(name, version)
            if entry.status == REJECTED:
                raise RefusedTransition(f"{name} v{version} is Rejected; it cannot challenge production")
            aliases = self._aliases(name)
            if aliases.production == version:
                raise RefusedTransition(f"{name} v{version} is production; challenge it with another version")
            if aliases.challenger == version:
                raise RefusedTransition(f"{name} v{version} is already the challenger")
            change = AliasChange(
                "challenge", version, aliases.challenger, datetime.now(UTC), by or _user(), note
            )
            changes = (*aliases.challenger_changes, change)
            self._write_aliases(name, replace(aliases, challenger=version, challenger_changes=changes))
        return entry

    def withdraw_challenger(self, name: str, note: str | None = None, *, by: str | None = None) -> int:
        """Stop scoring the challenger; returns the version withdrawn."""
        with self._lock(_check_name(name)):
            aliases = self._aliases(name)
            if aliases.challenger is None:
                self._require(name)
                raise RefusedTransition(f"{name} has no challenger to withdraw")
            withdrawn = aliases.challenger
            change = AliasChange("withdraw", withdrawn, withdrawn, datetime.now(UTC), by or _user(), note)
            changes = (*aliases.challenger_changes, change)
            self._write_aliases(name, replace(aliases, challenger=None, challenger_changes=changes))
        return withdrawn

    def seed_from(self, source_root: Path) -> list[str]:
        """Copy each model of the registry at ``source_root`` that this one has no version of (and
        the report files a shipped version gained since this one copied it).

        Version numbers, statuses and aliases are kept, so a fresh machine starts where the shipped
        baseline stands. A missing ``source_root`` seeds nothing. Returns the names copied.
        """
        source = ModelRegistry(source_root)
        if not source.root.is_dir() or source.root.resolve() == self.root.resolve():
            return []
        seeded = []
        for name in source.names():
            if self._numbers(name):
                self._add_shipped_reports(source, name)
                continue
            entries = source.versions(name)
            for entry in entries:
                source.load_artifact(name, entry.version)  # a corrupt baseline must not spread
                source.check_reports(name, entry.version)
            aliases = source._aliases(name)
            numbers = {e.version for e in entries}
            if not {*aliases.history, aliases.production} - {None} <= numbers:
                raise RegistryError(
                    f"{source.root / name / _ALIASES} names versions that {source.root} lacks"
                )
            with self._lock(name):
                if self._numbers(name):  # registered while we were checking the source
                    continue
                self._copy_in(name, entries, aliases)
            seeded.append(name)
        return seeded

    def _add_shipped_reports(self, source: ModelRegistry, name: str) -> None:
        """Give a version seeded earlier the report files and ``extra`` entries the shipped copy
        gained since (a drift baseline, a lead support range), when both hold the same artifact: an
        upgrade then needs no fresh registry. Entries the local copy has are never overwritten."""
        have = set(self._numbers(name))
        for shipped in source.versions(name):
            if shipped.version not in have:
                continue
            with self._lock(name):
                local = self._read(name, shipped.version)
                missing = sorted(set(shipped.report_files) - set(local.report_files))
                local_extra = local.extra or {}
                extra = {k: v for k, v in (shipped.extra or {}).items() if k not in local_extra}
                if (not missing and not extra) or local.artifact_sha256 != shipped.artifact_sha256:
                    continue
                for file_name in missing:
                    target = local.path / file_name
                    if not target.exists():
                        _store.write_file(target, (shipped.path / file_name).read_bytes())
                hashes = {f: h for f, h in (shipped.report_sha256 or {}).items() if f in missing}
                added = replace(
                    local,
                    report_files=tuple(sorted({*local.report_files, *missing})),
                    extra={**local_extra, **extra},
                    report_sha256={**(local.report_sha256 or {}), **hashes} or None,
                )
                _store.replace_file(local.path / _META, _store.encode_meta(added.meta()))

    # --- internals -------------------------------------------------------------------------------

    def _require(self, name: str) -> list[int]:
        """The version numbers of ``name``, which must have some."""
        numbers = self._numbers(_check_name(name))
        if not numbers:
            known = ", ".join(self.names()) or "none"
            raise UnknownModelVersion(f"no model named {name!r} in {self.root}; registered: {known}")
        return numbers

    def _numbers(self, name: str) -> list[int]:
        try:
            children = list((self.root / name).iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = (_VERSION_DIR.fullmatch(p.name) for p in children if p.is_dir())
        return sorted(int(m.group(1)) for m in found if m)

    def _read(self, name: str, version: int) -> ModelVersion:
        path = self.root / name / f"v{version}"
        try:
            entry = _store.decode_meta((path / _META).read_bytes(), ModelVersion, path)
        except (OSError, ValueError, msgspec.ValidationError) as exc:
            raise RegistryError(f"{path / _META}: unreadable ({exc})") from None
        # A hand-edited or misplaced meta.json must not make one version pass for another, or point outside.
        if (entry.name, entry.version) != (name, version):
            raise RegistryError(f"{path / _META}: says {entry.name} v{entry.version}")
        if entry.artifact_file != f"model.{entry.artifact_format}":
            raise RegistryError(f"{path / _META}: artifact_file {entry.artifact_file!r} is not allowed")
        for file_name in entry.report_files:
            if not _REPORT_FILE.fullmatch(file_name):
                raise RegistryError(f"{path / _META}: report file {file_name!r} is not a plain file name")
        unlisted = sorted(set(entry.report_sha256 or {}) - set(entry.report_files))
        if unlisted:
            raise RegistryError(f"{path / _META}: report_sha256 names files not in report_files: {unlisted}")
        return entry

    def _aliases(self, name: str) -> _Aliases:
        path = self.root / name / _ALIASES
        try:
            return msgspec.json.decode(path.read_bytes(), type=_Aliases)
        except FileNotFoundError:
            return _Aliases()
        except (OSError, msgspec.DecodeError) as exc:
            raise RegistryError(f"{path}: unreadable ({exc})") from None

    def _write_aliases(self, name: str, aliases: _Aliases) -> None:
        _store.replace_file(self.root / name / _ALIASES, _encode_aliases(aliases))

    def _set_status(
        self, name: str, version: int, status: Status, note: str | None, by: str | None
    ) -> ModelVersion:
        with self._lock(_check_name(name)):
            entry = self.get(name, version)
            if entry.status == status:
                raise RefusedTransition(f"{name} v{version} is already {status}")
            if status == APPROVED and entry.status == REJECTED and not (note and note.strip()):
                raise RefusedTransition(
                    f"{name} v{version} was rejected: approving it needs a note saying why (--note)"
                )
            if status == REJECTED and self._aliases(name).production == version:
                raise RefusedTransition(
                    f"{name} v{version} is production: promote another version or roll back before "
                    "rejecting it"
                )
            if status == REJECTED and self._aliases(name).challenger == version:
                raise RefusedTransition(
                    f"{name} v{version} is the challenger: withdraw it before rejecting it"
                )
            change = StatusChange(status, datetime.now(UTC), by or _user(), note)
            updated = replace(entry, status=status, status_history=(*entry.status_history, change))
            _store.replace_file(entry.path / _META, _store.encode_meta(updated.meta()))
        return updated

    def _copy_in(self, name: str, entries: list[ModelVersion], aliases: _Aliases) -> None:
        texts = {_ALIASES: _encode_aliases(aliases).decode()}
        _store.publish_copy(self.root, name, [entry.path for entry in entries], texts)

    def _lock(self, name: str) -> contextlib.AbstractContextManager[None]:
        return _store.lock(self.root, name)


# --- helpers -----------------------------------------------------------------------------------------


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidModelName(
            f"model name {name!r} is not allowed: a lower-case letter, then up to 39 of a-z 0-9 _ -"
        )
    return name


def _check_features(feature_names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(feature_names, str):
        raise InvalidRegistration("feature_names must be a list of names, not one string")
    features = tuple(feature_names)
    bad = [f for f in features if not isinstance(f, str) or not f]
    if bad or not features:
        raise InvalidRegistration(f"feature_names must be non-empty strings, got {bad or 'no names'}")
    repeated = sorted({f for f in features if features.count(f) > 1})
    if repeated:
        raise InvalidRegistration(f"feature_names repeat: {', '.join(repeated)}")
    return features


def _check_reports(report_files: Mapping[str, bytes], *, artifact_file: str) -> dict[str, bytes]:
    reports = dict(report_files)
    for file_name, data in reports.items():
        if not _REPORT_FILE.fullmatch(file_name) or file_name in {_META, *_ARTIFACT_FILES}:
            raise InvalidRegistration(
                f"report file name {file_name!r} is not allowed: a plain name (letters, digits, . _ -) "
                f"other than {_META} and {artifact_file}"
            )
        if not isinstance(data, bytes):
            raise InvalidRegistration(f"report file {file_name!r} must be bytes, got {type(data).__name__}")
    return reports


def _checked_report(entry: ModelVersion, file_name: str) -> bytes:
    path = entry.report_path(file_name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactCorrupt(
            f"{entry.name} v{entry.version}: cannot read {path} ({exc.strerror or exc})"
        ) from None
    digest, recorded = hashlib.sha256(data).hexdigest(), (entry.report_sha256 or {})[file_name]
    if digest != recorded:
        raise ArtifactCorrupt(
            f"{entry.name} v{entry.version}: {path} has sha256 {digest[:12]}… but meta.json records "
            f"{recorded[:12]}…; the report changed after registration: restore it or retrain"
        )
    return data


def _encode_aliases(aliases: _Aliases) -> bytes:
    return msgspec.json.format(msgspec.json.encode(aliases), indent=2) + b"\n"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # containers often run as a uid without a passwd entry
        return "unknown"


def open_registry(settings: Settings) -> ModelRegistry:
    """The registry at ``PITCHSIDE_REGISTRY_DIR``, holding at least the baseline shipped with the repo
    (copied in on first use, so the first worker or command on a fresh machine already sees it)."""
    registry = ModelRegistry(settings.registry_dir)
    registry.seed_from(settings.baseline_registry_dir)
    return registry


def _without_challenger(aliases: _Aliases, production: int, at: datetime, by: str, why: str) -> _Aliases:
    """``aliases`` with the challenger withdrawn (and the withdrawal recorded) if it is ``production``."""
    if aliases.challenger != production:
        return aliases
    change = AliasChange("withdraw", production, production, at, by, why)
    return replace(aliases, challenger=None, challenger_changes=(*aliases.challenger_changes, change))
