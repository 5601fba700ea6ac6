"""A delayed vessel to drill into, fed through the partner API (the managers' tests).

Times are relative to the wall clock, so that the service's "now" (the wall clock) finds the
same ages every run: T0 is 40 hours ago, rounded down to the minute.

Emma Maersk (IMO 9321483, voyage 051E) was due at T0 and berthed at T0+4 h: 4 h late, beyond the
2 h tolerance ("berthed late"). It discharged 40 import boxes at T0+5 h:
- boxes 1–20: released at T0+6 h, gated out at T0+8 h (done);
- boxes 21–32: never released: awaiting release for 35 h, SLA 24 h → 11 h late each, waiting on
  customs: 12 × 11 = 132 delay hours;
- boxes 33–36: inspection ordered at T0+6 h, not completed: in inspection for 34 h, SLA 24 h →
  10 h late each, waiting on the inspection site: 4 × 10 = 40 delay hours;
- boxes 37–40: released at T0+30 h, awaiting pickup for 10 h (SLA 72 h): on time.
16 of 40 boxes late (40 % > 10 %): "boxes late" as well. Declarations DEC-0001…DEC-0040.
A second ship's name is an XSS probe; it must show as text.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from stdnum import imo as stdnum_imo

from tests.helpers import auth, container_number

EMMA = "9321483"
EMMA_NAME, EMMA_VOYAGE = "Emma Maersk", "051E"
PROBE_NAME = "<img src=x onerror=alert(1)>"
PROBE_IMO = "900001" + stdnum_imo.calc_check_digit("900001")
LATE_RELEASE, LATE_INSPECTION, ON_TIME = range(21, 33), range(33, 37), range(37, 41)
BOXES = range(1, 41)


def t0() -> datetime:
    now = datetime.now(timezone(timedelta(hours=8))).replace(second=0, microsecond=0)
    return now - timedelta(hours=40)


def box(n: int) -> str:
    return container_number(n, owner="MSK")


def events(start: datetime | None = None) -> dict[str, list[dict]]:
    """The scenario's events per sending partner."""
    start = start or t0()

    def at(hours: float) -> str:
        return (start + timedelta(hours=hours)).isoformat()

    terminal, customs, trucking = [], [], []
    vessel = {"vessel": EMMA, "voyage": EMMA_VOYAGE}
    terminal += [
        {"id": "emma-eta", "type": "vessel.eta", "time": at(-30), "classifier": "estimated", **vessel,
         "data": {"eta": at(0), "name": EMMA_NAME, "terminal": "haitian", "berth": "HT-1",
                  "containers_import": 40, "containers_export": 0}},
        {"id": "emma-arrived", "type": "vessel.arrived", "time": at(1), **vessel},
        {"id": "emma-berthed", "type": "vessel.berthed", "time": at(4), **vessel,
         "data": {"terminal": "haitian", "berth": "HT-1"}},
        {"id": "probe-eta", "type": "vessel.eta", "time": at(-2), "classifier": "estimated", "vessel": PROBE_IMO,
         "voyage": "X1", "data": {"eta": at(60), "name": PROBE_NAME, "terminal": "haitian", "berth": "HT-2"}},
    ]
    for n in BOXES:
        number, ident = box(n), f"{n:04d}"
        common = {"container": number, "direction": "import"}
        terminal.append({"id": f"disc-{ident}", "type": "container.discharged", "time": at(5), **vessel, **common})
        customs.append({"id": f"decl-{ident}", "type": "declaration.filed", "time": at(4.5), **common,
                        "data": {"declaration": f"DEC-{ident}"}})
        if n <= 20:
            customs.append({"id": f"rel-{ident}", "type": "customs.released", "time": at(6), **common,
                            "data": {"declaration": f"DEC-{ident}"}})
            trucking.append({"id": f"out-{ident}", "type": "gate.out", "time": at(8), **common})
        elif n in LATE_INSPECTION:
            customs.append({"id": f"insp-{ident}", "type": "customs.inspection_ordered", "time": at(6), **common,
                            "data": {"declaration": f"DEC-{ident}", "mode": "physical"}})
        elif n in ON_TIME:
            customs.append({"id": f"rel-{ident}", "type": "customs.released", "time": at(30), **common,
                            "data": {"declaration": f"DEC-{ident}"}})
    return {"terminal.haitian": _sourced(terminal, "terminal.haitian"),
            "customs.xiamen": _sourced(customs, "customs.xiamen"), "trucking.x": _sourced(trucking, "trucking.x")}


def _sourced(items: list[dict], source: str) -> list[dict]:
    return [{**item, "source": source} for item in items]


def publish(post, base: str = "") -> int:
    """POST every event through the partner API with `post(url, json=, headers=)`; → events sent."""
    sent = 0
    for source, batch in events().items():
        answer = post(f"{base}/api/v1/events", json=batch, headers=auth(source))
        assert answer.status_code == 202, answer.text
        body = answer.json() if callable(getattr(answer, "json", None)) else answer.json
        assert body["rejected"] == [], body["rejected"]
        sent += len(batch)
    return sent
