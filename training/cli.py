"""The analysts' commands: ``pitchside train xg|lead|baselines`` and ``pitchside models evaluate xg|lead``.

Heavy imports (xgboost, matplotlib) happen inside the commands, so the rest of the ``pitchside`` CLI
starts quickly. Every failure the analyst can fix is one line and exit 1, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from models.registry import open_registry
from training.cli_support import one_line_errors, settings_of

__all__ = ["evaluate_command", "train"]


class _Bars:
    """Progress bars for the long steps: one bar per label, finished when the next label starts."""

    def __init__(self) -> None:
        self.label: str | None = None
        self.bar: Any = None

    def __call__(self, label: str, done: int, total: int) -> None:
        if label != self.label:
            self.close()
            self.label = label
            self.bar = click.progressbar(
                length=total, label=f"  {label}", file=click.get_text_stream("stderr")
            )
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        self.bar, self.label = None, None


def _table(rows: dict[str, dict[str, Any]]) -> str:
    lines = [f"  {'':<26} {'rows':>6} {'hits':>6} {'log loss':>9} {'Brier':>7} {'ROC AUC':>8} {'ECE':>7}"]
    for name, m in rows.items():
        auc = "-" if m["roc_auc"] is None else f"{m['roc_auc']:.4f}"
        lines.append(
            f"  {name:<26} {m['shots']:>6} {m['goals']:>6} {m['log_loss']:>9.4f} {m['brier']:>7.4f} "
            f"{auc:>8} {m['ece']:>7.4f}"
        )
    return "\n".join(lines)


@click.group()
def train() -> None:
    """Train a model and register it (pending approval)."""


@train.command("xg")
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    multiple=True,
    help="shots file/dir or open-data dir, StatsBomb or Wyscout; repeat for several "
    "[default: the shared StatsBomb shots and Wyscout shots]",
)
@click.option(
    "--holdout",
    default=None,
    help="competition-seasons held out for evaluation, comma-separated "
    "[default: 11_4,wyscout_Spain: La Liga 2018/19 (StatsBomb) and 2017/18 (Wyscout)]",
)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--search/--no-search",
    default=True,
    help="grid-search depth, min child weight and learning rate on the validation matches (default, "
    "as the shipped baseline was trained; a few seconds) or fit the default parameters only",
)
@click.option("--override-gate", is_flag=True, help="register even if worse than production")
@click.pass_context
@one_line_errors
def train_xg_command(
    ctx: click.Context,
    data: tuple[Path, ...],
    holdout: str | None,
    seed: int,
    search: bool,
    override_gate: bool,
) -> None:
    """Train the open-play xG model (event-only and full paths) on StatsBomb and Wyscout shots and
    register it."""
    from training.pipeline import TrainOptions, train_xg
    from training.split import DEFAULT_HOLDOUT

    settings = settings_of(ctx)
    source = data or (settings.data_dir / "statsbomb" / "shots", settings.data_dir / "wyscout")
    options = TrainOptions(tuple(source), holdout or DEFAULT_HOLDOUT, seed, search, override_gate)
    bars = _Bars()
    result = train_xg(
        options, open_registry(settings), step=lambda s: click.echo(f"- {s} ..."), progress=bars
    )
    summary, version = result.summary, result.version
    click.echo(
        f"held out: {summary['split']['holdout_name']} ({summary['split']['rows']['test']} open-play shots)"
    )
    click.echo(_table(summary["metrics"]["holdout"]))
    if summary["metrics"]["holdout_event_feeds"]:
        click.echo("held-out shots of event-only feeds (no provider xG to compare with):")
        click.echo(_table(summary["metrics"]["holdout_event_feeds"]))
    click.echo(f"gate: {summary['gate']['verdict']}")
    click.echo(
        f"registered {version.name} v{version.version}: PendingManualApproval; "
        f"report {version.path / 'report.md'}"
    )
    click.echo(
        f"next: pitchside models approve {version.name} {version.version} && "
        f"pitchside models promote {version.name} {version.version}"
    )


@train.command("lead")
@click.option(
    "--data", type=click.Path(path_type=Path), help="Savant CSV or directory [default: shared savant]"
)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--override-gate", is_flag=True, help="register even if worse than production")
@click.pass_context
@one_line_errors
def train_lead_command(ctx: click.Context, data: Path | None, seed: int, override_gate: bool) -> None:
    """Train the lead-distance (stolen-base) model on Baseball Savant attempts and register it."""
    from training.lead_pipeline import LeadOptions, train_lead

    settings = settings_of(ctx)
    options = LeadOptions(data or settings.data_dir / "savant", seed, override_gate)
    version, summary = train_lead(options, open_registry(settings), step=lambda s: click.echo(f"- {s} ..."))
    click.echo(f"held out: season {summary['holdout']} ({summary['split']['test']} attempts)")
    click.echo(_table(summary["metrics"]))
    click.echo(f"gate: {summary['gate']['verdict']}")
    click.echo(
        f"registered {version.name} v{version.version}: PendingManualApproval; "
        f"report {version.path / 'report.md'}"
    )


@click.command("evaluate")
@click.argument("name", type=click.Choice(["xg", "lead"]))
@click.option(
    "--shots", "shots_path", type=click.Path(path_type=Path), help="xg: shots file/dir or open-data dir"
)
@click.option(
    "--opportunities", "opportunities", type=click.Path(path_type=Path), help="lead: Savant CSV or dir"
)
@click.option("--version", "version", type=int, help="registered version [default: production]")
@click.option(
    "--event-only", is_flag=True, help="xg: score every shot as if it had no freeze frame (event-only feeds)"
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@click.pass_context
@one_line_errors
def evaluate_command(
    ctx: click.Context,
    name: str,
    shots_path: Path | None,
    opportunities: Path | None,
    version: int | None,
    event_only: bool,
    as_json: bool,
) -> None:
    """Score a data file with a registered version: xg next to StatsBomb's xG on the same shots,
    lead next to the file's own success rate."""
    from training.scoring import evaluate_lead_version, evaluate_version

    source = shots_path if name == "xg" else opportunities
    if source is None:
        raise click.ClickException(f"{name} needs {'--shots' if name == 'xg' else '--opportunities'} PATH")
    if event_only and name != "xg":
        raise click.ClickException("--event-only is for xg: a pitch has no freeze frame to leave out")
    settings = settings_of(ctx)
    registry = open_registry(settings)
    if name == "xg":
        result = evaluate_version(registry, name, source, version, event_only)
    else:
        result = evaluate_lead_version(registry, name, source, version)
    if as_json:
        click.echo(json.dumps(result))
        return
    if name == "xg":
        left_out = (
            f"{result['shots_without_provider_xg']} without statsbomb_xg left out of the comparison"
            if result["compared_with_statsbomb_xg"]
            else "none carries statsbomb_xg: the model alone, on every one"
        )
        mode = "event only: every freeze frame left out; " if event_only else ""
        click.echo(
            f"{name} v{result['version']} on {result['shots_scored']} open-play shots from {source} "
            f"({mode}{left_out})"
        )
    else:
        click.echo(f"{name} v{result['version']} on {result['attempts']} steal attempts from {source}")
    click.echo(_table(result["metrics"]))


@train.command("baselines")
@click.option(
    "--data", type=click.Path(path_type=Path), help="shared data folder [default: PITCHSIDE_DATA_DIR]"
)
@click.option(
    "--into",
    type=click.Path(path_type=Path),
    help="an empty registry folder to keep the retrains in [default: temporary]",
)
@click.option("--update", is_flag=True, help="give the shipped versions the fresh record (same model files)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON line per model")
@click.pass_context
@one_line_errors
def train_baselines_command(
    ctx: click.Context, data: Path | None, into: Path | None, update: bool, as_json: bool
) -> None:
    """Retrain every shipped baseline from the shared data; exit 1 unless each one is reproduced
    (the same model file and metrics)."""
    import tempfile

    from training.baselines import describe, not_reproduced, retrain_baselines, update_shipped

    settings = settings_of(ctx)
    step = (lambda _s: None) if as_json else (lambda s: click.echo(f"- {s} ..."))
    with tempfile.TemporaryDirectory(prefix="pitchside-baselines-") as scratch:
        target = into or Path(scratch) / "registry"
        checks = retrain_baselines(settings.baseline_registry_dir, data or settings.data_dir, target, step)
        for check in checks:
            line = describe(check)
            if as_json:
                click.echo(json.dumps(line))
            else:
                verdict = "reproduced" if check.reproduced else "DIFFERS"
                click.echo(
                    f"{line['name']} v{line['version']}: {verdict} (artifact "
                    f"{'same' if check.same_artifact else 'different'}, metrics "
                    f"{'same' if check.same_metrics else 'different'})"
                )
        if update:
            for entry in update_shipped(settings.baseline_registry_dir, checks):
                if not as_json:
                    click.echo(f"updated the record of {entry.name} v{entry.version} in {entry.path}")
    differ = not_reproduced(checks)
    if differ:
        raise click.ClickException(f"not reproduced: {', '.join(differ)}; see the lines above")
