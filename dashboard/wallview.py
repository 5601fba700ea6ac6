"""What the wall shows: read from the state once per update (`*_facts`, language-free), then
worded once per language (`*_view`), whatever the number of screens.

The fast update (counters and the ticker, within 100 ms of an event) and the slow one (clearance,
the chain's dwell and SLA colours, alerts, feeds, services, figures: at most twice a second) are
each complete in themselves: a screen that missed any number of them is right after the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson

from dashboard.alerts.rules import box_key, call_key
from dashboard.state import delays as state_delays
from dashboard.state import kpis as state_kpis
from dashboard.state.boxes import DONE, PARTY
from feeds.profile import STAGE_PARTIES
from layouts import i18n
from layouts.figures import berth_gantt, trend

SLA_WARN_SHARE = 0.8   # a stage whose median dwell passes 80 % of its SLA shows amber


# -- fast: counters and ticker ---------------------------------------------------------------------
def fast_facts(state, now: float, demo: dict | None) -> dict:
    """Cheap reads of the state's indexes (nothing here scans boxes)."""
    vessels = state_kpis.vessel_counts(state, now)
    gates = state_kpis.gate_lifts(state, now)
    inspections = state_kpis.inspections(state, now)
    counts = {"vessels.at_berth": vessels["at_berth"], "vessels.at_anchor": vessels["at_anchor"],
              "vessels.expected_24h": vessels["expected_24h"], "gate_lifts_last_hour.in": gates["in"],
              "gate_lifts_last_hour.out": gates["out"], "inspections.completed_today": inspections["completed_today"],
              "inspections.pending": inspections["pending"]}
    in_port = 0
    for direction, stages in STAGE_PARTIES.items():
        for stage in stages:
            if stage != DONE[direction]:
                n = counts[f"containers.{direction}.{stage}"] = len(state.stages[(direction, stage)])
                in_port += n
    counts["containers.in_port"] = in_port
    return {"now": now, "zone": state.profile.timezone, "counts": counts, "ticker": list(state.ticker)[-12:][::-1],
            "demo": demo}


def fast_view(facts: dict, lang: str) -> dict:
    zone = facts["zone"]
    return {"port_time": i18n.clock(datetime.fromtimestamp(facts["now"], zone), lang),
            "kpis": {path: i18n.number(value, lang) for path, value in facts["counts"].items()},
            "ticker": [ticker_item(item, zone, lang) for item in facts["ticker"]],
            "demo": demo_badge(facts["demo"], lang)}


def ticker_item(item: dict, zone, lang: str) -> dict:
    what = item["container"] or item["vessel"] or ""
    when = i18n.short_time(datetime.fromtimestamp(item["time"], zone), lang)
    return {"id": item["id"], "type": item["type"], "text": f"{when} {i18n.text('event_' + item['type'], lang)} {what}"}


def demo_badge(demo: dict | None, lang: str) -> str | None:
    if not demo or not demo.get("running"):
        return None
    return f"{i18n.text('demo', lang)} · {demo['scenario']} · ×{demo['speed']:g}"


# -- slow: clearance, chain, alerts, feeds, services, figures --------------------------------------
def slow_facts(state, now: float) -> dict:
    """Plain values only (read under the state's lock): nothing here is worded or drawn."""
    delayed = state_delays.delayed_calls(state, now)
    kpis = state_kpis.kpis(state, now, delayed=delayed)
    zone = state.profile.timezone
    return {"kpis": kpis, "zone": zone, "profile": state.profile,
            "chain": chain(state, kpis["stage_dwell"]),
            "vessels": [(state.calls[key].imo, state.calls[key].name, reasons, call_key(*key))
                        for key, reasons in sorted(delayed.items())[:5]],
            "boxes": [{"number": box.number, "stage": box.stage, "since": box.since,
                       "party": "customs" if box.held else PARTY[box.stage],
                       "key": box_key(box.number, box.start, box.stage)}
                      for box, _ in state_delays.worst_late(state, now)],
            "schematic": schematic(state), "gantt_rows": gantt_rows(state, now, delayed)}


def trend_baselines(facts: dict) -> dict:
    """The clearance baselines the trends draw (the mean of the 7 days before the last 24 h, as
    the tiles compare with), to 3 significant digits: finer is below a pixel of a 34 px sparkline,
    and a baseline that moves with every read would redraw the figures twice a second."""
    clearance = facts["kpis"]["clearance_hours"]
    return {direction: None if figures["baseline"] is None else float(f"{figures['baseline']:.3g}")
            for direction, figures in clearance.items()}


def slow_figures(facts: dict, trends: dict | None) -> dict:
    """The berth Gantt and the clearance trends (hourly means, with their baseline as a dotted
    line), as JSON-safe figures (the same in every language)."""
    baselines = trend_baselines(facts)
    return {"gantt": orjson.loads(berth_gantt(*facts["gantt_rows"]).to_json()),
            "trends": {direction: orjson.loads(trend(points, baseline=baselines.get(direction)).to_json())
                       for direction, points in (trends or {}).items()}}


class KeptFigures:
    """`slow_figures`, drawn again only when their rows (to the minute), the trends or their
    baselines changed: drawing a Plotly figure costs more than the rest of the slow update."""

    def __init__(self) -> None:
        self._kept: tuple | None = None  # (what they were drawn from, the figures)

    def __call__(self, facts: dict, trends: dict | None) -> dict:
        key = (facts["gantt_rows"], trends, tuple(sorted(trend_baselines(facts).items())))
        kept = self._kept
        if kept is None or kept[0] != key:
            kept = self._kept = (key, slow_figures(facts, trends))
        return kept[1]


def slow_view(facts: dict, lang: str) -> dict:
    kpis = facts["kpis"]
    clearance, diversion, containers = kpis["clearance_hours"], kpis["diversion"], kpis["containers"]
    values = {
        "clearance_hours.import.mean": i18n.number(clearance["import"]["mean"], lang, 1),
        "clearance_hours.import.change_pct": i18n.change(clearance["import"]["change_pct"], lang),
        "clearance_hours.export.mean": i18n.number(clearance["export"]["mean"], lang, 2),
        "clearance_hours.export.change_pct": i18n.change(clearance["export"]["change_pct"], lang),
        "arrival_to_pickup_hours.median": i18n.number(kpis["arrival_to_pickup_hours"]["median"], lang, 1),
        "diversion.share": i18n.share(diversion["share"], lang),
        "diversion.moves_saved": i18n.number(diversion["moves_saved"], lang),
        "containers.import.gated_out": i18n.number(containers["import"]["gated_out"], lang),
        "containers.export.loaded": i18n.number(containers["export"]["loaded"], lang),
    }
    values.update({f"services.{name}": i18n.number(value, lang) for name, value in kpis["services"].items()})
    return {"kpis": values, "chain": chain_view(facts["chain"], lang), "alerts": alerts_view(facts, lang),
            "feeds": feed_rows(kpis["feeds"], lang), "schematic": schematic_view(facts, lang)}


def chain(state, dwell: dict) -> dict:
    """Per stage: its median dwell and SLA status (ok / warn / late)."""
    nodes = {}
    for direction, stages in dwell.items():
        for stage, figures in stages.items():
            sla, median = state.profile.sla_hours[direction].get(stage), figures["median"]
            status = "ok" if median is None or sla is None or median < SLA_WARN_SHARE * sla else \
                "warn" if median < sla else "late"
            nodes[f"{direction}.{stage}"] = {"status": status, "median": median}
    return nodes


def chain_view(nodes: dict, lang: str) -> dict:
    return {stage: {"status": node["status"], "label": i18n.text("sla_" + node["status"], lang),
                    "dwell": i18n.text("median_dwell", lang, hours=i18n.number(node["median"], lang, 1))
                    if node["median"] is not None else ""} for stage, node in nodes.items()}


def alerts_view(facts: dict, lang: str) -> list[dict]:
    """The delayed vessels (up to 5), then the boxes longest past their SLA (up to 5); each with
    its alert's state (`facts["alert_marks"]`: condition key → open alert, dashboard/alerts/)."""
    marks = facts.get("alert_marks") or {}
    items = []
    for imo, name, reasons, key in facts["vessels"]:
        why = ", ".join(i18n.text("reason_" + r, lang) for r in reasons)
        items.append({"kind": "vessel", "imo": imo, "alert": alert_mark(marks.get(key)),
                      "text": i18n.text("delayed_vessel", lang, name=name or imo, why=why)})
    for box in facts["boxes"]:
        mark = alert_mark(marks.get(box["key"]))
        items.append({"kind": "box", "number": box["number"], "alert": mark, "text": i18n.text(
            "stuck_box", lang, number=box["number"], stage=i18n.text("stage_" + box["stage"], lang),
            party=i18n.text("party_" + box["party"], lang),
            since=i18n.short_time(datetime.fromtimestamp(box["since"], facts["zone"]), lang))})
    return items


def alert_mark(alert: dict | None) -> dict | None:
    """What the wall shows of an item's alert: its state, who owns it (acknowledged: "✓ name")."""
    if alert is None:
        return None
    owner = alert["acknowledged_by"] if alert["state"] == "acknowledged" else None
    return {"state": alert["state"], "owner": owner, "label": f"✓ {owner}" if owner else "",
            "escalated": alert.get("escalated_at") is not None}


def feed_rows(feeds: dict, lang: str) -> list[dict]:
    return [{"source": source, "rate": i18n.text("per_minute", lang, n=i18n.number(f["events_per_minute"], lang)),
             "rejects": i18n.number(f["rejects"], lang), "silent": f["events_per_minute"] == 0}
            for source, f in sorted(feeds.items())]


def schematic(state) -> dict:
    """Who lies at each berth, and how many boxes wait at each inspection site."""
    at_berth = {call.berth: call.name or call.imo for call in state.calls.values() if call.status == "at_berth"}
    return {"at_berth": at_berth, "pending": {site: n for site, n in state.pending_by_site.items() if n}}


def schematic_view(facts: dict, lang: str) -> list[dict]:
    profile, at_berth, pending = facts["profile"], facts["schematic"]["at_berth"], facts["schematic"]["pending"]
    rows = [{"kind": "terminal", "name": t.name[lang],
             "berths": [{"berth": b, "vessel": at_berth.get(b)} for b in t.berths]} for t in profile.terminals]
    return rows + [{"kind": "site", "name": s["name"][lang], "pending": i18n.number(pending.get(s["id"], 0), lang)}
                   for s in profile.inspection_sites]


def gantt_rows(state, now: float, delayed: dict) -> tuple[list[dict], datetime, datetime, datetime]:
    """Calls at a berth, or that left one in the last 24 h, or planned on one within 24 h."""
    zone = state.profile.timezone
    moment = datetime.fromtimestamp(now - now % 60, zone)  # a minute is a pixel at 5 m: the figure is kept that long

    def when(t):
        return datetime.fromtimestamp(t, zone) if t is not None else None

    rows = []
    for call in state.calls.values():
        planned = call.eta is not None and call.etd is not None
        if not call.berth or (call.departed is not None and now - call.departed > 24 * 3600):
            continue
        if call.berthed is None and (not planned or call.eta - now > 24 * 3600):
            continue
        rows.append({"berth": call.berth, "imo": call.imo, "name": call.name, "delayed": call.key in delayed,
                     "planned_start": when(call.eta) if planned else None,
                     "planned_end": when(call.etd) if planned else None,
                     "actual_start": when(call.berthed), "actual_end": when(call.departed)})
    return rows, moment - timedelta(hours=24), moment + timedelta(hours=24), moment
