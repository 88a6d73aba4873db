"""The lead model's player records: earlier seasons only, shrunk toward the league, shipped with the
version (checksummed) and looked up live by the pitch's player ids."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from features.baseball import HISTORY_FEATURE_NAMES, PITCH_FEATURE_NAMES, PRIOR_ATTEMPTS, shrunk_rate
from models.lead import LeadModel
from models.players import HISTORY_FILE, PlayerHistory, PlayerReference, PlayerReferenceError
from models.registry import ArtifactCorrupt, ModelRegistry
from models.settings import Settings
from stream.cli import cli
from stream.contracts import PitchEvent
from stream.match.model_serving import LeadServer
from stream.match.processing import MatchProcessor, Received
from stream.sources.pitches import savant_pitches
from tests.factories import pitch_body
from tests.shared_data import shipped_production
from training.savant import load_opportunities

HEADER = [
    "date",
    "catcher_name",
    "pitcher_name",
    "runner_name",
    "batter_name",
    "fielder_name",
    "target_base",
    "result",
    "runner_stealing_runs",
    "lead_distance_gained",
    "at_pitchers_first_move",
    "at_pitch_release",
    "ball_count",
    "strike_count",
    "pitch_type",
    "velo",
    "description",
    "match_up",
    "video_link",
]
COL = {name: i for i, name in enumerate(PITCH_FEATURE_NAMES)}
HISTORY_COLS = [COL[n] for n in HISTORY_FEATURE_NAMES]

# (date, catcher, pitcher, runner, result, lead at the first move)
ROWS = [
    ("2017-05-01", "c1", "Ann | Arm", "r1", "SB", "12.0"),
    ("2017-05-02", "c1", "Bob | Bell", "r2", "CS", "10.0"),
    ("2018-05-01", "c1", "Ann | Arm", "r1", "SB", "12.5"),
    ("2018-05-02", "c2", "Ann | Arm", "r1", "SB", "13.0"),
    ("2018-05-03", "c2", "Bob | Bell", "r1", "CS", "--"),  # no lead: not a row, still an attempt
    ("2018-05-04", "c2", "Bob | Bell", "r3", "SB", "11.0"),
    ("2018-05-05", "c2", "Bob | Bell", "r3", "PK", "--"),  # a pickoff: no attempt
    ("2019-05-01", "c1", "Ann | Arm", "r1", "SB", "12.0"),
    ("2019-05-02", "c2", "Bob | Bell", "r3", "CS", "11.5"),
]

LEAD = shipped_production("lead")  # the version a fresh registry serves


def _write(path: Path, rows: list[tuple[str, ...]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for date, catcher, pitcher, runner, result, lead in rows:
            row = dict.fromkeys(header, "--")
            row.update(
                date=date,
                catcher_name=catcher,
                pitcher_name=pitcher,
                runner_name=runner,
                target_base="2B",
                result=result,
                at_pitchers_first_move=lead,
                ball_count="1",
                strike_count="0",
                pitch_type="FF",
                velo="94.0",
                match_up="AAA @ BBB",
            )
            writer.writerow({k: v for k, v in row.items() if k in header})
    return path


def _history(path: Path) -> np.ndarray:
    return load_opportunities(path, PlayerReference()).x[:, HISTORY_COLS]


def test_a_row_sees_only_the_seasons_before_its_own(tmp_path: Path) -> None:
    data = load_opportunities(_write(tmp_path / "a.csv", ROWS), PlayerReference())
    h = data.x[:, HISTORY_COLS]
    assert data.season.tolist() == [2017, 2017, 2018, 2018, 2018, 2019, 2019]
    # The first season has no earlier one: no attempts, and no league rate to judge anyone by.
    assert (h[:2, 0] == 0).all() and np.isnan(h[:2, 1:]).all()
    # r1's 2018 rows know his 2017 attempt only, not 2018's; league 2017: 1 steal in 2 attempts.
    assert h[2, 0] == h[3, 0] == 1
    np.testing.assert_allclose(h[2, 1], float(shrunk_rate(1, 1, 0.5, PRIOR_ATTEMPTS["runner"])) - 0.5)
    # 2019: r1 has 4 attempts (2017, and 2018's three, the one without a lead too), 3 stolen; the
    # league 4 of 6; the pitcher Ann Arm let 3 of 3 through; catcher c1 2 of 3.
    league = 4 / 6
    np.testing.assert_array_equal(h[5, 0], 4)
    np.testing.assert_allclose(h[5, 1], float(shrunk_rate(3, 4, league, PRIOR_ATTEMPTS["runner"])) - league)
    np.testing.assert_allclose(h[5, 2], league - float(shrunk_rate(2, 3, league, PRIOR_ATTEMPTS["catcher"])))
    np.testing.assert_allclose(h[5, 3], float(shrunk_rate(3, 3, league, PRIOR_ATTEMPTS["pitcher"])) - league)
    # Shipped for the live season: every season, 2019 included.
    assert data.history.seasons == (2017, 2018, 2019) and data.history.league == (8, 5)
    assert data.history.runners["r1"] == (5, 4) and data.history.pitchers["Ann-Arm"] == (4, 4)


def test_a_seasons_own_outcomes_never_reach_its_rows(tmp_path: Path) -> None:
    before = _history(_write(tmp_path / "a.csv", ROWS))
    flipped_2019 = [(*r[:4], "SB" if r[4] == "CS" else r[4], r[5]) if r[0] >= "2019" else r for r in ROWS]
    np.testing.assert_array_equal(_history(_write(tmp_path / "b.csv", flipped_2019)), before)
    # ...while an earlier season's outcome does reach the later rows, and only them.
    flipped_2018 = [(*r[:4], "CS", r[5]) if r[0] == "2018-05-01" else r for r in ROWS]
    after = _history(_write(tmp_path / "c.csv", flipped_2018))
    np.testing.assert_array_equal(after[:5], before[:5])
    assert after[5, 1] < before[5, 1]


def test_the_history_file_round_trips_and_refuses_what_it_is_not() -> None:
    history = PlayerHistory((2023, 2024), (10, 7), {"r1": (4, 3)}, {"c1": (6, 2)}, {"Ann-Arm": (2, 2)})
    data = history.encode()
    assert PlayerHistory.decode(data) == history and PlayerHistory.decode(data).encode() == data
    for bad in (
        b"{}",
        b"not json",
        data.replace(b'"format":1', b'"format":2'),
        data.replace(b"[4,3]", b"[3,4]"),
    ):
        with pytest.raises(PlayerReferenceError, match="not a player history"):
            PlayerHistory.decode(bad)


def test_the_registry_checks_the_history_file_against_its_recorded_sha256(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    data = PlayerHistory((2024,), (2, 1), {"r1": (2, 1)}).encode()
    entry = registry.register(
        "lead",
        b"model",
        feature_names=["a"],
        params={},
        metrics={},
        lineage={},
        report_files={HISTORY_FILE: data},
    )
    assert registry.read_report("lead", 1, HISTORY_FILE) == data
    (entry.path / HISTORY_FILE).write_bytes(data.replace(b"[2,1]", b"[2,2]"))
    with pytest.raises(ArtifactCorrupt, match="sha256"):
        registry.read_report("lead", 1, HISTORY_FILE)
    with pytest.raises(ArtifactCorrupt, match="sha256"):
        registry.check_reports("lead", 1)
    with pytest.raises(ArtifactCorrupt, match="no recorded sha256"):
        registry.read_report("lead", 1, "other.json")


@pytest.fixture
def seeded(tmp_path: Path) -> ModelRegistry:
    registry = ModelRegistry(tmp_path / "registry")
    registry.seed_from(Settings().baseline_registry_dir)
    return registry


def test_a_worker_refuses_a_version_whose_history_changed_or_is_missing(seeded: ModelRegistry) -> None:
    shipped = seeded.get("lead", LEAD)
    bare = seeded.register(
        "lead",
        seeded.load_artifact("lead", LEAD),
        feature_names=list(shipped.feature_names),
        params={},
        metrics={},
        lineage={},
        extra=shipped.extra,
    )
    seeded.approve("lead", bare.version)
    seeded.promote("lead", bare.version)
    server = LeadServer(seeded)
    assert not server.refresh_now() and "ships no player history" in server.failed[bare.version]
    seeded.rollback("lead")
    path = shipped.path / HISTORY_FILE
    path.write_bytes(path.read_bytes().replace(b'"league":[', b'"league":[1'))
    assert not server.refresh_now() and "sha256" in server.failed[LEAD] and server.model is None


def test_live_players_are_looked_up_in_the_versions_history_and_strangers_get_the_league_rate(
    seeded: ModelRegistry,
) -> None:
    server = LeadServer(seeded)
    assert server.refresh_now() and server.model is not None
    history = server.model.history
    assert history.seasons[-1] == 2024 and np.isfinite(history.league_rate)
    runner = max(history.runners, key=lambda r: history.runners[r][0])
    proc = MatchProcessor(lead=server)

    def context(**ids: str) -> dict[str, float | None]:
        event = PitchEvent(match_id="g", event_id="e", ts=1, type="pitch", pitch=pitch_body(**ids))
        [out] = [o for o in proc.on_event(event, Received(1, 2)) if o.kind == "pitch_context"]
        return {n: out.data["features"][n] for n in HISTORY_FEATURE_NAMES}

    stranger = context(runner_id="nobody", catcher_id="nobody", pitcher_id="nobody")
    assert stranger == dict.fromkeys(HISTORY_FEATURE_NAMES, 0.0)
    known = context(runner_id=runner, catcher_id="nobody", pitcher_id="nobody")
    assert known["runner_prior_attempts"] == history.runners[runner][0]
    assert known["runner_success_vs_league"] != 0.0


def test_a_model_without_history_knows_nobody_and_never_crashes() -> None:
    row = np.zeros(len(PITCH_FEATURE_NAMES))
    filled = LeadModel(booster=None, name="lead", version=1).with_history(row, "r1", None, None)  # type: ignore[arg-type]
    assert filled[HISTORY_COLS[0]] == 0 and np.isnan(filled[HISTORY_COLS[1:]]).all()
    assert (row == 0).all()  # the context given is not changed


def test_replayed_pitchers_go_by_the_id_their_history_is_kept_under(tmp_path: Path) -> None:
    path = _write(tmp_path / "stolen_base_opportunities_x.csv", ROWS)
    history = load_opportunities(path, PlayerReference()).history
    pitchers = {e.pitch.pitcher_id for e in savant_pitches(path, start_ms=0, gap_ms=1) if e.pitch}
    assert pitchers == set(history.pitchers) == {"Ann-Arm", "Bob-Bell"}


def test_training_on_a_file_without_pitchers_says_so_in_one_line(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", ROWS, [h for h in HEADER if h != "pitcher_name"])
    env = {
        "PITCHSIDE_REGISTRY_DIR": str(tmp_path / "r"),
        "PITCHSIDE_BASELINE_REGISTRY_DIR": str(tmp_path / "none"),
    }
    result = CliRunner().invoke(cli, ["train", "lead", "--data", str(path)], env=env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    [error] = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert "missing column(s) pitcher_name" in error


def test_the_shipped_baseline_carries_a_small_history_of_every_season() -> None:
    data = ModelRegistry(Settings().baseline_registry_dir).read_report("lead", LEAD, HISTORY_FILE)
    history = PlayerHistory.decode(data)
    assert len(data) < 300_000 and history.seasons == tuple(range(2016, 2025))
    assert len(history.runners) > 500 and len(history.pitchers) > 1000


def test_a_later_season_is_scored_with_the_shipped_record_of_the_seasons_before_it(tmp_path: Path) -> None:
    full = load_opportunities(_write(tmp_path / "all.csv", ROWS), PlayerReference())
    shipped = load_opportunities(_write(tmp_path / "old.csv", ROWS[:7]), PlayerReference()).history
    later = _write(tmp_path / "new.csv", ROWS[7:])
    alone = load_opportunities(later, PlayerReference())
    assert np.isnan(alone.x[:, HISTORY_COLS[1:]]).all()  # one season by itself: no earlier record
    scored = load_opportunities(later, PlayerReference(), shipped)
    np.testing.assert_array_equal(scored.x, full.x[full.season == 2019])
    assert scored.history == full.history
    # A record that covers the file's own seasons would count them twice: not used.
    overlapping = load_opportunities(_write(tmp_path / "again.csv", ROWS), PlayerReference(), full.history)
    np.testing.assert_array_equal(overlapping.x, full.x)


def test_evaluating_a_season_after_the_versions_uses_its_shipped_record(tmp_path: Path) -> None:
    shipped = ModelRegistry(Settings().baseline_registry_dir)
    history = PlayerHistory.decode(shipped.read_report("lead", LEAD, HISTORY_FILE))
    runner = max(history.runners, key=lambda r: history.runners[r][0])
    rows = [
        ("2025-04-01", "c9", "Ann | Arm", runner, "SB", "12.0"),
        ("2025-04-02", "c9", "Ann | Arm", "r9", "CS", "11.0"),
    ]
    env = {"PITCHSIDE_REGISTRY_DIR": str(tmp_path / "r")}  # seeded from the shipped baseline
    path = _write(tmp_path / "2025.csv", rows)
    result = CliRunner().invoke(
        cli, ["models", "evaluate", "lead", "--opportunities", str(path), "--json"], env=env
    )
    assert result.exception is None, result.output
    out = json.loads(result.output)
    assert out["attempts"] == 2 and out["player_history_seasons"] == [*range(2016, 2026)]
