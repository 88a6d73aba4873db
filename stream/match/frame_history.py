"""The last few seconds of a match's tracking, kept so a shot can be joined to the frame of its moment.

Events and tracking arrive on different topics, so a shot may be read a little before or after the
frames around it; the join takes the frame nearest the shot's event time, if it lies within the
staleness limit (``PITCHSIDE_SHOT_FRAME_MAX_AGE_MS``, 500 ms by default: at 10-25 Hz a frame every
40-100 ms is expected, and half a second is as far as players' positions stay telling for a shot).
History is kept in memory for ``PITCHSIDE_FRAME_HISTORY_MS`` (3 s); after a worker restart or a
takeover it fills again with the next frames, and until then the match's latest frame from the
``latest-frame`` table (recovered from its changelog) stands in, subject to the same limit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["FrameHistory", "Snapshot"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One frame as a shot needs it, in slot order: ``ids[i]`` is slot ``i``'s player; ``xy``
    (metres, pitch frame), ``team`` (0 home, 1 away) and ``keeper`` per slot, ``present`` marks the
    slots shown in this frame. ``ball`` is ``(2,)``, NaN when the frame has none."""

    ts: int
    ids: tuple[str, ...]
    xy: FloatArray
    present: BoolArray
    team: IntArray
    keeper: BoolArray
    ball: FloatArray
    home_attack: int
    simulated: bool

    def slot_of(self, player_id: str | None) -> int | None:
        """The slot of ``player_id`` if that player is shown in this frame."""
        if player_id is None:
            return None
        for i, pid in enumerate(self.ids):
            if pid == player_id:
                return i if bool(self.present[i]) else None
        return None


class FrameHistory:
    """Snapshots of one match, oldest first, spanning at most ``window_ms`` of event time."""

    def __init__(self, window_ms: int) -> None:
        self._window = window_ms
        self._frames: deque[Snapshot] = deque()

    def __len__(self) -> int:
        return len(self._frames)

    def add(self, snapshot: Snapshot) -> None:
        self._frames.append(snapshot)
        oldest = snapshot.ts - self._window
        while self._frames and self._frames[0].ts < oldest:
            self._frames.popleft()

    def nearest(self, ts: int, max_age_ms: int) -> Snapshot | None:
        """The snapshot nearest ``ts`` (either side), if within ``max_age_ms`` of it."""
        best: Snapshot | None = None
        for snap in self._frames:
            if abs(snap.ts - ts) <= max_age_ms and (best is None or abs(snap.ts - ts) < abs(best.ts - ts)):
                best = snap
        return best
