"""The presenters' what-if as plain functions: the demo's `measures` argument, the shell's
--measures, the report reader, the waterfall figure and the /demo pieces (fixture report:
tests/data/whatif-report.json, the reconstruction report's shape with three seeds)."""

from __future__ import annotations

import pytest

from layouts.demo import status_lines
from layouts.demo_report import assumption_text, report_page
from layouts.demo_whatif import whatif_figures, whatif_panel
from layouts.figures_waterfall import waterfall
from run import parse_args
from simulator.commands import command_of
from simulator.measures import MEASURE_IDS, subset_key
from simulator.whatif import WhatIf
from tests.process import ROOT

FIXTURE = ROOT / "tests" / "data" / "whatif-report.json"


@pytest.fixture
def what_if() -> WhatIf:
    return WhatIf(FIXTURE)


def simulator():
    from feeds.profile import load_profile
    from simulator.live import LiveSimulator
    return LiveSimulator(load_profile("xiamen"), publish=lambda batch: None)


@pytest.mark.parametrize("measures, problem", [
    (["early_declaration", "teleport"], "unknown measure(s) teleport"),
    ("early_declaration", "measures must be a list"),
    ([3], "measures must be a list"),
], ids=["unknown-id", "a-string", "a-number"])
def test_a_wrong_measure_is_refused_before_it_touches_the_run(measures, problem):
    demo = simulator()
    before = demo.status
    with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        demo.command("start", scenario="normal", measures=measures)
    assert demo.status is before and demo.status.running is False


def test_start_with_measures_reports_them_sorted_and_keeps_them_for_the_next_run(monkeypatch):
    demo, ran = simulator(), []
    monkeypatch.setattr(demo, "_loop", ran.append)  # the scenario the run would model, not run

    def start(**args):
        demo.command("start", scenario="normal", **args)
        demo._thread.join(5)
        return ran[-1]
    chosen = start(speed=60, seed=3, measures=["smart_diversion", "early_declaration"])
    assert demo.status.measures == ["early_declaration", "smart_diversion"]
    assert chosen.flow == "diversion" and chosen.measures == {"early_declaration"}
    assert demo._measures == ["smart_diversion", "early_declaration"]  # the five-day restart passes them on
    chosen = start(measures=[])
    assert demo.status.measures == [] and chosen.flow == "traditional" and not chosen.measures
    start()  # the scenario's own: every measure (normal.toml)
    assert demo.status.measures == sorted(MEASURE_IDS) and demo._measures is None


@pytest.mark.parametrize("argv, expected", [
    (["--scenario", "typhoon", "--measures", "smart_diversion,early_declaration"],
     {"action": "start", "scenario": "typhoon", "seed": 1, "measures": ["early_declaration", "smart_diversion"]}),
    (["--measures", ""], {"action": "start", "scenario": "normal", "seed": 1, "measures": []}),
    (["--speed", "600", "--measures", "boarding_appointment"],
     {"action": "start", "scenario": "normal", "seed": 1, "speed": 600.0, "measures": ["boarding_appointment"]}),
], ids=["scenario-and-measures", "no-measure", "speed-and-measures"])
def test_shell_measures_become_a_start_with_them(argv, expected):
    assert command_of(parse_args(["simulate", *argv])) == expected


def test_shell_names_a_wrong_measure():
    with pytest.raises(ValueError, match="unknown measure.*teleport"):
        command_of(parse_args(["simulate", "--measures", "early_declaration,teleport"]))


def test_subset_key_reads_a_generator_once():
    chosen = ["early_declaration", "smart_diversion"]
    assert subset_key(m for m in chosen) == subset_key(set(chosen)) == "early_declaration+smart_diversion"


def test_what_if_reads_the_report_and_its_waterfall(what_if, tmp_path):
    assert [m["id"] for m in what_if.measures()] == list(MEASURE_IDS)
    rows = what_if.waterfall(["smart_diversion", "early_declaration"])
    assert [row["measure"] for row in rows] == ["between_periods", "early_declaration", "smart_diversion", "total"]
    assert sum(row["import_pp"] for row in rows[:-1]) == pytest.approx(rows[-1]["import_pp"])
    assert WhatIf(tmp_path / "none.json").report() is None and WhatIf(tmp_path / "none.json").waterfall([]) is None
    with pytest.raises(ValueError, match="teleport"):
        what_if.waterfall(["teleport"])


def test_waterfall_figure_has_a_bar_per_measure_the_total_and_the_published_line(what_if):
    rows = what_if.waterfall(["early_declaration", "paperless_declaration"])
    figure = waterfall(rows, "export", "en", published=-29.08)
    bars = figure.data[0]
    assert list(bars.x) == ["Between the periods", "Earlier declarations", "Paperless declarations", "Model total"]
    assert list(bars.measure) == ["relative", "relative", "relative", "absolute"]
    assert bars.y[-1] == pytest.approx(rows[-1]["export_pp"])
    assert list(figure.data[1].error_y.array) == pytest.approx([row["export_ci95_pp"] for row in rows])
    assert figure.layout.shapes[0].y0 == -29.08 and "−29.08 %" in figure.layout.annotations[0].text
    assert "进口" in waterfall(rows, "import", "zh").layout.title.text


def test_unexplained_shows_only_with_every_measure_on(what_if):
    report = what_if.report()
    every = what_if.waterfall(MEASURE_IDS)
    import_figure, export_figure = whatif_figures(every, report, True, "en")
    assert list(export_figure.data[0].x)[-2:] == ["Model total", "Unexplained"]
    assert export_figure.data[0].y[-1] == report["unexplained"]["export_pp"]
    import_figure, _ = whatif_figures(what_if.waterfall(MEASURE_IDS[:2]), report, False, "en")
    assert "Unexplained" not in list(import_figure.data[0].x)
    assert whatif_figures(None, None, False, "en") == ({}, {})


def test_the_panel_ticks_what_the_demo_runs_with(what_if):
    running = ["early_declaration", "smart_diversion"]
    panel = whatif_panel(what_if.measures(), running, what_if.waterfall(running), what_if.report(), "zh")
    checklist = next(c for c in panel.children if getattr(c, "id", None) == "demo-measures")
    assert checklist.value == running and [o["label"] for o in checklist.options][0] == "提前申报"
    status = {"running": True, "paused": False, "scenario": "normal", "speed": 60, "events_published": 5,
              "measures": running}
    assert any("Measures in force: 2" in str(line.children) for line in status_lines(status, "en"))


def test_report_page_shows_the_port_wide_change_waterfall_diverted_boxes_and_assumptions(what_if):
    page = str(report_page(what_if.report(), "en").to_plotly_json())
    for expected in ("−29.08 %", "−9.76 %", "2.00 → 1.02", "−91.00 %", "Boxes: 412", "TEST_SHARE = 0.25",
                     "a plain sentence assumption"):
        assert expected in page, expected
    assert "h1-before-after --report" in str(report_page(None, "en").to_plotly_json())
    assert assumption_text(["A", 1, "why"]) == "A = 1 — why" and assumption_text({"name": "B"}) == "name: B"
