"""The local model registry: round trips, numbering, atomic writes, integrity and the approval rules."""

from __future__ import annotations

import hashlib
import json
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np
import pytest
import xgboost as xgb

import models._registry_store as store_module
from models.registry import (
    APPROVED,
    PENDING,
    REJECTED,
    ArtifactCorrupt,
    InvalidModelName,
    InvalidRegistration,
    ModelRegistry,
    ModelVersion,
    RefusedTransition,
    RegistryError,
    UnknownModelVersion,
)

FEATURES = ["distance_m", "angle_rad", "defenders_in_cone"]


@pytest.fixture(scope="module")
def booster() -> xgb.Booster:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(50, len(FEATURES)))
    y = (x[:, 0] + rng.normal(scale=0.5, size=50) > 0).astype(float)
    params = {"objective": "binary:logistic", "max_depth": 2, "seed": 0}
    return xgb.train(params, xgb.DMatrix(x, label=y, feature_names=FEATURES), num_boost_round=4)


@pytest.fixture
def reg(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "registry")


def register(
    reg: ModelRegistry, name: str = "xg", artifact: bytes = b"model-bytes", **kw: Any
) -> ModelVersion:
    fields: dict[str, Any] = {
        "feature_names": FEATURES,
        "params": {"max_depth": 2},
        "metrics": {"log_loss": 0.31, "brier": 0.09},
        "lineage": {"files": {"shots.parquet": "ab" * 32}, "split": "by match", "seed": 7},
    }
    return reg.register(name, artifact, **{**fields, **kw})


def leftovers(reg: ModelRegistry, name: str = "xg") -> list[str]:
    """Entries of the name directory that are neither a version nor aliases.json."""
    where = reg.root / name
    if not where.is_dir():
        return []
    return sorted(p.name for p in where.iterdir() if not p.name.startswith("v") and p.name != "aliases.json")


# --- round trips and numbering -------------------------------------------------------------------


def test_register_get_and_load_round_trip_a_real_booster(reg: ModelRegistry, booster: xgb.Booster) -> None:
    raw = bytes(booster.save_raw("ubj"))
    made = register(reg, artifact=raw, report_files={"report.md": b"# xg v1\n"}, extra={"note": "first"})
    got = reg.get("xg", 1)
    assert got == made
    assert got.status == PENDING and got.status_history[0].note == "registered"
    assert got.feature_names == tuple(FEATURES)
    assert got.artifact_file == "model.ubj" and got.artifact_sha256 == hashlib.sha256(raw).hexdigest()
    assert got.created.utcoffset() is not None and got.created.utcoffset().total_seconds() == 0
    assert got.lineage["seed"] == 7 and got.extra == {"note": "first"}
    assert got.report_path().read_bytes() == b"# xg v1\n"

    loaded = reg.load_artifact("xg", 1)
    assert loaded == raw
    clone = xgb.Booster()
    clone.load_model(bytearray(loaded))
    rows = xgb.DMatrix(np.array([[10.0, 0.3, 2.0], [-3.0, 1.1, 0.0]]), feature_names=FEATURES)
    np.testing.assert_array_equal(clone.predict(rows), booster.predict(rows))


def test_meta_json_holds_the_documented_fields(reg: ModelRegistry) -> None:
    register(reg)
    meta = json.loads((reg.root / "xg" / "v1" / "meta.json").read_text())
    assert meta["name"] == "xg" and meta["version"] == 1
    assert meta["artifact_format"] == "ubj" and meta["status"] == "PendingManualApproval"
    assert meta["feature_names"] == FEATURES and meta["metrics"]["brier"] == 0.09
    assert "path" not in meta  # a copied registry must not carry the old location
    assert set(meta) >= {"created", "artifact_sha256", "params", "lineage", "status_history", "report_files"}


def test_json_artifacts_are_accepted(reg: ModelRegistry, booster: xgb.Booster) -> None:
    raw = bytes(booster.save_raw("json"))
    entry = register(reg, artifact=raw, artifact_format="json")
    assert entry.artifact_path.name == "model.json"
    assert json.loads(reg.load_artifact("xg", 1))["learner"]


def test_versions_are_numbered_per_name(reg: ModelRegistry) -> None:
    assert [register(reg).version for _ in range(3)] == [1, 2, 3]
    assert register(reg, "lead").version == 1
    assert [v.version for v in reg.versions("xg")] == [1, 2, 3]
    assert reg.names() == ["lead", "xg"]
    assert reg.versions("never") == []


def test_concurrent_registrations_get_distinct_versions(reg: ModelRegistry) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda i: register(reg, artifact=f"m{i}".encode()).version, range(8)))
    assert sorted(made) == list(range(1, 9))
    assert {reg.load_artifact("xg", v) for v in made} == {f"m{i}".encode() for i in range(8)}


def test_unknown_version_or_name_says_what_exists(reg: ModelRegistry) -> None:
    register(reg)
    register(reg)
    with pytest.raises(UnknownModelVersion, match=r"no version 7; versions: 1, 2"):
        reg.get("xg", 7)
    with pytest.raises(UnknownModelVersion, match=r"no model named 'xgg'.*registered: xg"):
        reg.get("xgg", 1)


# --- atomicity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fail_at", ["second file", "rename"])
def test_a_failed_register_leaves_no_partial_version(
    reg: ModelRegistry, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    register(reg)
    if fail_at == "second file":
        real_write = store_module.write_file
        calls = []

        def write_then_fail(path: Path, data: bytes) -> None:
            calls.append(path)
            if len(calls) == 2:
                raise OSError(28, "No space left on device")
            real_write(path, data)

        monkeypatch.setattr(store_module, "write_file", write_then_fail)
    else:

        def no_rename(src: Any, dst: Any) -> None:
            raise OSError(5, "I/O error")

        monkeypatch.setattr(store_module.os, "rename", no_rename)

    with pytest.raises(OSError):
        register(reg, report_files={"report.md": b"x"})
    monkeypatch.undo()
    assert [v.version for v in reg.versions("xg")] == [1]
    assert not (reg.root / "xg" / "v2").exists()
    assert leftovers(reg) == []
    assert register(reg).version == 2  # the number was not burnt


def test_a_staging_dir_left_by_a_killed_writer_is_not_a_version(reg: ModelRegistry) -> None:
    register(reg)
    (reg.root / "xg" / ".incoming-dead").mkdir()
    (reg.root / "xg" / ".incoming-dead" / "model.ubj").write_bytes(b"half")
    assert [v.version for v in reg.versions("xg")] == [1]
    assert register(reg).version == 2


def test_alias_writes_are_atomic(reg: ModelRegistry, monkeypatch: pytest.MonkeyPatch) -> None:
    register(reg)
    register(reg)
    for v in (1, 2):
        reg.approve("xg", v)
    reg.promote("xg", 1)
    before = (reg.root / "xg" / "aliases.json").read_bytes()

    def no_replace(src: Any, dst: Any) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(store_module.os, "replace", no_replace)
    with pytest.raises(OSError):
        reg.promote("xg", 2)
    monkeypatch.undo()
    assert (reg.root / "xg" / "aliases.json").read_bytes() == before
    assert reg.alias_version("xg") == 1
    assert leftovers(reg) == []


# --- integrity -----------------------------------------------------------------------------------


def test_a_tampered_artifact_is_refused(reg: ModelRegistry) -> None:
    entry = register(reg, artifact=b"the real model")
    entry.artifact_path.write_bytes(b"the real modeL")
    with pytest.raises(ArtifactCorrupt, match=r"xg v1: .*sha256"):
        reg.load_artifact("xg", 1)


def test_a_missing_artifact_is_refused(reg: ModelRegistry) -> None:
    register(reg).artifact_path.unlink()
    with pytest.raises(ArtifactCorrupt, match=r"cannot read .*model\.ubj"):
        reg.load_artifact("xg", 1)


def test_a_meta_json_that_names_another_version_is_refused(reg: ModelRegistry) -> None:
    register(reg)
    meta_path = reg.root / "xg" / "v1" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "version": 2}))
    with pytest.raises(RegistryError, match=r"says xg v2"):
        reg.get("xg", 1)


@pytest.mark.parametrize(
    "change", [{"artifact_file": "../../secret"}, {"report_files": ["../x"]}, {"status": "Shipped"}]
)
def test_a_meta_json_with_a_bad_field_is_refused(reg: ModelRegistry, change: dict[str, Any]) -> None:
    register(reg)
    meta_path = reg.root / "xg" / "v1" / "meta.json"
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), **change}))
    with pytest.raises(RegistryError, match=r"meta\.json"):
        reg.get("xg", 1)


def test_an_unreadable_meta_json_is_a_registry_error(reg: ModelRegistry) -> None:
    register(reg)
    (reg.root / "xg" / "v1" / "meta.json").write_text("{not json")
    with pytest.raises(RegistryError, match=r"v1/meta\.json: unreadable"):
        reg.versions("xg")


# --- approval rules ------------------------------------------------------------------------------


def test_approve_and_reject_record_who_and_why(reg: ModelRegistry) -> None:
    register(reg)
    register(reg)
    approved = reg.approve("xg", 1, "beats baseline on log loss", by="ana")
    rejected = reg.reject("xg", 2, by="ben")
    assert reg.get("xg", 1) == approved and approved.status == APPROVED
    assert [(c.status, c.by, c.note) for c in approved.status_history[1:]] == [
        (APPROVED, "ana", "beats baseline on log loss")
    ]
    assert reg.get("xg", 2).status == REJECTED and rejected.status_history[-1].by == "ben"


def test_the_same_status_twice_is_refused(reg: ModelRegistry) -> None:
    register(reg)
    reg.approve("xg", 1)
    with pytest.raises(RefusedTransition, match="already Approved"):
        reg.approve("xg", 1)


def test_a_rejected_version_can_be_approved_after_all_with_a_reason(reg: ModelRegistry) -> None:
    register(reg)
    reg.reject("xg", 1, by="ben")
    for silent in (None, "  "):
        with pytest.raises(RefusedTransition, match="was rejected: approving it needs a note"):
            reg.approve("xg", 1, silent)
    assert reg.get("xg", 1).status == REJECTED
    entry = reg.approve("xg", 1, "false alarm: the holdout file was truncated", by="ana")
    assert [(c.status, c.by) for c in entry.status_history] == [
        (PENDING, entry.status_history[0].by),
        (REJECTED, "ben"),
        (APPROVED, "ana"),
    ]


def test_promotions_and_rollbacks_leave_a_trail_of_who_when_and_from_which(reg: ModelRegistry) -> None:
    for _ in range(2):
        register(reg)
        reg.approve("xg", reg.versions("xg")[-1].version)
    reg.promote("xg", 1, by="ana")
    reg.promote("xg", 2, "better calibrated", by="ana")
    reg.rollback("xg", "spike in alerts", by="sre")
    trail = ModelRegistry(reg.root).alias_changes("xg")  # read back from disk
    assert [(c.action, c.version, c.previous, c.by, c.note) for c in trail] == [
        ("promote", 1, None, "ana", None),
        ("promote", 2, 1, "ana", "better calibrated"),
        ("rollback", 1, 2, "sre", "spike in alerts"),
    ]
    assert trail[0].at <= trail[1].at <= trail[2].at


def test_an_alias_file_from_before_the_trail_still_reads(reg: ModelRegistry) -> None:
    register(reg)
    reg.approve("xg", 1)
    (reg.root / "xg" / "aliases.json").write_text('{"production": 1, "history": []}')
    assert reg.alias_version("xg") == 1 and reg.alias_changes("xg") == ()


@pytest.mark.parametrize("status", [PENDING, REJECTED])
def test_only_an_approved_version_can_be_promoted(reg: ModelRegistry, status: str) -> None:
    register(reg)
    if status == REJECTED:
        reg.reject("xg", 1)
    with pytest.raises(RefusedTransition, match=f"is {status}; only an Approved version"):
        reg.promote("xg", 1)
    assert reg.alias_version("xg") is None


def test_promote_pushes_the_old_production_and_rollback_restores_it(reg: ModelRegistry) -> None:
    for _ in range(3):
        register(reg)
    for v in (1, 2, 3):
        reg.approve("xg", v)
    assert reg.production("xg") is None
    reg.promote("xg", 1)
    reg.promote("xg", 3)
    assert reg.alias_version("xg") == 3 and reg.production_history("xg") == (1,)
    with pytest.raises(RefusedTransition, match="already production"):
        reg.promote("xg", 3)

    back = reg.rollback("xg")
    assert back.version == 1 and reg.production("xg") == reg.get("xg", 1)
    assert reg.production_history("xg") == ()
    with pytest.raises(RefusedTransition, match=r"no earlier production version .*production: v1"):
        reg.rollback("xg")


def test_rejecting_the_production_version_is_refused(reg: ModelRegistry) -> None:
    register(reg)
    reg.approve("xg", 1)
    reg.promote("xg", 1)
    with pytest.raises(RefusedTransition, match="is production: promote another version or roll back"):
        reg.reject("xg", 1)
    assert reg.get("xg", 1).status == APPROVED


def test_rollback_to_a_since_rejected_version_is_refused(reg: ModelRegistry) -> None:
    register(reg)
    register(reg)
    reg.approve("xg", 1)
    reg.approve("xg", 2)
    reg.promote("xg", 1)
    reg.promote("xg", 2)
    reg.reject("xg", 1, "leaks the label")
    with pytest.raises(RefusedTransition, match="back to v1: it is now Rejected"):
        reg.rollback("xg")
    assert reg.alias_version("xg") == 2


def test_rollback_of_an_unknown_name_says_so(reg: ModelRegistry) -> None:
    with pytest.raises(UnknownModelVersion, match="no model named 'xg'"):
        reg.rollback("xg")


def test_the_alias_file_survives_a_new_registry_object(reg: ModelRegistry) -> None:
    register(reg)
    register(reg)
    reg.approve("xg", 1)
    reg.approve("xg", 2)
    reg.promote("xg", 1)
    reg.promote("xg", 2)
    again = ModelRegistry(reg.root)
    assert again.alias_version("xg") == 2 and again.production_history("xg") == (1,)
    stored = json.loads((reg.root / "xg" / "aliases.json").read_text())
    assert {k: stored[k] for k in ("production", "history")} == {"production": 2, "history": [1]}
    assert [c["action"] for c in stored["changes"]] == ["promote", "promote"]


def test_alias_version_is_none_before_anything_and_checks_the_alias(reg: ModelRegistry) -> None:
    assert reg.alias_version("xg") is None
    with pytest.raises(RegistryError, match="unknown alias 'staging'"):
        reg.alias_version("xg", "staging")


# --- seeding -------------------------------------------------------------------------------------


def baseline(root: Path) -> ModelRegistry:
    base = ModelRegistry(root)
    for i in range(3):
        register(base, artifact=f"baseline {i}".encode(), report_files={"report.md": b"# baseline"})
    base.approve("xg", 1)
    base.approve("xg", 2)
    base.reject("xg", 3)
    base.promote("xg", 1)
    base.promote("xg", 2)
    return base


def test_seed_from_copies_versions_statuses_and_production(reg: ModelRegistry, tmp_path: Path) -> None:
    base = baseline(tmp_path / "baseline")
    assert reg.seed_from(base.root) == ["xg"]
    assert [(v.version, v.status) for v in reg.versions("xg")] == [
        (1, APPROVED),
        (2, APPROVED),
        (3, REJECTED),
    ]
    assert reg.alias_version("xg") == 2 and reg.rollback("xg").version == 1
    assert reg.load_artifact("xg", 3) == b"baseline 2"
    assert reg.get("xg", 1).report_path().read_bytes() == b"# baseline"
    assert reg.get("xg", 1).path == reg.root / "xg" / "v1"
    assert base.alias_version("xg") == 2  # the source is left alone
    assert register(reg).version == 4


def test_seed_from_leaves_a_name_this_registry_already_has(reg: ModelRegistry, tmp_path: Path) -> None:
    base = baseline(tmp_path / "baseline")
    register(reg, artifact=b"mine")
    register(base, "lead")
    assert reg.seed_from(base.root) == ["lead"]
    assert [v.version for v in reg.versions("xg")] == [1] and reg.load_artifact("xg", 1) == b"mine"
    assert reg.seed_from(base.root) == []  # once seeded, again is a no-op


def test_seed_from_adds_report_files_a_shipped_version_gained_since(
    reg: ModelRegistry, tmp_path: Path
) -> None:
    base = baseline(tmp_path / "baseline")
    reg.seed_from(base.root)
    # The shipped v1 gains a drift baseline later (an upgrade); v2 is not the same model any more.
    for version in (1, 2):
        entry = base.get("xg", version)
        (entry.path / "drift_baseline.json").write_bytes(b"{}")
        added = replace(entry, report_files=(*entry.report_files, "drift_baseline.json"))
        if version == 2:
            added = replace(added, artifact_sha256="0" * 64)
        (entry.path / "meta.json").write_bytes(store_module.encode_meta(added.meta()))
    assert reg.seed_from(base.root) == []  # nothing seeded anew ...
    assert reg.get("xg", 1).report_path("drift_baseline.json").read_bytes() == b"{}"  # ... but added
    assert "drift_baseline.json" not in reg.get("xg", 2).report_files  # another artifact: left alone
    assert reg.load_artifact("xg", 1) == b"baseline 0" and reg.get("xg", 1).status == APPROVED
    reg.seed_from(base.root)  # again: a no-op
    assert reg.get("xg", 1).report_files == ("drift_baseline.json", "report.md")


def test_seed_from_adds_extra_entries_a_shipped_version_gained_and_keeps_local_ones(
    reg: ModelRegistry, tmp_path: Path
) -> None:
    base = baseline(tmp_path / "baseline")
    reg.seed_from(base.root)
    local = reg.get("xg", 1)
    mine = replace(local, extra={"gate": "local"})
    (local.path / "meta.json").write_bytes(store_module.encode_meta(mine.meta()))
    for version in (1, 2):
        entry = base.get("xg", version)
        gained = replace(entry, extra={"gate": "shipped", "lead_support": {"low_ft": 8.7}})
        if version == 2:
            gained = replace(gained, artifact_sha256="0" * 64)
        (entry.path / "meta.json").write_bytes(store_module.encode_meta(gained.meta()))
    assert reg.seed_from(base.root) == []
    assert reg.get("xg", 1).extra == {"gate": "local", "lead_support": {"low_ft": 8.7}}
    assert not (reg.get("xg", 2).extra or {}).get("lead_support")  # another artifact: left alone


def test_seed_from_a_missing_baseline_seeds_nothing(reg: ModelRegistry, tmp_path: Path) -> None:
    assert reg.seed_from(tmp_path / "no-baseline-yet") == []
    assert reg.names() == []


def test_seed_from_refuses_a_corrupt_baseline(reg: ModelRegistry, tmp_path: Path) -> None:
    base = baseline(tmp_path / "baseline")
    base.get("xg", 2).artifact_path.write_bytes(b"tampered")
    with pytest.raises(ArtifactCorrupt, match="xg v2"):
        reg.seed_from(base.root)
    assert reg.names() == []


def test_seed_from_replaces_leftovers_of_an_interrupted_write(reg: ModelRegistry, tmp_path: Path) -> None:
    base = baseline(tmp_path / "baseline")
    (reg.root / "xg" / ".incoming-dead").mkdir(parents=True)
    assert reg.seed_from(base.root) == ["xg"]
    assert leftovers(reg) == [] and len(reg.versions("xg")) == 3


# --- input checks --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "Xg", "1xg", "_xg", "a" * 41, "xg/../x", "xg\n", "x g", ".locks"])
def test_bad_names_are_refused(reg: ModelRegistry, name: str) -> None:
    with pytest.raises(InvalidModelName, match="not allowed"):
        register(reg, name)
    for read in (lambda: reg.get(name, 1), lambda: reg.versions(name), lambda: reg.alias_version(name)):
        with pytest.raises(InvalidModelName):
            read()
    assert not reg.root.exists() or reg.names() == []


@pytest.mark.parametrize("name", ["x", "xg_2-b", "a" * 40])
def test_good_names_are_accepted(reg: ModelRegistry, name: str) -> None:
    assert register(reg, name).name == name and reg.names() == [name]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metrics": {"log_loss": math.nan}}, "metrics is not plain JSON"),
        ({"metrics": {"brier": np.float32(0.1)}}, "metrics is not plain JSON"),
        ({"lineage": {"when": object()}}, "lineage is not plain JSON"),
        ({"params": [1, 2]}, "params must be a mapping"),
        ({"feature_names": ["a", "b", "a"]}, "feature_names repeat: a"),
        ({"feature_names": "abc"}, "not one string"),
        ({"feature_names": []}, "non-empty strings"),
        ({"report_files": {"../escape.md": b"x"}}, "report file name"),
        ({"report_files": {"meta.json": b"{}"}}, "report file name"),
        ({"artifact_format": "pickle"}, "artifact_format must be"),
        ({"artifact": b""}, "artifact is empty"),
    ],
)
def test_bad_registrations_are_refused_and_write_nothing(
    reg: ModelRegistry, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRegistration, match=message):
        register(reg, **change)
    assert reg.names() == []


def test_report_path_names_the_files_there_are(reg: ModelRegistry) -> None:
    entry = register(reg, report_files={"report.md": b"#", "calibration.png": b"\x89PNG"})
    assert entry.report_path("calibration.png").read_bytes() == b"\x89PNG"
    with pytest.raises(
        RegistryError, match=r"no report file 'roc\.png'; it has: calibration\.png, report\.md"
    ):
        entry.report_path("roc.png")


def test_versions_and_aliases_are_readable_by_a_worker_running_as_another_user(reg: ModelRegistry) -> None:
    entry = register(reg)
    reg.approve("xg", 1)
    reg.promote("xg", 1)
    for path in (entry.path, entry.artifact_path, entry.path / "meta.json", reg.root / "xg" / "aliases.json"):
        assert os.stat(path).st_mode & 0o004, path


# --- report hashes and adopted records -----------------------------------------------------------


def test_report_files_are_hashed_at_registration_and_a_changed_one_is_caught(reg: ModelRegistry) -> None:
    made = register(reg, report_files={"report.md": b"# v1\n", "roc.png": b"png"})
    assert made.report_sha256 == {
        "report.md": hashlib.sha256(b"# v1\n").hexdigest(),
        "roc.png": hashlib.sha256(b"png").hexdigest(),
    }
    reg.check_reports("xg", 1)  # untouched: passes
    made.report_path("roc.png").write_bytes(b"edited")
    with pytest.raises(ArtifactCorrupt, match=r"roc\.png has sha256 .* the report changed"):
        reg.check_reports("xg", 1)


def test_seed_from_refuses_a_baseline_whose_report_was_changed(reg: ModelRegistry, tmp_path: Path) -> None:
    base = baseline(tmp_path / "baseline")
    base.get("xg", 1).report_path().write_bytes(b"# doctored")
    with pytest.raises(ArtifactCorrupt, match="xg v1"):
        reg.seed_from(base.root)
    assert reg.names() == []


def test_a_retrain_of_the_same_artifact_gives_its_record_and_keeps_status(
    reg: ModelRegistry, tmp_path: Path
) -> None:
    registered = register(reg, report_files={"report.md": b"# old", "old.png": b"old"})
    reg.approve("xg", 1)
    elsewhere = ModelRegistry(tmp_path / "retrained")
    fresh = register(elsewhere, report_files={"report.md": b"# new", "roc.png": b"roc"}, lineage={"run": 1})
    adopted = reg.adopt_record("xg", 1, fresh)
    again = reg.get("xg", 1)
    assert again == adopted and again.status == APPROVED and len(again.status_history) == 2
    assert again.created == registered.created  # when v1 was registered, as its history says
    assert again.lineage == {"run": 1} and again.report_files == ("report.md", "roc.png")
    assert again.report_path().read_bytes() == b"# new" and not (again.path / "old.png").exists()
    reg.check_reports("xg", 1)
    other = register(elsewhere, artifact=b"another model")
    with pytest.raises(RegistryError, match="the retrained artifact differs"):
        reg.adopt_record("xg", 1, other)


# --- the challenger alias -------------------------------------------------------------------------


def test_a_challenger_is_kept_beside_production_in_the_audit_trail(reg: ModelRegistry) -> None:
    for _ in range(3):
        register(reg)
    reg.approve("xg", 1)
    reg.promote("xg", 1)
    reg.challenge("xg", 2, "new features", by="ana")  # pending is enough to be compared live
    assert (reg.alias_version("xg"), reg.alias_version("xg", "challenger")) == (1, 2)
    reg.challenge("xg", 3, by="ana")
    assert reg.withdraw_challenger("xg", "not better", by="ana") == 3
    assert reg.alias_version("xg", "challenger") is None
    trail = [(e.what, e.note) for e in reg.audit_trail("xg") if "challenger" in e.what]
    assert trail == [
        ("challenger v2 (was none)", "new features"),
        ("challenger v3 (was v2)", None),
        ("withdraw challenger v3", "not better"),
    ]


def test_a_challenger_that_is_promoted_stops_being_the_challenger(reg: ModelRegistry) -> None:
    for _ in range(2):
        register(reg)
        reg.approve("xg", reg.versions("xg")[-1].version)
    reg.promote("xg", 1)
    reg.challenge("xg", 2)
    reg.promote("xg", 2)
    assert (reg.alias_version("xg"), reg.alias_version("xg", "challenger")) == (2, None)
    reg.challenge("xg", 1)
    reg.rollback("xg")  # v1 is production again: it cannot challenge itself
    assert (reg.alias_version("xg"), reg.alias_version("xg", "challenger")) == (1, None)
    withdrawals = [(c.version, c.note) for c in reg.challenger_changes("xg") if c.action == "withdraw"]
    assert withdrawals == [(2, "promoted"), (1, "rolled back to")]


# aliases.json as the registry wrote and read it before challengers.
class _OldChange(msgspec.Struct):
    action: Literal["promote", "rollback"]
    version: int
    previous: int | None
    at: str
    by: str | None = None
    note: str | None = None


class _OldAliases(msgspec.Struct):
    production: int | None = None
    history: tuple[int, ...] = ()
    changes: tuple[_OldChange, ...] = ()


def test_a_reader_from_before_challengers_still_reads_the_aliases(reg: ModelRegistry) -> None:
    """A worker mid-upgrade, or a release rolled back, must still follow production."""

    for _ in range(3):
        register(reg)
        reg.approve("xg", reg.versions("xg")[-1].version)
    reg.promote("xg", 1)
    reg.challenge("xg", 2)
    reg.promote("xg", 2)  # withdraws the challenger
    reg.challenge("xg", 3)
    old = msgspec.json.decode((reg.root / "xg" / "aliases.json").read_bytes(), type=_OldAliases)
    assert old.production == 2 and [c.action for c in old.changes] == ["promote", "promote"]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("production", "is production"),
        ("rejected", "is Rejected"),
        ("twice", "already the challenger"),
        ("none", "no challenger to withdraw"),
        ("reject-challenger", "withdraw it before rejecting"),
    ],
)
def test_challenges_that_make_no_sense_are_refused(reg: ModelRegistry, setup: str, message: str) -> None:
    for _ in range(2):
        register(reg)
    reg.approve("xg", 1)
    reg.promote("xg", 1)
    with pytest.raises(RefusedTransition, match=message):
        if setup == "production":
            reg.challenge("xg", 1)
        elif setup == "rejected":
            reg.reject("xg", 2)
            reg.challenge("xg", 2)
        elif setup == "twice":
            reg.challenge("xg", 2)
            reg.challenge("xg", 2)
        elif setup == "none":
            reg.withdraw_challenger("xg")
        else:
            reg.challenge("xg", 2)
            reg.reject("xg", 2)
