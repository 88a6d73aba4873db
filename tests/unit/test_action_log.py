"""The worker's memory of a match's last actions: what led to the next shot, across a restart, and a
feed's own account of it taking precedence."""

from __future__ import annotations

import msgspec

from features.buildup import BUILDUP_NAMES
from stream.contracts import GenericEvent, PassBody, PassEvent, PrecedingAction, ShotBody, ShotEvent
from stream.match.processing import MatchProcessor, Received
from stream.match.state import StateStore

AT = Received(produced_ts=1, ingest_ts=2)
T0 = 1_700_000_000_000


def _pass(n: int, team: str, **body: object) -> PassEvent:
    return PassEvent(
        match_id="m1",
        event_id=f"p{n}",
        ts=T0 + 1000 * n,
        type="pass",
        team=team,
        location=[10.0, 0.0],
        attack=1,
        pass_=PassBody(end_location=[30.0, 0.0], **body),  # type: ignore[arg-type]
    )


def _shot(n: int, **body: object) -> ShotEvent:
    return ShotEvent(
        match_id="m1",
        event_id=f"s{n}",
        ts=T0 + 1000 * n,
        type="shot",
        team="Home",
        location=[40.0, 0.0],
        attack=1,
        shot=ShotBody(**body),  # type: ignore[arg-type]
    )


def _buildup(processor: MatchProcessor, shot: ShotEvent) -> dict[str, float | None]:
    [context] = [o for o in processor.on_event(shot, AT) if o.kind == "shot_context"]
    return {n: context.data["features"][n] for n in BUILDUP_NAMES}


def test_the_actions_before_a_shot_survive_a_restart_from_the_checkpoint() -> None:
    store = StateStore()
    first = MatchProcessor(store)
    first.on_event(_pass(1, "Home", cross=True), AT)
    first.on_event(GenericEvent(match_id="m1", event_id="c1", ts=T0 + 1500, type="carry", team="Home"), AT)
    for partition, key, value in first.checkpoint():
        store.write(partition, key, msgspec.json.decode(msgspec.json.encode(value)))
    restarted = MatchProcessor(store)
    f = _buildup(restarted, _shot(3))
    assert f["assisted"] == f["assist_cross"] == f["same_possession"] == 1.0
    assert f["since_previous_s"] == 2.0  # the carry is not an action
    assert f["assist_length_m"] == 20.0


def test_an_opponents_pass_in_between_means_no_assist_and_another_period_does_not_count() -> None:
    processor = MatchProcessor()
    processor.on_event(_pass(1, "Home"), AT)
    processor.on_event(_pass(2, "Away"), AT)
    f = _buildup(processor, _shot(3))
    assert f["assisted"] == f["same_possession"] == 0.0
    later = _shot(4)
    f = _buildup(processor, msgspec.structs.replace(later, period=2))
    assert all(v is None for v in f.values())


def test_a_feeds_own_account_of_the_build_up_is_used_instead_of_the_workers() -> None:
    processor = MatchProcessor()
    processor.on_event(_pass(1, "Home"), AT)
    given = [
        PrecedingAction(kind="pass", own=True, ts=T0 + 2500, location=[50.0, 10.0], end_location=[44.0, 2.0])
    ]
    f = _buildup(processor, _shot(3, preceding=given))
    assert f["assisted"] == f["assist_cut_back"] == 1.0
    assert f["since_previous_s"] == 0.5
