"""Which conditions of the port are alerts now: the wall's definitions, so wall and alerts agree
(docs/alerts.md, docs/kpis.md).

- A **delayed call**: a call not departed that `delayed_calls` names (berthed late, overdue, or
  too many boxes late), keyed `call:<imo>:<voyage>`.
- A **stuck box**: a box past its stage's SLA, among the worst `BOXES_PER_STAGE` of its stage
  (ranked as the wall ranks them: delay hours, then number), keyed
  `box:<number>:<visit start>:<stage>`. The wall lists the worst five of the whole port, which
  are always among these. Every late box ages at the same rate, so the ranking only changes when
  a box leaves its stage or a late event arrives: the set is bounded and steady.

Pure: a function of (state, now). The wording is the wall's (layouts/i18n.py).
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from datetime import datetime

from dashboard.state.boxes import PARTY
from dashboard.state.delays import HOUR, late_calls, delayed_calls, sla_limit
from layouts import i18n

BOXES_PER_STAGE = 5   # the wall's stuck list is the worst 5 of the port: always among these
HIGH_FACTOR = 2.0     # a box past twice its stage's SLA is a high-severity alert
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")  # a voyage is free text: keep keys safe in a URL path


@dataclass(frozen=True)
class Condition:
    """One alert condition now. `since`: when it began (epoch seconds, port clock)."""
    key: str
    kind: str            # "call" or "box"
    subject: str         # the IMO number or the container number
    severity: str        # "high" or "medium"
    since: float
    title: dict          # {"zh", "en"}
    text: dict           # {"zh", "en"}
    link: str            # /vessels/<imo> or /containers/<number>
    detail: dict = field(default_factory=dict)  # reasons (call); stage, party, delay_hours (box)


def call_key(imo: str, voyage: str | None) -> str:
    return f"call:{imo}:{UNSAFE.sub('_', voyage) if voyage else '-'}"


def box_key(number: str, start: float, stage: str) -> str:
    return f"box:{number}:{int(start)}:{stage}"


def conditions(state, now: float) -> dict[str, Condition]:
    """Every alert condition of the port now, by key."""
    found = {c.key: c for c in call_conditions(state, now)}
    found.update((c.key, c) for c in box_conditions(state, now))
    return found


def call_conditions(state, now: float, delayed: dict | None = None) -> list[Condition]:
    delayed = delayed_calls(state, now) if delayed is None else delayed
    tolerance = state.profile.berth_tolerance_hours * HOUR
    found = []
    for key, reasons in sorted(delayed.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        call = state.calls[key]
        name = call.name or call.imo
        since = call.eta + tolerance if call.eta is not None else now
        severity = "high" if len(reasons) > 1 else "medium"
        words = {lang: i18n.text("delayed_vessel", lang, name=name,
                                 why=", ".join(i18n.text("reason_" + r, lang) for r in reasons)) for lang in i18n.LANGS}
        title = {lang: f"{name} {call.voyage or ''}".strip() for lang in i18n.LANGS}
        found.append(Condition(call_key(call.imo, call.voyage), "call", call.imo, severity, min(since, now),
                               title, words, f"/vessels/{call.imo}",
                               {"voyage": call.voyage, "reasons": list(reasons)}))
    return found


def worst_by_stage(state, now: float, k: int = BOXES_PER_STAGE) -> list[tuple]:
    """(box, delay hours, SLA hours) of the k late boxes of each stage longest past their SLA,
    ranked as the wall ranks them (dashboard/state/delays.py `worst_late`)."""
    found = []
    for (direction, stage), index in state.stages.items():
        limit = sla_limit(state, direction, stage, now)
        sla = state.profile.sla_hours[direction].get(stage)
        if index.tracks_late:
            index.move_boundary(limit)
            late = [(box, (limit - since) / HOUR) for since, box in index.oldest(k) if since < limit]
        else:
            late = []
            for key, call, boxes in late_calls(state, limit):
                hours = (limit - call.berthed) / HOUR
                first = index.first_by_number(key, k) if key[1] is not None else \
                    heapq.nsmallest(k, boxes, key=lambda b: b.number)
                late += [(box, hours) for box in first]
        late = sorted(late, key=lambda item: (-item[1], item[0].number))[:k]
        found += [(box, hours, sla) for box, hours in late]
    return found


def box_conditions(state, now: float) -> list[Condition]:
    zone = state.profile.timezone
    found = []
    for box, hours, sla in worst_by_stage(state, now):
        party = "customs" if box.held else PARTY[box.stage]
        severity = "high" if sla and hours >= (HIGH_FACTOR - 1) * sla else "medium"
        since = datetime.fromtimestamp(box.since, zone)
        words = {lang: i18n.text("stuck_box", lang, number=box.number, stage=i18n.text("stage_" + box.stage, lang),
                                 party=i18n.text("party_" + party, lang), since=i18n.short_time(since, lang))
                 for lang in i18n.LANGS}
        title = {lang: f"{box.number} · {i18n.text('stage_' + box.stage, lang)}" for lang in i18n.LANGS}
        found.append(Condition(box_key(box.number, box.start, box.stage), "box", box.number, severity,
                               now - hours * HOUR, title, words, f"/containers/{box.number}",
                               {"direction": box.direction, "stage": box.stage, "party": party,
                                "delay_hours": hours}))
    return found
