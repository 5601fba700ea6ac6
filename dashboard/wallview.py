"""What the wall shows, as plain data in one language: built once per update for every screen.

`fast_view` (counters and the ticker, sent within 100 ms of an event) and `slow_view` (clearance,
the chain's dwell and SLA colours, alerts, feeds, services, figures: at most twice a second) are
each complete in themselves: a screen that missed any number of them is right after the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import orjson

from dashboard.state import delays as state_delays
from dashboard.state import kpis as state_kpis
from dashboard.state.boxes import PARTY
from layouts import i18n
from feeds.profile import STAGE_PARTIES
from dashboard.state.timeline import TYPE, entry_data
from layouts.figures import berth_gantt, trend

SLA_WARN_SHARE = 0.8   # a stage whose median dwell passes 80 % of its SLA shows amber


def fast_view(state, now: float, lang: str, demo: dict | None) -> dict:
    """Counters and ticker: cheap reads of the state's indexes."""
    zone = state.profile.timezone
    vessels = state_kpis.vessel_counts(state, now)
    containers = state_kpis.container_counts(state, now)
    gates = state_kpis.gate_lifts(state, now)
    inspections = state_kpis.inspections(state, now)
    values = {"vessels.at_berth": vessels["at_berth"], "vessels.at_anchor": vessels["at_anchor"],
              "vessels.expected_24h": vessels["expected_24h"], "containers.in_port": containers["in_port"],
              "gate_lifts_last_hour.in": gates["in"], "gate_lifts_last_hour.out": gates["out"],
              "inspections.completed_today": inspections["completed_today"],
              "inspections.pending": inspections["pending"]}
    for direction, stages in STAGE_PARTIES.items():
        for stage in stages:
            values[f"containers.{direction}.{stage}"] = containers[direction][stage]
    return {
        "port_time": i18n.clock(datetime.fromtimestamp(now, zone), lang),
        "kpis": {path: i18n.number(value, lang) for path, value in values.items()},
        "ticker": [ticker_item(item, zone, lang) for item in reversed(state.ticker)][:12],
        "demo": demo_badge(demo, lang),
    }


def ticker_item(item: dict, zone, lang: str) -> dict:
    what = item["container"] or item["vessel"] or ""
    when = i18n.short_time(datetime.fromtimestamp(item["time"], zone), lang)
    return {"id": item["id"], "type": item["type"],
            "text": f"{when} {i18n.text('event_' + item['type'], lang)} {what}"}


def demo_badge(demo: dict | None, lang: str) -> str | None:
    if not demo or not demo.get("running"):
        return None
    return f"{i18n.text('demo', lang)} · {demo['scenario']} · ×{demo['speed']:g}"


def slow_view(state, now: float, lang: str, trends: dict | None = None) -> dict:
    kpis = state_kpis.kpis(state, now)
    clearance, diversion = kpis["clearance_hours"], kpis["diversion"]
    values = {
        "clearance_hours.import.median": i18n.number(clearance["import"]["median"], lang, 1),
        "clearance_hours.import.change_pct": i18n.change(clearance["import"]["change_pct"], lang),
        "clearance_hours.export.median": i18n.number(clearance["export"]["median"], lang, 2),
        "clearance_hours.export.change_pct": i18n.change(clearance["export"]["change_pct"], lang),
        "arrival_to_pickup_hours.median": i18n.number(kpis["arrival_to_pickup_hours"]["median"], lang, 1),
        "diversion.share": i18n.share(diversion["share"], lang),
        "diversion.moves_saved": i18n.number(diversion["moves_saved"], lang),
    }
    for name, value in kpis["services"].items():
        values[f"services.{name}"] = i18n.number(value, lang)
    return {"kpis": values, "chain": chain(state, kpis["stage_dwell"], lang),
            "alerts": alerts(state, now, lang), "feeds": feed_rows(kpis["feeds"], lang),
            "schematic": schematic(state, lang),
            "gantt": orjson.loads(berth_gantt(*gantt_rows(state, now), lang).to_json()),  # JSON-safe dates
            "trends": {direction: orjson.loads(trend(points, baseline=state.profile.baselines.get(
                f"clearance_{direction}_hours")).to_json()) for direction, points in (trends or {}).items()}}


def schematic(state, lang: str) -> list[dict]:
    """Per terminal its berths and who lies there; then the inspection sites and their queues."""
    at_berth = {call.berth: call.name or call.imo for call in state.calls.values() if call.status == "at_berth"}
    rows = [{"name": t.name[lang], "berths": [{"berth": b, "vessel": at_berth.get(b)} for b in t.berths]}
            for t in state.profile.terminals]
    pending: dict[str, int] = {}
    for direction in ("import", "export"):
        for box in state.stage_members.get((direction, "in_inspection"), ()):
            site = inspection_site(box)
            pending[site] = pending.get(site, 0) + 1
    sites = [{"name": s["name"][lang], "pending": i18n.number(pending.get(s["id"], 0), lang)}
             for s in state.profile.inspection_sites]
    return [{"kind": "terminal", **row} for row in rows] + [{"kind": "site", **site} for site in sites]


def inspection_site(box) -> str | None:
    for entry in reversed(box.timeline):
        if entry[TYPE] == "customs.inspection_ordered":
            return entry_data(entry).get("site")
    return None


def chain(state, dwell: dict, lang: str) -> dict:
    """Per stage: median dwell text and SLA status (ok / warn / late), icon included."""
    nodes = {}
    for direction, stages in dwell.items():
        for stage, figures in stages.items():
            sla = state.profile.sla_hours[direction].get(stage)
            median = figures["median"]
            status = "ok" if median is None or sla is None or median < SLA_WARN_SHARE * sla else \
                "warn" if median < sla else "late"
            nodes[f"{direction}.{stage}"] = {
                "status": status, "label": i18n.text("sla_" + status, lang),
                "dwell": i18n.text("median_dwell", lang, hours=i18n.number(median, lang, 1)) if median is not None else ""}
    return nodes


def alerts(state, now: float, lang: str, limit: int = 5) -> list[dict]:
    """Up to `limit` delayed vessels, then the `limit` boxes longest past their SLA."""
    zone = state.profile.timezone
    late = state_delays.late_boxes(state, now)
    items = []
    for key, reasons in sorted(state_delays.delayed_calls(state, now, late).items())[:limit]:
        call = state.calls[key]
        why = ", ".join(i18n.text("reason_" + r, lang) for r in reasons)
        items.append({"kind": "vessel", "imo": call.imo,
                      "text": i18n.text("delayed_vessel", lang, name=call.name or call.imo, why=why)})
    for box, _ in sorted(late, key=lambda item: (-item[1], item[0].number))[:limit]:
        party = "customs" if box.held else PARTY[box.stage]
        items.append({"kind": "box", "number": box.number, "text": i18n.text(
            "stuck_box", lang, number=box.number, stage=i18n.text("stage_" + box.stage, lang),
            party=i18n.text("party_" + party, lang),
            since=i18n.short_time(datetime.fromtimestamp(box.since, zone), lang))})
    return items


def feed_rows(feeds: dict, lang: str) -> list[dict]:
    return [{"source": source, "rate": i18n.text("per_minute", lang, n=i18n.number(f["events_per_minute"], lang)),
             "rejects": i18n.number(f["rejects"], lang), "silent": f["events_per_minute"] == 0}
            for source, f in sorted(feeds.items())]


def gantt_rows(state, now: float) -> tuple[list[dict], datetime, datetime, datetime]:
    zone = state.profile.timezone
    moment = datetime.fromtimestamp(now, zone)
    start, end = moment - timedelta(hours=24), moment + timedelta(hours=24)
    delayed = state_delays.delayed_calls(state, now)
    rows = []
    for call in state.calls.values():
        berth = call.berth
        planned = call.eta is not None and call.etd is not None
        actual_end = call.departed if call.departed is not None else None
        if not berth or (call.departed is not None and now - call.departed > 24 * 3600):
            continue
        if call.berthed is None and (not planned or call.eta - now > 24 * 3600):
            continue
        when = lambda t: datetime.fromtimestamp(t, zone) if t is not None else None  # noqa: E731
        rows.append({"berth": berth, "imo": call.imo, "name": call.name, "delayed": call.key in delayed,
                     "planned_start": when(call.eta) if planned else None, "planned_end": when(call.etd) if planned else None,
                     "actual_start": when(call.berthed), "actual_end": when(actual_end)})
    return rows, start, end, moment
