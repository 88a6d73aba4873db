"""The project's one exception root.

It lives in ``models`` because that is the lowest package both ``stream`` and ``training`` import
(``features`` stays free of project types). Each package adds small subclasses next to the code that
raises them; a caller that wants "anything pitchside rejected" catches :class:`PitchsideError`.
"""

from __future__ import annotations

__all__ = ["ConfigurationError", "PitchsideError"]


class PitchsideError(Exception):
    """Root of every error the project raises on purpose."""


class ConfigurationError(PitchsideError):
    """A setting, path or environment requirement is wrong; the message says what to change."""
