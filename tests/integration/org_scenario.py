"""Organisations and the cargo they are parties of, on top of the drill-down scenario (Emma
Maersk's 40 boxes, sent by terminal.haitian, customs.xiamen and trucking.x).

- `acme` (trucking) is named as the trucker of two more boxes on Emma's call;
- `blue` (broker) is named as the consignee of one of those and of a box on another ship;
- `trux` (trucking) sends as the partner `trucking.x`, so it is a party of boxes 1–20 (their
  gate-outs) and of nothing else;
- `nobody` (consignee) is a party of nothing;
- `tf` is the task force: it sees everything.
"""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import auth, container_number
from tests import drill_scenario

PASSWORD = "a-long-password-1"
ORGS = {  # id → (kind, partner sources)
    "acme": ("trucking", ()),
    "blue": ("broker", ()),
    "trux": ("trucking", ("trucking.x",)),
    "nobody": ("consignee", ()),
    "tf": ("taskforce", ()),
}
OTHER_SHIP, OTHER_VOYAGE = drill_scenario.PROBE_IMO, "X1"
ACME_BOXES = (container_number(1, owner="ACM"), container_number(2, owner="ACM"))
BLUE_ON_OTHER_SHIP = container_number(3, owner="ACM")
TRUX_BOXES = tuple(drill_scenario.box(n) for n in range(1, 21))


def user(org: str) -> str:
    return f"{org}-user"


def add_orgs(directory) -> dict[str, str]:
    """Every organisation with one user; → org id → its read key."""
    keys = {}
    for org, (kind, sources) in ORGS.items():
        directory.add_org(org, org.title(), kind, sources)
        directory.add_account(user(org), org, PASSWORD)
        keys[org] = directory.add_read_key(org)
    return keys


def party_events() -> list[dict]:
    start = drill_scenario.t0()

    def at(hours: float) -> str:
        return (start + timedelta(hours=hours)).isoformat()

    emma = {"vessel": drill_scenario.EMMA, "voyage": drill_scenario.EMMA_VOYAGE}
    other = {"vessel": OTHER_SHIP, "voyage": OTHER_VOYAGE}
    named = [
        (ACME_BOXES[0], emma, {"trucking": "acme", "consignee": "blue"}),
        (ACME_BOXES[1], emma, {"trucking": "acme"}),
        (BLUE_ON_OTHER_SHIP, other, {"consignee": "blue"}),
    ]
    events = []
    for n, (number, ship, parties) in enumerate(named):
        events.append({"id": f"party-disc-{n}", "type": "container.discharged", "time": at(5), **ship,
                       "container": number, "direction": "import", "source": "terminal.haitian", "parties": parties})
        events.append({"id": f"party-decl-{n}", "type": "declaration.filed", "time": at(5.5), "container": number,
                       "direction": "import", "source": "terminal.haitian", "data": {"declaration": f"DEC-P{n}"}})
    return events


def publish(post) -> None:
    drill_scenario.publish(post)
    answer = post("/api/v1/events", json=party_events(), headers=auth("terminal.haitian"))
    body = answer.json() if callable(getattr(answer, "json", None)) else answer.json
    assert answer.status_code == 202 and body["rejected"] == [], body


def expected_boxes(org: str) -> set[str]:
    """The boxes each organisation is a party of (the task force: all of them)."""
    everything = {drill_scenario.box(n) for n in drill_scenario.BOXES} | set(ACME_BOXES) | {BLUE_ON_OTHER_SHIP}
    return {"acme": set(ACME_BOXES), "blue": {ACME_BOXES[0], BLUE_ON_OTHER_SHIP}, "trux": set(TRUX_BOXES),
            "nobody": set(), "tf": everything}[org]


def expected_vessels(org: str) -> set[str]:
    return {"acme": {drill_scenario.EMMA}, "blue": {drill_scenario.EMMA, OTHER_SHIP},
            "trux": {drill_scenario.EMMA}, "nobody": set(),
            "tf": {drill_scenario.EMMA, OTHER_SHIP}}[org]
