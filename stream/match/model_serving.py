"""The production models inside a worker (xG, lead distance), and their hot swap.

The worker polls the registry's ``production`` alias every ``PITCHSIDE_MODEL_POLL_S`` seconds (a
small file read). When it names another version, that version is loaded off the event loop (its
checksum verified by the registry, its feature schema checked), then swapped in with one
assignment between two messages: a shot is scored by exactly one version, and its output says which.
A version that fails to load is logged and counted, and the old one keeps serving. A server can
follow the ``challenger`` alias instead: then a withdrawn alias stops its model. A lead version
loads with its players' steal records (``player_history.json``, checksum verified like the model).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar

from features.baseball import PITCH_FEATURE_NAMES
from features.shot import SHOT_FEATURE_NAMES
from models.errors import PitchsideError
from models.lead import LeadModel
from models.players import HISTORY_FILE, PlayerHistory
from models.xg import XgModel

__all__ = ["LeadServer", "ModelServer", "ModelSource", "XgServer", "build_lead", "build_xg"]

log = logging.getLogger(__name__)


class _Version(Protocol):
    @property
    def feature_names(self) -> Sequence[str]: ...

    @property
    def extra(self) -> dict[str, Any] | None: ...

    @property
    def report_files(self) -> Sequence[str]: ...


class ModelSource(Protocol):
    """What serving needs of the registry (:class:`models.registry.ModelRegistry` fits)."""

    def alias_version(self, name: str, alias: str = "production") -> int | None: ...

    def get(self, name: str, version: int) -> _Version: ...

    def load_artifact(self, name: str, version: int) -> bytes: ...

    def read_report(self, name: str, version: int, file_name: str) -> bytes: ...


class Served(Protocol):
    """What a served model says about itself."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...


M = TypeVar("M", bound=Served)
Builder = Callable[[bytes, _Version, str, int], M]


def build_xg(artifact: bytes, meta: _Version, name: str, version: int) -> XgModel:
    return XgModel.from_record(artifact, meta.feature_names, meta.extra, SHOT_FEATURE_NAMES, name, version)


def build_lead(
    artifact: bytes, meta: _Version, name: str, version: int, history: PlayerHistory | None = None
) -> LeadModel:
    extra = meta.extra or {}
    calibration, support = extra.get("calibration"), extra.get("lead_support")
    return LeadModel.from_artifact(
        artifact,
        meta.feature_names,
        PITCH_FEATURE_NAMES,
        name,
        version,
        calibration if isinstance(calibration, dict) else None,
        support if isinstance(support, dict) else None,
        history,
    )


class ModelServer(Generic[M]):
    """Holds the production version of one model; :meth:`refresh` follows the alias."""

    def __init__(self, source: ModelSource, name: str, build: Builder[M], alias: str = "production") -> None:
        self.source = source
        self.name = name
        self.build = build
        self.alias = alias
        self.model: M | None = None
        self.failed: dict[int, str] = {}  # versions that could not load, and why (not retried)
        self.counts: Counter[str] = Counter()
        self.wanted: int | None = None  # the production alias as last read

    @property
    def refused(self) -> int | None:
        """The production version, if this worker refused it (it serves an older one, or none)."""
        return self.wanted if self.wanted is not None and self.wanted in self.failed else None

    def load(self, version: int) -> M:
        meta = self.source.get(self.name, version)
        return self.build(self.source.load_artifact(self.name, version), meta, self.name, version)

    def _wanted(self) -> int | None:
        try:
            self.wanted = self.source.alias_version(self.name, self.alias)
            return self.wanted
        except (OSError, ValueError, PitchsideError) as exc:
            log.error("cannot read the %s %s alias: %s", self.name, self.alias, exc)
            self.counts["alias_unreadable"] += 1
            return None

    def _due(self) -> int | None:
        wanted = self._wanted()
        read = wanted is not None or self.wanted is None  # None from a read, not from an error
        stale = wanted is None or wanted in self.failed
        if self.alias != "production" and self.model is not None and read and stale:
            # A challenger withdrawn, or moved to a version that cannot load: stop scoring the old
            # one. Production keeps serving whatever its alias says: graphics depend on it.
            log.info(
                "%s %s v%s no longer named: not scored any more", self.name, self.alias, self.model.version
            )
            self.model = None
            self.counts["withdrawn"] += 1
        if (
            wanted is None
            or wanted in self.failed
            or (self.model is not None and self.model.version == wanted)
        ):
            return None
        return wanted

    def refresh_now(self) -> bool:
        """Synchronous refresh (start-up, tests): True if the model changed."""
        wanted = self._due()
        if wanted is None:
            return False
        try:
            return self._install(self.load(wanted))
        except PitchsideError as exc:
            return self._refuse(wanted, exc)

    async def refresh(self) -> bool:
        """As :meth:`refresh_now`, loading in a thread so the agents keep running meanwhile."""
        wanted = self._due()
        if wanted is None:
            return False
        try:
            loaded = await asyncio.to_thread(self.load, wanted)
        except PitchsideError as exc:
            return self._refuse(wanted, exc)
        return self._install(loaded)

    def _refuse(self, version: int, exc: Exception) -> bool:
        self.failed[version] = str(exc)
        self.counts["load_failed"] += 1
        serving = f"v{self.model.version}" if self.model else "no model"
        log.error("%s v%s cannot serve (%s); still serving %s", self.name, version, exc, serving)
        return False

    def _install(self, loaded: M) -> bool:
        # One assignment between two messages: every shot is scored by the old or the new version.
        old = self.model.version if self.model else None
        self.model = loaded
        self.counts["swaps"] += 1
        log.info("%s now served by v%s (was %s)", self.name, loaded.version, old)
        return True


class XgServer(ModelServer[XgModel]):
    def __init__(self, source: ModelSource, name: str = "xg", alias: str = "production") -> None:
        super().__init__(source, name, build_xg, alias)


class LeadServer(ModelServer[LeadModel]):
    def __init__(self, source: ModelSource, name: str = "lead", alias: str = "production") -> None:
        super().__init__(source, name, build_lead, alias)

    def load(self, version: int) -> LeadModel:
        meta = self.source.get(self.name, version)
        history = None
        if HISTORY_FILE in meta.report_files:
            where = f"{self.name} v{version} {HISTORY_FILE}"
            history = PlayerHistory.decode(self.source.read_report(self.name, version, HISTORY_FILE), where)
        return build_lead(self.source.load_artifact(self.name, version), meta, self.name, version, history)
