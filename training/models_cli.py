"""``pitchside models``: see the registered models, compare two versions, move one through approval.

The group is added to the ``pitchside`` CLI by its owner; it takes the settings from the root context
(a :class:`Settings`, or a mapping holding one under ``"settings"``) and builds them from the
environment otherwise. The registry is ``PITCHSIDE_REGISTRY_DIR``, first seeded from the baseline
shipped in the repo for any model it does not hold yet. Every refusal is one ``Error: ...`` line and
exit status 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import click

from models.registry import ArtifactCorrupt, ModelRegistry, ModelVersion, open_registry
from training.cli_support import one_line_errors, settings_of

__all__ = ["models"]

KEY_METRICS = ("log_loss", "brier", "roc_auc")


def _registry(ctx: click.Context) -> ModelRegistry:
    # Every command seeds, so the first one run on a fresh machine already sees the shipped baseline.
    return open_registry(settings_of(ctx))


def _flat(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metrics as dotted keys in recorded order: ``{"holdout": {"model": {"brier": 0.1}}}``
    gives ``holdout.model.brier``."""
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        if isinstance(value, Mapping) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _key_metric(flat: Mapping[str, Any], key: str) -> Any:
    """A top-level ``key``, else the first nested one recorded (the training pipeline writes the
    model's own scores first, before the baselines it is compared with)."""
    if key in flat:
        return flat[key]
    return next((v for k, v in flat.items() if k.endswith(f".{key}")), None)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str | int):
        return str(value)
    return json.dumps(value, sort_keys=True)


def _delta(old: Any, new: Any) -> str:
    numbers = [v for v in (old, new) if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) < 2:
        return ""
    if all(isinstance(v, int) for v in numbers):  # counts (rows, matches) read better whole
        return f"{new - old:+d}"
    return f"{float(new) - float(old):+.4f}"


def _table(rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _created(entry: ModelVersion) -> str:
    return entry.created.strftime("%Y-%m-%d %H:%MZ")


@click.group("models")
def models() -> None:
    """Registered models: list, show, compare, approve, reject, promote, roll back."""


@models.command("list")
@click.argument("name", required=False)
@click.pass_context
@one_line_errors
def list_cmd(ctx: click.Context, name: str | None) -> None:
    """Every version of NAME (or of every model): status, production marker (*), key metrics."""
    registry = _registry(ctx)
    names = [name] if name else registry.names()
    rows = [["NAME", "VERSION", "STATUS", "PROD", "CREATED", *(m.upper() for m in KEY_METRICS)]]
    for model in names:
        entries = registry.versions(model)
        if not entries:
            known = ", ".join(registry.names()) or "none"
            raise click.ClickException(f"no model named {model!r} in {registry.root}; registered: {known}")
        production = registry.alias_version(model)
        for e in entries:
            marker = "*" if e.version == production else ""
            flat = _flat(e.metrics)
            metrics = (_fmt(_key_metric(flat, m)) for m in KEY_METRICS)
            rows.append([e.name, f"v{e.version}", e.status, marker, _created(e), *metrics])
    if len(rows) == 1:
        click.echo(f"no models registered in {registry.root}")
        return
    _table(rows)


@models.command("show")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--json", "as_json", is_flag=True, help="print meta.json (plus path and flags) as JSON")
@click.pass_context
@one_line_errors
def show_cmd(ctx: click.Context, name: str, version: int, as_json: bool) -> None:
    """Everything recorded about one version; exit 1 if its model or a report file fails its sha256 check."""
    registry = _registry(ctx)
    entry = registry.get(name, version)
    production = registry.alias_version(name) == version
    corrupt: str | None = None
    try:
        size = len(registry.load_artifact(name, version))
    except ArtifactCorrupt as exc:
        corrupt, size = str(exc), 0
    reports_corrupt: str | None = None
    try:
        registry.check_reports(name, version)
    except ArtifactCorrupt as exc:
        reports_corrupt = str(exc)
    if as_json:
        flags = {"artifact_ok": not corrupt, "reports_ok": not reports_corrupt}
        click.echo(
            json.dumps({**entry.meta(), "path": str(entry.path), "production": production, **flags}, indent=2)
        )
    else:
        _show_text(entry, production=production, size=size, corrupt=corrupt is not None)
    if corrupt or reports_corrupt:
        raise click.ClickException(corrupt or reports_corrupt or "")


def _show_text(entry: ModelVersion, *, production: bool, size: int, corrupt: bool) -> None:
    click.echo(f"{entry.name} v{entry.version}{'  (production)' if production else ''}")
    click.echo(f"status:    {entry.status}")
    click.echo(f"created:   {entry.created.isoformat()}")
    click.echo(f"path:      {entry.path}")
    check = "CORRUPT" if corrupt else f"{size:,} bytes, sha256 ok"
    click.echo(f"artifact:  {entry.artifact_file} ({entry.artifact_format}; {check})")
    click.echo(f"features:  {len(entry.feature_names)}: {', '.join(entry.feature_names)}")
    click.echo(f"params:    {json.dumps(entry.params, sort_keys=True)}")
    click.echo("metrics:")
    for key, value in _flat(entry.metrics).items():
        click.echo(f"  {key:<28} {_fmt(value)}")
    click.echo(f"lineage:   {json.dumps(entry.lineage, sort_keys=True)}")
    if entry.extra:
        click.echo(f"extra:     {json.dumps(entry.extra, sort_keys=True)}")
    click.echo("history:")
    for change in entry.status_history:
        note = f": {change.note}" if change.note else ""
        click.echo(f"  {change.at.isoformat()}  {change.status:<22} by {change.by or '?'}{note}")
    hashed = entry.report_sha256 or {}
    for file_name in entry.report_files:
        state = "" if file_name not in hashed else " (sha256 recorded)"
        click.echo(f"report:    {entry.report_path(file_name)}{state}")


@models.command("compare")
@click.argument("name")
@click.argument("a", type=int)
@click.argument("b", type=int)
@click.pass_context
@one_line_errors
def compare_cmd(ctx: click.Context, name: str, a: int, b: int) -> None:
    """Metrics of versions A and B side by side (with B - A), then params and features that differ."""
    registry = _registry(ctx)
    old, new = registry.get(name, a), registry.get(name, b)
    rows = [["METRIC", f"v{a}", f"v{b}", f"v{b} - v{a}"]]
    old_metrics, new_metrics = _flat(old.metrics), _flat(new.metrics)
    for key in [*old_metrics, *(k for k in new_metrics if k not in old_metrics)]:
        x, y = old_metrics.get(key), new_metrics.get(key)
        rows.append([key, _fmt(x), _fmt(y), _delta(x, y)])
    if len(rows) > 1:
        _table(rows)
    else:
        click.echo("metrics: none recorded")
    params = [
        k for k in sorted(old.params.keys() | new.params.keys()) if old.params.get(k) != new.params.get(k)
    ]
    if params:
        click.echo("params that differ:")
        _table(
            [["PARAM", f"v{a}", f"v{b}"]]
            + [[k, _fmt(old.params.get(k)), _fmt(new.params.get(k))] for k in params]
        )
    click.echo(_feature_difference(old, new))


def _feature_difference(old: ModelVersion, new: ModelVersion) -> str:
    if old.feature_names == new.feature_names:
        return f"features: the same {len(old.feature_names)}, in the same order"
    only_old = [f for f in old.feature_names if f not in new.feature_names]
    only_new = [f for f in new.feature_names if f not in old.feature_names]
    if not only_old and not only_new:
        # a booster reads columns by position: a reordering matters as much as a new feature
        return "features: the same names in a different order"
    lines = ["features that differ:"]
    if only_old:
        lines.append(f"  only in v{old.version}: {', '.join(only_old)}")
    if only_new:
        lines.append(f"  only in v{new.version}: {', '.join(only_new)}")
    return "\n".join(lines)


@models.command("approve")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--note", help="why; kept in the version's status history")
@click.pass_context
@one_line_errors
def approve_cmd(ctx: click.Context, name: str, version: int, note: str | None) -> None:
    """Mark a version fit for production (it still has to be promoted)."""
    entry = _registry(ctx).approve(name, version, note)
    click.echo(f"{entry.name} v{entry.version}: {entry.status}")


@models.command("reject")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--note", help="why; kept in the version's status history")
@click.pass_context
@one_line_errors
def reject_cmd(ctx: click.Context, name: str, version: int, note: str | None) -> None:
    """Mark a version unfit for production (refused for the version in production)."""
    entry = _registry(ctx).reject(name, version, note)
    click.echo(f"{entry.name} v{entry.version}: {entry.status}")


@models.command("promote")
@click.argument("name")
@click.argument("version", type=int)
@click.option("--note", help="why; kept in the model's audit trail (`models history`)")
@click.pass_context
@one_line_errors
def promote_cmd(ctx: click.Context, name: str, version: int, note: str | None) -> None:
    """Make an Approved version production; running workers pick it up on their next poll."""
    registry = _registry(ctx)
    before = registry.alias_version(name)
    entry = registry.promote(name, version, note)
    was = "" if before is None else f" (was v{before})"
    click.echo(f"{entry.name}: production is v{entry.version}{was}")


@models.command("rollback")
@click.argument("name")
@click.option("--note", help="why; kept in the model's audit trail (`models history`)")
@click.pass_context
@one_line_errors
def rollback_cmd(ctx: click.Context, name: str, note: str | None) -> None:
    """Put the previous production version of NAME back in production."""
    registry = _registry(ctx)
    was = registry.alias_version(name)
    entry = registry.rollback(name, note)
    click.echo(f"{entry.name}: production is v{entry.version} (was v{was})")


@models.command("challenge")
@click.argument("name")
@click.argument("version", type=int, required=False)
@click.option("--withdraw", is_flag=True, help="stop scoring the current challenger")
@click.option("--note", help="why; kept in the model's audit trail (`models history`)")
@click.pass_context
@one_line_errors
def challenge_cmd(
    ctx: click.Context, name: str, version: int | None, withdraw: bool, note: str | None
) -> None:
    """Make VERSION the challenger of NAME: workers score it beside production on every shot or
    pitch and keep its outputs apart from graphics (`--withdraw` stops that)."""
    registry = _registry(ctx)
    if version is None or withdraw:
        if not withdraw or version is not None:
            raise click.ClickException("give a VERSION to challenge with, or --withdraw (not both)")
        click.echo(f"{name}: challenger v{registry.withdraw_challenger(name, note)} withdrawn")
        return
    before = registry.alias_version(name, "challenger")
    entry = registry.challenge(name, version, note)
    was = "" if before is None else f" (was v{before})"
    click.echo(
        f"{entry.name}: challenger is v{entry.version}{was}; production stays v{registry.alias_version(name)}"
    )


@models.command("history")
@click.argument("name")
@click.pass_context
@one_line_errors
def history_cmd(ctx: click.Context, name: str) -> None:
    """The audit trail of NAME, oldest first: every registration, approval, rejection, promotion and
    rollback, with who, when and why."""
    for entry in _registry(ctx).audit_trail(name):
        who = (f" by {entry.by}" if entry.by else "") + (f": {entry.note}" if entry.note else "")
        click.echo(f"{entry.at.isoformat(timespec='seconds')}  {entry.what}{who}")
