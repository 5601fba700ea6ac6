"""Milestones (dashboard/notify/milestones.py): which events, applied to a state, tell a watcher
something — and the notice ids every recipient shares."""

from __future__ import annotations

from dashboard.notify.messages import milestone_notice
from dashboard.notify.milestones import declarations_of, delayed_milestone, milestones, notice_id
from dashboard.state.port import PortState
from tests.unit.state_kit import PROFILE, box, call, imp, ship


def discharged(hours: float, n: int) -> dict:
    return imp("container.discharged", hours, n, vessel=ship(9), voyage="V9")


def applied(state: PortState, event: dict) -> list[dict]:
    """The milestones of `event` once applied to `state`."""
    assert state.apply(event)
    return [{k: v for k, v in m.items() if k != "target"} for m in milestones(event, state)]


def kinds(found: list[dict]) -> list[str]:
    return [m["kind"] for m in found]


def test_a_release_after_the_discharge_is_released_and_ready_for_pickup():
    state = PortState(PROFILE)
    assert kinds(applied(state, discharged(1, 1))) == []
    found = applied(state, imp("customs.released", 2, 1, data={"declaration": "D-1"}))
    assert kinds(found) == ["released", "ready_for_pickup"]
    assert found[0]["subject"] == found[1]["subject"] == ("box", box(1), found[0]["subject"][2])


def test_a_release_before_the_discharge_is_ready_only_once_discharged():
    state = PortState(PROFILE)
    applied(state, imp("declaration.filed", 0, 2, data={"declaration": "D-2"}))
    assert kinds(applied(state, imp("customs.released", 1, 2))) == ["released"]
    assert kinds(applied(state, discharged(2, 2))) == ["ready_for_pickup"]


def test_an_inspection_holds_readiness_until_it_is_done():
    state = PortState(PROFILE)
    applied(state, discharged(1, 3))
    assert kinds(applied(state, imp("customs.inspection_ordered", 2, 3, data={"mode": "scan"}))) == \
        ["inspection_ordered"]
    assert kinds(applied(state, imp("customs.released", 3, 3))) == ["released"]  # inspection outstanding
    assert kinds(applied(state, imp("inspection.completed", 4, 3, data={"result": "pass"}))) == \
        ["inspection_done", "ready_for_pickup"]


def test_a_held_inspection_is_done_but_not_ready():
    state = PortState(PROFILE)
    applied(state, discharged(1, 4))
    applied(state, imp("customs.inspection_ordered", 2, 4))
    assert kinds(applied(state, imp("inspection.completed", 3, 4, data={"result": "hold"}))) == ["inspection_done"]


def test_estimated_events_make_no_milestones():
    state = PortState(PROFILE)
    applied(state, discharged(1, 5))
    assert applied(state, imp("customs.released", 9, 5, classifier="estimated")) == []


def test_a_berthing_is_a_vessel_milestone_of_its_voyage():
    state = PortState(PROFILE)
    eta, _arrived, berthed = call(ship(1), "V7", eta=10, arrived=11, berthed=12)
    applied(state, eta)
    applied(state, _arrived)
    (found,) = applied(state, berthed)
    assert found["kind"] == "vessel_berthed" and found["subject"] == ("vessel", ship(1), "V7")


def test_a_notice_id_is_the_same_for_the_same_subject_and_kind_only():
    subject = ("box", box(1), 1764000000000)
    assert notice_id(subject, "released") == notice_id(subject, "released")
    assert notice_id(subject, "released") != notice_id(subject, "ready_for_pickup")
    assert notice_id(subject, "released") != notice_id(("box", box(1), 1765000000000), "released")


def test_a_notice_has_both_languages_and_a_link_to_the_box_page():
    state = PortState(PROFILE)
    applied(state, discharged(1, 6))
    (released, _ready) = applied(state, imp("customs.released", 2, 6))
    notice = milestone_notice(released)
    assert notice["link"] == f"/track/box/{box(6)}" and notice["id"] == notice_id(released["subject"], "released")
    assert box(6) in notice["title"]["zh"] and box(6) in notice["title"]["en"]


def test_a_delayed_vessel_names_its_reasons_and_links_the_vessel_page():
    state = PortState(PROFILE)
    for event in call(ship(2), "V1", eta=10):
        state.apply(event)
    (key, the_call), = state.calls.items()
    notice = milestone_notice(delayed_milestone(the_call, ["overdue"], 0.0))
    assert notice["link"] == f"/vessels/{ship(2)}" and "overdue" in notice["text"]["en"]


def test_the_declarations_a_visit_names_are_found():
    state = PortState(PROFILE)
    state.apply(discharged(1, 7))
    state.apply(imp("declaration.filed", 2, 7, data={"declaration": "D-77"}))
    assert declarations_of(state.boxes[box(7)][-1]) == {"D-77"}
