"""The alert rules over hand-built states (tests/unit/state_kit.py): which delays and stuck
boxes are alerts, their keys, and that the wall's stuck list is always among them."""

from __future__ import annotations

from dashboard.alerts import rules
from dashboard.state import delays
from tests.unit.state_kit import at, box, build, call, imp, ship

EMMA = ship(1)


def late_port(boxes_late: int = 8):
    """Ship 1 due at 00:00, berthed 05:00 (3 h past the 2 h tolerance). Boxes 1..n discharged at
    06:00 and never released (awaiting release, SLA 24 h); box 100 released at 07:00 (on time)."""
    events = call(EMMA, "V1", eta=0, berthed=5)
    for n in range(1, boxes_late + 1):
        events.append(imp("container.discharged", 6, n, vessel=EMMA, voyage="V1"))
    events += [imp("container.discharged", 6, 100, vessel=EMMA, voyage="V1"), imp("customs.released", 7, 100)]
    return build(events)


def test_a_call_berthed_late_is_an_alert_keyed_by_imo_and_voyage_with_its_reasons():
    state = late_port(boxes_late=0)
    found = rules.conditions(state, at(10).timestamp())
    delayed = found[f"call:{EMMA}:V1"]
    assert delayed.kind == "call" and delayed.subject == EMMA and delayed.link == f"/vessels/{EMMA}"
    assert delayed.detail["reasons"] == ["berthed_late"]
    assert "berthed late" in delayed.text["en"] and "靠泊晚于预计" in delayed.text["zh"]
    assert delayed.since == at(2).timestamp()  # the ETA plus the tolerance


def test_boxes_past_their_sla_are_alerts_keyed_by_number_visit_start_and_stage():
    state = late_port(boxes_late=2)
    now = at(6 + 24 + 3).timestamp()  # 3 h past the 24 h SLA of awaiting release
    found = rules.conditions(state, now)
    keys = {key for key in found if key.startswith("box:")}
    assert keys == {f"box:{box(n)}:{int(at(6).timestamp())}:awaiting_release" for n in (1, 2)}
    stuck = found[f"box:{box(1)}:{int(at(6).timestamp())}:awaiting_release"]
    assert stuck.detail["party"] == "customs" and stuck.detail["delay_hours"] == 3.0
    assert stuck.link == f"/containers/{box(1)}" and stuck.severity == "medium"
    assert stuck.since == at(6 + 24).timestamp()


def test_nothing_is_an_alert_before_the_sla_and_the_tolerance():
    state = build(call(EMMA, "V1", eta=0, berthed=1), imp("container.discharged", 2, 1, vessel=EMMA, voyage="V1"))
    assert rules.conditions(state, at(20).timestamp()) == {}


def test_a_box_past_twice_its_sla_is_high_severity():
    state = late_port(boxes_late=1)
    found = rules.box_conditions(state, at(6 + 48 + 1).timestamp())
    assert [c.severity for c in found] == ["high"]


def test_stuck_boxes_are_bounded_per_stage_and_hold_the_walls_list():
    state = late_port(boxes_late=8)
    now = at(40).timestamp()
    boxes = [c for c in rules.conditions(state, now).values() if c.kind == "box"]
    assert len(boxes) == rules.BOXES_PER_STAGE
    assert [c.subject for c in boxes] == [box(n) for n in range(1, 6)]  # same delay: the lowest numbers
    alerted = {c.subject for c in boxes}
    assert {late.number for late, _ in delays.worst_late(state, now)} <= alerted


def test_a_released_box_is_no_longer_an_alert():
    events = call(EMMA, "V1", eta=0, berthed=1) + [imp("container.discharged", 2, 1, vessel=EMMA, voyage="V1"),
                                                   imp("customs.released", 30, 1)]
    state = build(events)
    assert not [c for c in rules.conditions(state, at(31).timestamp()).values() if c.kind == "box"]


def test_a_voyage_that_is_not_url_safe_is_kept_out_of_the_key():
    assert rules.call_key("9321483", "05/1 E") == "call:9321483:05_1_E"
    assert rules.call_key("9321483", None) == "call:9321483:-"


def test_the_wall_draws_an_acknowledged_item_dimmed_with_its_owner_first():
    from dashboard.wallview import alert_mark
    from layouts.wall import alert_item
    alert = {"state": "acknowledged", "acknowledged_by": "Li Wei", "escalated_at": None}
    item = alert_item({"kind": "box", "number": box(1), "text": "stuck", "alert": alert_mark(alert)}, "en")
    assert "alert-acknowledged" in item.className and getattr(item, "data-alert-state") == "acknowledged"
    assert item.children[0].children == "✓ Li Wei"
    still_open = alert_item({"kind": "box", "number": box(2), "text": "stuck",
                             "alert": alert_mark({**alert, "state": "open"})}, "en")
    assert "alert-acknowledged" not in still_open.className and still_open.children == ["◆ ", "stuck"]
