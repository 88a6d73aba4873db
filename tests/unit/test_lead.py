"""The lead-distance model: Savant attempts in, a monotone 21-point curve per pitch out."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from features.baseball import LEAD_GRID_FT, PITCH_FEATURE_NAMES, pitch_context
from models.drift import baseline_of
from models.lead import support_range
from models.players import HISTORY_FILE, PlayerReference
from models.registry import ModelRegistry
from models.settings import Settings
from models.xg import ModelLoadError
from stream.cli import cli
from stream.contracts import PitchBody, PitchEvent
from stream.match.model_serving import LeadServer
from stream.match.processing import MatchProcessor, Received
from tests.factories import pitch_body
from tests.shared_data import shared_path, shipped_production
from training.lead_pipeline import LeadOptions, lead_support, train_lead
from training.savant import REQUIRED_COLUMNS, load_opportunities
from training.shots import TrainingDataError

LEAD = shipped_production("lead")  # the version a fresh registry serves


@pytest.fixture(scope="module")
def slice_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """400 rows from each of four seasons of the real file, and the real reference files."""
    source = shared_path("savant")
    target = tmp_path_factory.mktemp("savant")
    with (source / "stolen_base_opportunities_2016-2021.csv").open(newline="") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        fields = reader.fieldnames or []
    picked = [
        r
        for year in ("2016", "2017", "2018", "2019")
        for r in [x for x in rows if x["date"][:4] == year][:400]
    ]
    with (target / "stolen_base_opportunities_slice.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(picked)
    for name in ("runner_sprint_speed.csv", "catcher_pop_time.csv"):
        (target / name).write_bytes((source / name).read_bytes())
    return target


def test_attempts_are_sb_and_cs_with_a_lead_and_the_rest_is_counted(slice_dir: Path) -> None:
    data = load_opportunities(slice_dir, PlayerReference())
    assert set(np.unique(data.success)) <= {0.0, 1.0} and len(data) > 1000
    assert data.x.shape[1] == len(PITCH_FEATURE_NAMES)
    assert np.isfinite(data.x[:, 0]).all()  # every attempt kept has its lead
    assert sum(data.left_out.values()) + len(data) == 1600
    assert np.isnan(data.x[:, 1]).all()  # an empty reference: sprint speed unknown, NaN


def test_training_on_a_slice_is_reproducible_beats_the_baselines_and_is_monotone(
    slice_dir: Path, tmp_path: Path
) -> None:
    registry = ModelRegistry(tmp_path)
    v1, s1 = train_lead(LeadOptions(slice_dir, seed=5), registry)
    _v2, s2 = train_lead(LeadOptions(slice_dir, seed=5, override_gate=True), registry)
    assert s1["metrics"] == s2["metrics"] and s1["holdout"] == 2019
    assert s1["metrics"]["model"]["log_loss"] < s1["metrics"]["overall rate"]["log_loss"]
    assert {"report.md", "reliability.png", "roc.png", "importance.png", "curves.png"} <= set(v1.report_files)
    report = v1.report_path().read_text()
    assert "## Feature importance (total gain)" in report and "- lead_ft: " in report
    # The drift baseline: the training seasons' attempts, not the early-stopping or held-out ones.
    baseline = baseline_of(v1)
    assert baseline is not None
    assert baseline.names == v1.feature_names == PITCH_FEATURE_NAMES
    assert baseline.rows == s1["split"]["train"] > 0
    support = (v1.extra or {})["lead_support"]
    assert support["attempts"] == s1["split"]["train"] and 0 <= support["low_ft"] < support["high_ft"]
    assert f"leads span {support['low_ft']}-{support['high_ft']} ft" in report
    assert "## Explained held-out attempts" in report
    # The model rises with the lead, all else equal: at the real lead an attempt's probability lies
    # between its curve's points at the whole feet either side.
    for explained, curve in zip(s1["explained"], s1["curves"], strict=True):
        lead = explained["lead_ft"]
        low, high = curve["probabilities"][int(lead)], curve["probabilities"][min(int(lead) + 1, 20)]
        assert low - 1e-3 <= explained["probability"] <= high + 1e-3 and len(explained["why"]) == 3
    for curve in s1["curves"]:
        p = curve["probabilities"]
        assert len(p) == 21 and all(b >= a for a, b in itertools.pairwise(p))


def test_every_curve_of_the_shipped_model_rises_with_the_lead() -> None:
    server = LeadServer(ModelRegistry(Settings().baseline_registry_dir))
    assert server.refresh_now() and server.model is not None
    rng = np.random.default_rng(1)
    n = 300
    # Players' records as the shipped history gives them: any runner, catcher and pitcher it knows
    # (and some it does not), so the check covers the history columns' whole range too.
    history = server.model.history
    known = [list(history.runners), list(history.catchers), list(history.pitchers)]
    ids = [[str(rng.choice([*k, "nobody"])) for _ in range(n)] for k in known]
    contexts = pitch_context(
        rng.uniform(0, 25, n),
        np.where(rng.uniform(size=n) < 0.2, np.nan, rng.uniform(23, 31, n)),
        np.where(rng.uniform(size=n) < 0.2, np.nan, rng.uniform(1.8, 2.2, n)),
        rng.integers(0, 4, n),
        rng.integers(0, 3, n),
        np.nan,
        [str(rng.choice(["2B", "3B"])) for _ in range(n)],
        history.features(*ids),
    )
    assert np.unique(contexts[:, -3:], axis=0).shape[0] > n / 2  # varied records, not all unknown
    for row in contexts:
        curve = server.model.curve(row)
        assert curve.shape == (21,) and ((curve >= 0) & (curve <= 1)).all()
        assert (np.diff(curve) >= 0).all()


def test_a_pitch_with_a_runner_gets_its_21_point_curve_with_the_version(tmp_path: Path) -> None:
    server = LeadServer(ModelRegistry(Settings().baseline_registry_dir))
    server.refresh_now()
    proc = MatchProcessor(reference=PlayerReference({"r1": 29.0}, {("c1", "2B"): 1.95}), lead=server)
    body = pitch_body(runner_lead_ft=12.5)
    event = PitchEvent(match_id="g1", event_id="e1", ts=1_700_000_000_000, type="pitch", pitch=body)
    [out] = [o for o in proc.on_event(event, Received(1, 2)) if o.kind == "lead_curve"]
    data = out.data
    assert data["leads_ft"] == LEAD_GRID_FT.tolist() and len(data["probabilities"]) == 21
    assert out.model is not None and (out.model.name, out.model.version) == ("lead", LEAD)
    expected = np.interp(12.5, LEAD_GRID_FT, data["probabilities"])
    assert data["current_probability"] == pytest.approx(expected, abs=1e-3)
    # The shipped v1 saw leads of 8.7-19.9 ft (1st-99th percentile of its 14,055 training attempts).
    assert data["support_ft"] == [8.7, 19.9] and data["conditional_on"] == "steal_attempt"
    no_runner = PitchEvent(match_id="g1", event_id="e2", ts=1, type="pitch", pitch=PitchBody(pitcher_id="p"))
    assert [o.kind for o in proc.on_event(no_runner, Received(1, 2))] == ["event"]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_bad_files_are_refused_with_what_to_fix(tmp_path: Path) -> None:
    with pytest.raises(TrainingDataError, match="missing column"):
        load_opportunities(
            _write(tmp_path / "a.csv", ["date", "result"], [["2020-01-01", "SB"]]), PlayerReference()
        )
    header = list(REQUIRED_COLUMNS)
    pickoffs = [["2020-05-01", "1", "2", "2B", "PK", "--", "0", "0", "FF", "95", "A | B"]]
    with pytest.raises(TrainingDataError, match="no steal attempts"):
        load_opportunities(_write(tmp_path / "b.csv", header, pickoffs), PlayerReference())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "lead", "--data", "/nonexistent.csv"], "does not exist"),
        (["models", "evaluate", "lead"], "needs --opportunities"),
    ],
)
def test_the_cli_says_what_is_wrong_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    env = {
        "PITCHSIDE_REGISTRY_DIR": str(tmp_path / "r"),
        "PITCHSIDE_BASELINE_REGISTRY_DIR": str(tmp_path / "none"),
    }
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert message in error


def test_train_lead_on_a_file_without_the_columns_or_without_attempts_exits_1(tmp_path: Path) -> None:
    env = {
        "PITCHSIDE_REGISTRY_DIR": str(tmp_path / "r"),
        "PITCHSIDE_BASELINE_REGISTRY_DIR": str(tmp_path / "none"),
    }
    bad = _write(tmp_path / "cols.csv", ["date", "result"], [["2020-01-01", "SB"]])
    only_pickoffs = _write(
        tmp_path / "pk.csv",
        list(REQUIRED_COLUMNS),
        [["2020-05-01", "1", "2", "2B", "PK", "--", "0", "0", "FF", "95", "A | B"]],
    )
    for path, message in ((bad, "missing column(s)"), (only_pickoffs, "no steal attempts")):
        result = CliRunner().invoke(cli, ["train", "lead", "--data", str(path)], env=env)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
        [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
        assert message in error


def test_the_support_range_is_the_middle_98_percent_of_measured_leads() -> None:
    leads = np.concatenate([np.linspace(5.0, 25.0, 1001), [np.nan]])
    support = lead_support(leads)
    assert (support["low_ft"], support["high_ft"], support["attempts"]) == (5.2, 24.8, 1001)
    with pytest.raises(TrainingDataError, match="no attempt with a measured lead"):
        lead_support(np.array([np.nan]))


@pytest.mark.parametrize(
    "stored", [{"low_ft": 9.0}, {"low_ft": 12.0, "high_ft": 9.0}, {"low_ft": "8", "high_ft": 9}]
)
def test_an_unusable_stored_support_range_refuses_the_model(stored: dict[str, object]) -> None:
    assert support_range(None) is None and support_range({"low_ft": 8, "high_ft": 20}) == (8.0, 20.0)
    with pytest.raises(ModelLoadError, match="unusable lead support"):
        support_range(stored)


def test_a_lead_challenger_is_scored_beside_production_on_the_same_pitch(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    registry.seed_from(Settings().baseline_registry_dir)
    shipped = registry.get("lead", LEAD)
    again = registry.register(
        "lead",
        registry.load_artifact("lead", LEAD),
        feature_names=list(shipped.feature_names),
        params=shipped.params,
        metrics={},
        lineage={},
        report_files={HISTORY_FILE: registry.read_report("lead", LEAD, HISTORY_FILE)},
        extra={**(shipped.extra or {}), "calibration": {"method": "platt", "scale": 0.5, "shift": 0.0}},
    )
    registry.challenge("lead", again.version)
    production, challenger = LeadServer(registry), LeadServer(registry, alias="challenger")
    assert production.refresh_now() and challenger.refresh_now()
    proc = MatchProcessor(
        reference=PlayerReference({"r1": 29.0}, {("c1", "2B"): 1.95}),
        lead=production,
        challengers=(None, challenger),
    )
    event = PitchEvent(
        match_id="g1", event_id="e1", ts=1, type="pitch", pitch=pitch_body(runner_lead_ft=12.5)
    )
    outputs = {o.kind: o for o in proc.on_event(event, Received(1, 2))}
    curve, compared = outputs["lead_curve"], outputs["lead_curve_challenger"]
    assert compared.data["production"] == {
        "version": LEAD,
        "current_probability": curve.data["current_probability"],
    }
    mine = compared.data["challenger"]
    assert mine["version"] == again.version and len(mine["probabilities"]) == 21
    assert mine["current_probability"] != curve.data["current_probability"]  # a flatter calibration
