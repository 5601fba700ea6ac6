"""The wall's pure pieces as plain functions: figure builders, layout functions, the view model."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from dash import html

from dashboard import wallview
from dashboard.state.port import PortState
from feeds.profile import load_profile
from layouts import i18n, wall
from layouts.figures import VERMILION, berth_gantt, trend

ZONE = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 27, 12, tzinfo=ZONE)


def gantt_row(berth: str, imo: str, delayed: bool, actual_start: datetime | None) -> dict:
    return {"berth": berth, "imo": imo, "name": f"Ship {imo}", "delayed": delayed,
            "planned_start": NOW - timedelta(hours=6), "planned_end": NOW + timedelta(hours=6),
            "actual_start": actual_start, "actual_end": None}


def test_berth_gantt_draws_plan_and_actual_with_imo_in_customdata_and_delays_marked():
    rows = [gantt_row("HT-1", "9321483", True, NOW - timedelta(hours=2)), gantt_row("HT-2", "1234567", False, None)]
    figure = berth_gantt(rows, NOW - timedelta(hours=24), NOW + timedelta(hours=24), NOW)
    planned, actual = figure.data
    assert list(planned.customdata) == ["9321483", "1234567"]
    assert list(actual.customdata) == ["9321483"]           # only the berthed call has an actual bar
    assert list(actual.marker.color) == [VERMILION]
    assert actual.text[0].startswith("⚠ ")                  # delay shown by a mark, not by colour alone
    assert actual.x[0] == 2 * 3600 * 1000                    # berthed 2 h ago, running until now


def test_trend_draws_the_baseline_as_a_dotted_line():
    figure = trend([(NOW - timedelta(hours=2), 30.0), (NOW - timedelta(hours=1), 28.5)], baseline=34.91)
    assert list(figure.data[0].y) == [30.0, 28.5]
    assert figure.layout.shapes[0].y0 == 34.91 and figure.layout.shapes[0].line.dash == "dot"


def find_all(component, predicate) -> list:
    found = [component] if predicate(component) else []
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children] if children is not None else []:
        if hasattr(child, "to_plotly_json"):
            found += find_all(child, predicate)
    return found


def kpi_paths(component) -> set[str]:
    return {getattr(c, "data-kpi") for c in find_all(component, lambda c: hasattr(c, "data-kpi"))}


def test_kpi_strip_carries_a_data_kpi_hook_for_every_value():
    strip = wall.kpi_strip({}, "en", {})
    assert {path for _, figures, _ in wall.STRIP for path, _ in figures} <= kpi_paths(strip)
    assert "clearance_hours.import.change_pct" in kpi_paths(strip)


def test_ticker_items_carry_their_event_id_and_event_text_stays_text():
    items = [{"id": "e-1", "type": "gate.in", "text": "<img src=x onerror=alert(1)>"}]
    ticker = wall.ticker(items)
    (item,) = ticker.children
    assert getattr(item, "data-event-id") == "e-1"
    assert item.children == "<img src=x onerror=alert(1)>"  # a string child: Dash renders it as text


def test_delayed_vessel_alerts_link_to_the_drill_down_with_data_vessel():
    alerts = wall.alert_list([{"kind": "vessel", "imo": "9321483", "text": "Emma Maersk delayed"}], "en")
    (item,) = alerts.children
    assert getattr(item, "data-vessel") == "9321483"
    assert isinstance(item.children, html.A) and item.children.href == "/vessels/9321483?lang=en"


def test_an_empty_alert_list_says_there_are_no_delays_in_each_language():
    assert wall.alert_list([], "zh").children[0].children == "暂无预警"
    assert wall.alert_list([], "en").children[0].children == "No delays"


def test_numbers_are_formatted_for_the_language():
    assert i18n.number(12345, "en") == "12,345"
    assert i18n.number(12345, "zh") == "12,345"
    assert i18n.number(3.25, "en", 1) in ("3.2", "3.3")
    assert i18n.share(0.5, "en") == "50%"
    assert i18n.change(-9.76, "en") == "-9.8%" and i18n.change(4.0, "zh") == "+4.0%"
    assert i18n.number(None, "en") == "—"


def test_chain_colours_a_stage_by_its_median_dwell_against_the_sla():
    state = PortState(load_profile("xiamen"))  # awaiting_release SLA: 24 h import
    dwell = {"import": {"awaiting_release": {"n": 3, "median": 10.0, "p90": 12.0},
                        "awaiting_pickup": {"n": 2, "median": 60.0, "p90": 70.0},   # SLA 72: 83 % → warn
                        "in_inspection": {"n": 1, "median": 30.0, "p90": 30.0}},    # SLA 24 → late
             "export": {}}
    nodes = wallview.chain_view(wallview.chain(state, dwell), "en")
    assert nodes["import.awaiting_release"]["status"] == "ok"
    assert nodes["import.awaiting_pickup"]["status"] == "warn"
    assert nodes["import.in_inspection"]["status"] == "late"
    assert nodes["import.in_inspection"]["label"] == "late"      # a word as well as a colour


def test_fast_view_lists_the_newest_ticker_events_first_in_the_language():
    state = PortState(load_profile("xiamen"))
    for n in range(3):
        state.apply({"id": f"g{n}", "type": "gate.in", "time": f"2026-11-27T10:0{n}:00+08:00", "source": "t.x",
                     "container": "APZU4812090", "direction": "import", "classifier": "actual"})
    facts = wallview.fast_facts(state, NOW.timestamp(), {"running": True, "scenario": "typhoon", "speed": 600})
    view = wallview.fast_view(facts, "en")
    assert [item["id"] for item in view["ticker"]] == ["g2", "g1", "g0"]
    assert view["ticker"][0]["text"] == "10:02 Gate in APZU4812090"
    assert view["kpis"]["gate_lifts_last_hour.in"] == "0"   # 10:00–10:02 is more than an hour before noon
    assert view["demo"] == "DEMO DATA · typhoon · ×600"


def clearance_facts(import_figures: dict, export_figures: dict | None = None) -> dict:
    """Slow facts of an empty port with the clearance figures given."""
    state = PortState(load_profile("xiamen"))
    facts = wallview.slow_facts(state, NOW.timestamp())
    facts["kpis"]["clearance_hours"] = {"import": import_figures,
                                        "export": export_figures or facts["kpis"]["clearance_hours"]["export"]}
    return facts


def test_the_clearance_tiles_show_the_mean_and_its_change_against_the_last_7_days_in_each_language():
    facts = clearance_facts({"median": 20.0, "p90": 40.0, "mean": 25.25, "n": 300, "baseline": 28.0,
                             "change_pct": (25.25 - 28) / 28 * 100, "baseline_window": {}})
    view = wallview.slow_view(facts, "en")["kpis"]
    assert view["clearance_hours.import.mean"] in ("25.2", "25.3")     # the mean, not the median 20
    assert view["clearance_hours.import.change_pct"] == "-9.8%"
    assert "clearance_hours.import.median" not in view
    strip = wall.kpi_strip(view, "en", {})
    assert "clearance_hours.import.mean" in kpi_paths(strip)
    assert "vs last 7 days" in str(strip) and "mean" in str(strip)
    assert "较前7天" in str(wall.kpi_strip(wallview.slow_view(facts, "zh")["kpis"], "zh", {}))


def test_without_a_baseline_the_tile_shows_a_dash_and_the_trend_no_baseline_line():
    facts = clearance_facts({"median": 20.0, "p90": 40.0, "mean": 25.0, "n": 3, "baseline": None,
                             "change_pct": None, "baseline_window": {}})
    assert wallview.slow_view(facts, "en")["kpis"]["clearance_hours.import.change_pct"] == "—"
    figures = wallview.slow_figures(facts, {"import": [(NOW - timedelta(hours=1), 25.0)]})
    assert not figures["trends"]["import"]["layout"].get("shapes")


def test_the_trend_draws_the_baseline_the_tile_compares_with():
    """The dotted line is the mean of the 7 days before the last 24 h (to 3 significant digits),
    not a national figure; a new baseline redraws the kept figures."""
    facts = clearance_facts({"median": 20.0, "p90": 40.0, "mean": 25.0, "n": 300, "baseline": 28.04321,
                             "change_pct": -10.85, "baseline_window": {}})
    trends = {"import": [(NOW - timedelta(hours=2), 26.0), (NOW - timedelta(hours=1), 25.0)]}
    kept = wallview.KeptFigures()
    first = kept(facts, trends)
    assert first["trends"]["import"]["layout"]["shapes"][0]["y0"] == 28.0
    facts["kpis"]["clearance_hours"]["import"]["baseline"] = 28.04999   # the same to 3 digits: kept
    assert kept(facts, trends) is first
    facts["kpis"]["clearance_hours"]["import"]["baseline"] = 31.2
    assert kept(facts, trends)["trends"]["import"]["layout"]["shapes"][0]["y0"] == 31.2
