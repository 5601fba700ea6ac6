""""My boxes": which of its boxes an organisation has in port, and in what order (the phone page,
/track). Pure functions over the state: no framework, no Redis.

The boxes needing the viewer's action come first: released and ready for pickup (a trucker drives
in now), then in inspection, then held by customs; the rest after them. Within each group the box
that has waited longest in its stage comes first. An organisation's boxes are found through the
party index (never a walk over the port); the managers (identities None) see the boxes needing
action port-wide, the longest-waiting ones, capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboard.state.parties import sees_visit
from dashboard.state.timeline import iso

GROUPS = ("ready", "inspection", "held", "other")  # the page's order
PORT_WIDE_CAP = 500  # managers: at most this many boxes per action group
HELD_SCAN_LIMIT = 50_000  # managers: held boxes are looked for among this many awaiting release


@dataclass
class MyBoxes:
    """The viewer's boxes in port, in the page's order, with how many fall in each group."""
    visits: list = field(default_factory=list)  # BoxVisit, in order
    counts: dict = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))
    port_wide: bool = False  # a manager's view: boxes needing action anywhere in the port

    @property
    def total(self) -> int:
        return len(self.visits)


def action_of(box) -> str:
    """Which group a box in port falls in: what, if anything, its parties must do now."""
    if box.held:
        return "held"  # a hold outranks the stage: a held box is not ready, whatever its stage says
    if box.stage == "awaiting_pickup" and box.direction == "import":
        return "ready"
    if box.stage == "in_inspection":
        return "inspection"
    return "other"


def _order_key(box) -> tuple:
    return GROUPS.index(action_of(box)), box.since, box.number


def my_boxes(state, identities) -> MyBoxes:
    """The viewer's boxes still in port (the latest visit it sees of each), action first."""
    if identities is None:
        return port_wide_actions(state)
    found = []
    for number in state.party_index.boxes_for(identities):
        # only a box's latest visit can be in port (the earlier ones ended): look at that one alone,
        # never at every visit of the many boxes long gone that the index still names
        visits = state.boxes.get(number)
        latest = visits[-1] if visits else None
        if latest is not None and latest.in_port and sees_visit(latest, identities):
            found.append(latest)
    found.sort(key=_order_key)
    mine = MyBoxes(visits=found)
    for box in found:
        mine.counts[action_of(box)] += 1
    return mine


def port_wide_actions(state, cap: int = PORT_WIDE_CAP) -> MyBoxes:
    """For those who see everything: the longest-waiting boxes needing action, from the state's
    stage indexes (each already in order of entry), at most `cap` per group."""
    groups: dict[str, list] = {group: [] for group in GROUPS}
    for since, box in state.stages[("import", "awaiting_pickup")].oldest(cap * 2):
        if action_of(box) == "ready" and len(groups["ready"]) < cap:
            groups["ready"].append(box)
    for direction in ("import", "export"):
        groups["inspection"] += [box for _, box in state.stages[(direction, "in_inspection")].oldest(cap)]
        for _, box in state.stages[(direction, "awaiting_release")].oldest(HELD_SCAN_LIMIT):
            if box.held and len(groups["held"]) < cap:
                groups["held"].append(box)
    groups["inspection"] = sorted(groups["inspection"], key=_order_key)[:cap]
    groups["held"].sort(key=_order_key)
    visits = [box for group in GROUPS for box in groups[group]]
    return MyBoxes(visits=visits, counts={group: len(groups[group]) for group in GROUPS}, port_wide=True)


def page_of(mine: MyBoxes, page: int, per_page: int) -> tuple[list, int]:
    """One page of the boxes (1-based, clamped) → (its boxes, the number of pages)."""
    pages = max(1, -(-mine.total // per_page))
    page = min(max(page, 1), pages)
    return mine.visits[(page - 1) * per_page: page * per_page], pages


# the parcel timeline: (step, the event that marks it); steps always shown, then those only when
# they happened (an inspection, a hold, the trucker's gate-in)
IMPORT_STEPS = (("discharged", "container.discharged", True), ("inspection_ordered", "customs.inspection_ordered", False),
                ("inspected", "inspection.completed", False), ("held", "customs.hold", False),
                ("released", "customs.released", True), ("ready", "customs.released", True),
                ("truck_in", "gate.in", False), ("gated_out", "gate.out", True))
EXPORT_STEPS = (("gated_in", "gate.in", True), ("inspection_ordered", "customs.inspection_ordered", False),
                ("inspected", "inspection.completed", False), ("held", "customs.hold", False),
                ("released", "customs.released", True), ("loaded", "container.loaded", True))


def parcel_steps(view: dict) -> list[dict]:
    """A box view's (views.box_view) stages as a parcel's: each step with the time it happened
    (None: not yet) and its state, done / current (the latest done) / pending."""
    latest: dict[str, str] = {}
    for entry in view["timeline"]:
        if entry["classifier"] == "actual" and "retracted" not in entry:  # a retracted step never happened
            latest[entry["type"]] = entry["time"]
    chain = EXPORT_STEPS if view["direction"] == "export" and not view["transhipment"] else IMPORT_STEPS
    steps = [{"step": step, "time": latest.get(kind)} for step, kind, always in chain if always or kind in latest]
    if view["held"]:  # held now (a hold, or an inspection's "hold"): not released, whatever came before
        if "customs.hold" not in latest:
            at = next(n for n, step in enumerate(steps) if step["step"] == "released")
            steps.insert(at, {"step": "held", "time": latest.get("inspection.completed")})
        for step in steps:
            if step["step"] in ("released", "ready"):
                step["time"] = None
    done = [n for n, step in enumerate(steps) if step["time"] is not None]
    current = done[-1] if done else None
    for n, step in enumerate(steps):
        step["state"] = "current" if n == current else "done" if step["time"] is not None else "pending"
    return steps


def box_row(state, box) -> dict:
    """One line of the list: what the phone shows of a box, as plain values."""
    call = state.call_of(box)
    return {"number": box.number, "direction": box.direction, "stage": box.stage,
            "since": iso(box.since, state.profile.timezone),
            "action": action_of(box), "vessel_name": call.name if call else None,
            "voyage": call.voyage if call else None}


def vessel_brief(state, box) -> dict | None:
    """The box's ship as the parcel page shows it: name, voyage, berth, ETA and berthing."""
    call, zone = state.call_of(box), state.profile.timezone
    if call is None:
        return None
    return {"imo": call.imo, "name": call.name, "voyage": call.voyage, "berth": call.berth,
            "eta": iso(call.eta, zone), "berthed": iso(call.berthed, zone), "status": call.status}


def watched_numbers(state, watch_keys) -> set[str]:
    """The box numbers a user's watches name (dashboard/notify/watches.py keys): the boxes
    themselves and those their declarations cover. `org:*` is the caller's to add."""
    found = set()
    for key in watch_keys:
        kind, _, rest = key.partition(":")
        if kind == "box":
            found.add(rest)
        elif kind == "declaration" and state.declarations.get(rest):
            found.add(state.declarations[rest])
    return found
