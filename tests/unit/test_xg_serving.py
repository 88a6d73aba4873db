"""The production xG model in the worker: explained scores, hot swap, refusals that keep serving."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest
import xgboost as xgb

from features.buildup import BUILDUP_NAMES
from features.shot import SHOT_FEATURE_NAMES, without_freeze_frame
from models.registry import ModelRegistry
from models.xg import ModelLoadError, XgModel, describe_feature
from stream.contracts import PlayerRef, ShotBody, ShotEvent
from stream.match.model_serving import XgServer
from stream.match.processing import MatchProcessor, Received

N = len(SHOT_FEATURE_NAMES)
DISTANCE = SHOT_FEATURE_NAMES.index("distance_m")


def booster(seed: int, rounds: int = 5) -> bytes:
    """A small real model where a shorter distance means a goal more often."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 30, (400, N))
    y = (rng.uniform(0, 30, 400) > x[:, DISTANCE]).astype(float)
    model = xgb.train(
        {"objective": "binary:logistic", "max_depth": 2, "seed": seed}, xgb.DMatrix(x, label=y), rounds
    )
    return bytes(model.save_raw("ubj"))


def register(registry: ModelRegistry, seed: int, names: list[str] | None = None) -> int:
    version = registry.register(
        "xg",
        booster(seed),
        feature_names=names or list(SHOT_FEATURE_NAMES),
        params={"seed": seed},
        metrics={},
        lineage={},
        extra={"penalty_rate": 0.8},
    )
    registry.approve("xg", version.version)
    return version.version


def shot(n: int, **changes: object) -> ShotEvent:
    body = ShotBody(body_part="Head", shot_type=str(changes.pop("shot_type", "Open Play")))
    return ShotEvent(
        match_id="m1",
        event_id=f"s{n}",
        ts=1_700_000_000_000 + n,
        type="shot",
        player=PlayerRef(id="p9"),
        location=[40.0, 2.0],
        attack=1,
        shot=body,
        **changes,  # type: ignore[arg-type]
    )


def test_a_score_is_explained_and_its_contributions_add_up_to_the_probability(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    register(registry, 1)
    model = XgServer(registry).load(1)
    features = np.full(N, 0.0)
    features[DISTANCE] = 5.0
    scored = model.score(features)
    margin = scored.bias + sum(scored.contributions.values())
    assert scored.probability == pytest.approx(1 / (1 + np.exp(-margin)))
    raw = xgb.Booster()
    raw.load_model(bytearray(registry.load_artifact("xg", 1)))
    assert scored.probability == pytest.approx(
        float(raw.predict(xgb.DMatrix(features.reshape(1, -1)))[0]), rel=1e-5
    )
    assert len(scored.top) == 3 and scored.top[0].startswith("distance 5 m: ")
    assert model.score(features, penalty=True).probability == 0.8


def test_features_read_as_words() -> None:
    assert describe_feature("distance_m", 24.2) == "distance 24 m"
    assert describe_feature("body_part=head", 1.0) == "head"
    assert describe_feature("under_pressure", 0.0) == "not under pressure"
    assert describe_feature("keeper_to_line_m", float("nan")) == "keeper off the shot line unknown"


def test_the_worker_follows_the_production_alias_and_each_shot_names_its_version(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    v1, v2 = register(registry, 1), register(registry, 2)
    registry.promote("xg", v1)
    server = XgServer(registry)
    assert server.refresh_now() and server.model is not None and server.model.version == v1
    proc = MatchProcessor(xg=server)
    at = Received(1, 2)
    first = [o for o in proc.on_event(shot(1), at) if o.kind == "xg"]
    registry.promote("xg", v2)
    assert server.refresh_now()
    second = [o for o in proc.on_event(shot(2), at) if o.kind == "xg"]
    assert [(o.data["event_id"], o.model.version if o.model else None) for o in first + second] == [
        ("s1", v1),
        ("s2", v2),
    ]
    assert [o.seq for o in first + second] == [1, 2]
    assert first[0].data["xg"] != second[0].data["xg"]  # two different models
    penalty = [o for o in proc.on_event(shot(3, shot_type="Penalty"), at) if o.kind == "xg"]
    assert penalty[0].data["method"] == "penalty_rate" and penalty[0].data["xg"] == 0.8
    registry.rollback("xg")
    assert server.refresh_now() and server.model is not None and server.model.version == v1


def test_a_corrupt_or_mismatched_version_is_refused_and_the_old_one_keeps_serving(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    v1 = register(registry, 1)
    registry.promote("xg", v1)
    server = XgServer(registry)
    server.refresh_now()
    corrupt = register(registry, 2)
    registry.get("xg", corrupt).artifact_path.write_bytes(b"not a model")
    registry.promote("xg", corrupt)
    assert not server.refresh_now()
    assert server.model is not None and server.model.version == v1
    assert "sha256" in server.failed[corrupt] or "checksum" in server.failed[corrupt]
    other_schema = register(registry, 3, names=[f"f{i}" for i in range(N)])
    registry.promote("xg", other_schema)
    assert not server.refresh_now()
    assert (
        server.model.version == v1
        and "expects features this code does not compute" in server.failed[other_schema]
    )
    assert server.counts["load_failed"] == 2


def test_no_production_model_means_context_without_xg(tmp_path: Path) -> None:
    server = XgServer(ModelRegistry(tmp_path))
    assert not server.refresh_now() and server.model is None
    proc = MatchProcessor(xg=server)
    assert [o.kind for o in proc.on_event(shot(1), Received(1, 2))] == ["match", "event", "shot_context"]


def test_an_artifact_that_is_not_a_model_is_refused_by_name() -> None:
    with pytest.raises(ModelLoadError, match="xg v9: not a readable XGBoost model"):
        XgModel.from_artifact(b"junk", SHOT_FEATURE_NAMES, SHOT_FEATURE_NAMES, "xg", 9, 0.8)


def test_the_challenger_scores_every_shot_beside_production_until_withdrawn(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    v1, v2 = register(registry, 1), register(registry, 2)
    registry.promote("xg", v1)
    registry.challenge("xg", v2)
    production, challenger = XgServer(registry), XgServer(registry, alias="challenger")
    assert production.refresh_now() and challenger.refresh_now()
    proc = MatchProcessor(xg=production, challengers=(challenger, None))
    goal = msgspec.structs.replace(shot(1), shot=ShotBody(outcome="Goal"))
    outputs = {o.kind: o for o in proc.on_event(goal, Received(1, 2))}
    scored, compared = outputs["xg"], outputs["xg_challenger"]
    assert scored.model is not None and scored.model.version == v1  # graphics' xg stays production's
    assert compared.model is not None and compared.model.version == v2
    assert compared.data["production"] == {"version": v1, "xg": scored.data["xg"]}
    named = outputs["shot_context"].data["features"]
    features = np.array([np.nan if named[n] is None else named[n] for n in SHOT_FEATURE_NAMES])
    assert challenger.model is not None
    expected = challenger.model.score(features).probability
    assert compared.data["challenger"]["xg"] == pytest.approx(expected, abs=1e-3)
    assert compared.data["challenger"]["version"] == v2 and compared.data["goal"] is True
    assert compared.data["challenger"]["xg"] != compared.data["production"]["xg"]  # two models
    registry.withdraw_challenger("xg")
    assert not challenger.refresh_now() and challenger.model is None
    assert "xg_challenger" not in {o.kind for o in proc.on_event(shot(2), Received(1, 2))}


def test_a_challenger_moved_to_a_version_that_cannot_load_stops_the_old_one(tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path)
    v1, v2 = register(registry, 1), register(registry, 2)
    broken = registry.register(
        "xg", b"not a model", feature_names=list(SHOT_FEATURE_NAMES), params={}, metrics={}, lineage={}
    ).version
    registry.promote("xg", v1)
    registry.challenge("xg", v2)
    challenger = XgServer(registry, alias="challenger")
    assert challenger.refresh_now() and challenger.model is not None
    registry.challenge("xg", broken)
    assert not challenger.refresh_now() and broken in challenger.failed  # refused ...
    challenger.refresh_now()
    assert challenger.model is None  # ... and v2, no longer named, is not scored any more


def _two_stage(tmp_path: Path) -> tuple[ModelRegistry, int]:
    """A version trained as the pipeline does: event-only trees, then trees that may use the players."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 30, (600, N))
    nearest = SHOT_FEATURE_NAMES.index("nearest_defender_m")
    y = (rng.uniform(0, 30, 600) > x[:, DISTANCE] + 10 - x[:, nearest]).astype(float)
    params = {"objective": "binary:logistic", "max_depth": 2, "seed": 3}
    event = xgb.train(params, xgb.DMatrix(without_freeze_frame(x), label=y), 4)
    full = xgb.train(params, xgb.DMatrix(x, label=y), 6, xgb_model=event)
    registry = ModelRegistry(tmp_path)
    version = registry.register(
        "xg",
        bytes(full.save_raw("ubj")),
        feature_names=list(SHOT_FEATURE_NAMES),
        params={},
        metrics={},
        lineage={},
        extra={"penalty_rate": 0.8, "event_rounds": 4},
    )
    registry.approve("xg", version.version)
    registry.promote("xg", version.version)
    return registry, version.version


def test_a_two_stage_version_scores_by_what_is_known_and_explains_either_path(tmp_path: Path) -> None:
    registry, version = _two_stage(tmp_path)
    model = XgServer(registry).load(version)
    with_players = np.full(N, 5.0)
    event_only = without_freeze_frame(with_players)
    raw = xgb.Booster()
    raw.load_model(bytearray(registry.load_artifact("xg", version)))
    for features, path, rounds in ((with_players, "full", (0, 0)), (event_only, "event_only", (0, 4))):
        scored = model.score(features)
        assert scored.path == path
        expected = float(raw.predict(xgb.DMatrix(features.reshape(1, -1)), iteration_range=rounds)[0])
        assert scored.probability == pytest.approx(expected, rel=1e-5)
        margin = scored.bias + sum(scored.contributions.values())
        assert scored.probability == pytest.approx(1 / (1 + np.exp(-margin)))
    assert model.score(with_players).probability != pytest.approx(model.score(event_only).probability)
    assert model.score(with_players, penalty=True).path == "penalty_rate"
    many = np.vstack([with_players, event_only])
    assert model.predict(many) == pytest.approx([model.score(r).probability for r in many], rel=1e-5)


def test_every_live_xg_output_names_its_path(tmp_path: Path) -> None:
    registry, _ = _two_stage(tmp_path)
    server = XgServer(registry)
    assert server.refresh_now()
    processor = MatchProcessor(xg=server)
    outputs = processor.on_event(shot(1), Received(produced_ts=1, ingest_ts=2))
    xg = next(o for o in outputs if o.kind == "xg")
    assert xg.data["path"] == "event_only"  # no tracking, no freeze frame
    assert xg.data["explanation"] and xg.data["contributions"]


def test_a_version_from_before_features_were_added_still_serves_on_its_own_columns(tmp_path: Path) -> None:
    old_names = [n for n in SHOT_FEATURE_NAMES if n not in BUILDUP_NAMES]
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 30, (300, len(old_names)))
    y = (rng.uniform(0, 30, 300) > x[:, DISTANCE]).astype(float)
    old = xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(x, label=y), 5)
    registry = ModelRegistry(tmp_path)
    registry.register(
        "xg", bytes(old.save_raw("ubj")), feature_names=old_names, params={}, metrics={}, lineage={}
    )
    model = XgServer(registry).load(1)
    features = np.full(N, 7.0)
    scored = model.score(features)
    assert scored.path == "single" and set(scored.contributions) == set(old_names)
    expected = float(old.predict(xgb.DMatrix(np.full((1, len(old_names)), 7.0)))[0])
    assert scored.probability == pytest.approx(expected, rel=1e-5)
