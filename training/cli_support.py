"""What the analysts' commands share: the settings of the invocation, and one-line errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from models.errors import PitchsideError
from models.settings import Settings

__all__ = ["one_line_errors", "settings_from_env", "settings_of"]

F = TypeVar("F", bound=Callable[..., Any])


def settings_of(ctx: click.Context) -> Settings:
    """The root context's settings (what ``stream.cli``'s group stores, or a mapping holding them
    under ``"settings"``); built from the environment when a group is used on its own."""
    obj = ctx.find_root().obj
    if isinstance(obj, Settings):
        return obj
    if isinstance(obj, Mapping) and isinstance(obj.get("settings"), Settings):
        settings: Settings = obj["settings"]
        return settings
    return settings_from_env()


def settings_from_env() -> Settings:
    """Settings from the ``PITCHSIDE_*`` variables; a bad one is a one-line error naming it."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"PITCHSIDE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise click.ClickException(f"invalid settings: {problems}") from None


def one_line_errors(func: F) -> F:
    """Refusals (bad data, registry transitions) and file-system failures become one ``Error:``
    line and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PitchsideError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None

    return wrapper  # type: ignore[return-value]
