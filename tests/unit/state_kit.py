"""Shared kit of the hand-computed state scenarios: the port, its day, and event builders.

Every scenario is a small set of events at times chosen by hand; the expected figures are worked
out in the comments. Times are port-local (Asia/Shanghai, +08:00) hours from DAY, 27 Nov 2026
00:00 local, unless written out in UTC. Percentiles: numpy's linear interpolation, p = x[k] +
f * (x[k+1] - x[k]) at position (n - 1) * 0.9.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from stdnum import imo as stdnum_imo

from dashboard.state.port import PortState
from feeds.events import validate_event
from feeds.profile import load_profile
from tests.helpers import container_number

PROFILE = load_profile("xiamen")
TZ = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 27, tzinfo=TZ)  # 00:00 local, Asia/Shanghai
IMPORT_STAGES = ("awaiting_discharge", "awaiting_release", "in_inspection", "awaiting_pickup",
                 "gated_out")
EXPORT_STAGES = ("awaiting_gate_in", "awaiting_release", "in_inspection", "awaiting_loading",
                 "loaded")

_ids = itertools.count(1)


# ---------------------------------------------------------------------------------------------
# helpers
def at(hours: float, minutes: float = 0) -> datetime:
    """DAY + hours (+ minutes), local time."""
    return DAY + timedelta(hours=hours, minutes=minutes)


def ship(n: int) -> str:
    """A valid IMO number (7 digits, check digit computed)."""
    body = f"9{n:05d}"
    return body + stdnum_imo.calc_check_digit(body)


def box(n: int) -> str:
    return container_number(n)


def parse(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _source(kind: str) -> str:
    if kind.startswith(("customs.", "inspection.", "declaration.")):
        return "customs.xiamen"
    if kind.startswith("gate."):
        return "trucking.x"
    if kind == "clock.tick":
        return "demo"
    return "terminal.haitian"


def ev(kind: str, when, *, id: str | None = None, source: str | None = None, **fields) -> dict:
    """A canonical v1 event (checked by feeds.events.validate_event). `when`: hours from DAY,
    a datetime, or an RFC 3339 string."""
    if isinstance(when, (int, float)):
        when = at(when)
    time = when if isinstance(when, str) else when.isoformat()
    raw = {"id": id or f"sc-{next(_ids)}", "type": kind, "time": time,
           "source": source or _source(kind)}
    raw.update({k: v for k, v in fields.items() if v is not None})
    event, problems = validate_event(raw, allow_ticks=True)
    assert not problems, (raw, problems)
    return event


def imp(kind: str, when, n: int, **fields) -> dict:
    return ev(kind, when, container=box(n), direction="import", **fields)


def exp(kind: str, when, n: int, **fields) -> dict:
    return ev(kind, when, container=box(n), direction="export", **fields)


def call(imo: str, voyage: str | None, *, eta=None, eta_issued=None, arrived=None, berthed=None,
         departed=None, terminal: str = "haitian", berth: str = "HT-1", etd=None) -> list[dict]:
    """The events of one vessel call (the vessel.eta is estimated, issued a day before the ETA)."""
    events = []
    if eta is not None:
        data = {"eta": at(eta).isoformat(), "terminal": terminal, "berth": berth}
        if etd is not None:
            data["etd"] = at(etd).isoformat()
        events.append(ev("vessel.eta", eta - 24 if eta_issued is None else eta_issued,
                         vessel=imo, voyage=voyage, classifier="estimated", data=data))
    if arrived is not None:
        events.append(ev("vessel.arrived", arrived, vessel=imo, voyage=voyage))
    if berthed is not None:
        events.append(ev("vessel.berthed", berthed, vessel=imo, voyage=voyage,
                         data={"terminal": terminal, "berth": berth}))
    if departed is not None:
        events.append(ev("vessel.departed", departed, vessel=imo, voyage=voyage))
    return events


def build(*groups) -> PortState:
    """A state fed every event of `groups` (events or lists of events) once, in the order given."""
    state = PortState(PROFILE)
    for group in groups:
        for event in (group if isinstance(group, list) else [group]):
            assert state.apply(event) is True, event
    return state


def kpis(state: PortState, now) -> dict:
    return state.kpis(now)


def without_feeds(figures: dict) -> dict:
    """The KPIs without feed health (which is about arrival, not event time)."""
    return {k: v for k, v in figures.items() if k != "feeds"}


def count(value) -> int:
    """`delays.containers` / `delays.vessels`: a count, or a list of the late boxes / calls."""
    return len(value) if isinstance(value, (list, tuple, dict)) else value


def stage_of(state: PortState, n: int) -> tuple:
    rec = state.container(box(n))
    return rec["stage"], parse(rec["since"]), rec["waiting_on"], rec["held"]


def clearance_import_events(with_inspected: bool = False) -> list[dict]:
    """Vessel C berthed at 00:00. Boxes 301-304 discharged at 00:30 and gated out 2, 3, 5 and 11
    hours after berthing. Box 309 is discharged and still waiting (not gated out).
    With `with_inspected`: box 308 is inspected (ordered 01, completed pass 06, released 06:30)
    and gated out at 08:00."""
    c = ship(4)
    events = call(c, "C1", eta=0, arrived=-2, berthed=0)
    for n, out in ((301, 2), (302, 3), (303, 5), (304, 11)):
        events += [imp("container.discharged", 0.5, n, vessel=c, voyage="C1", data={"to": "yard"}),
                   imp("customs.released", 1, n),
                   imp("gate.out", out, n)]
    events.append(imp("container.discharged", 0.75, 309, vessel=c, voyage="C1"))
    if with_inspected:
        events += [imp("container.discharged", 0.6, 308, vessel=c, voyage="C1"),
                   imp("customs.inspection_ordered", 1, 308),
                   imp("inspection.completed", 6, 308, data={"result": "pass"}),
                   imp("customs.released", 6.5, 308),
                   imp("gate.out", 8, 308)]
    return events
