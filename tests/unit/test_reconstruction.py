"""The before/after reconstruction (simulator/reconstruction.py): the report's shape (the issue's,
which the /demo pages read), the waterfall read from real runs (its bars sum to the change, it
follows the measures chosen), the confidence intervals, the shipped scenario and the command.

The pure parts run on hand-made run figures; one real reconstruction on a tiny configuration
(2 seeds × 33 runs, 1 % of the traffic, one sampled day and one to drain) is shared by the tests that need it.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import replace
from datetime import timedelta

import pytest

from feeds.profile import load_profile
from simulator import reconstruction
from simulator.measures import ALL, MEASURE_IDS, subset_key
from simulator.reconstruction import Settings, all_subsets, assemble, mean_ci, waterfall_for
from simulator.scenario import load_scenario

SCENARIO = "h1-before-after"
FULL = subset_key(MEASURE_IDS)
SHAPE = {"diverted_boxes": {"moves": {"before", "after", "change_pct"},
                            "hours_to_first_destination": {"before", "after", "change_pct"}, "n": None},
         "port_wide": {"clearance_hours": {"import": {"before", "after", "change_pct", "ci95_pp"},
                                           "export": {"before", "after", "change_pct", "ci95_pp"}}},
         "unexplained": {"import_pp", "export_pp"}}
BAR_KEYS = {"measure", "source", "import_pp", "export_pp"}


def has_shape(value, shape) -> bool:
    """Every key the issue names is there (extra keys are allowed)."""
    if shape is None:
        return True
    if isinstance(shape, set):
        return isinstance(value, dict) and shape <= set(value)
    return isinstance(value, dict) and all(key in value and has_shape(value[key], inner)
                                           for key, inner in shape.items())


# -- hand-made runs: each measure takes 1 h off import, 0.5 h off export; early declaration and
# smart diversion together take 2 h more off import (an interaction the waterfall must show) -----
def clearance(import_mean: float, export_mean: float) -> dict:
    return {"import": {"mean": import_mean, "median": import_mean - 5, "n": 100, "open": 0, "from_berthed": 0},
            "export": {"mean": export_mean, "median": export_mean - 1, "n": 100, "open": 0}}


def hand_made_results(seeds: int = 3) -> list[dict]:
    results = []
    for seed in range(seeds):
        noise = seed * 0.7
        results.append({"seed": seed, "key": None, "clearance": clearance(60 + noise, 20 + noise)})
        for subset in all_subsets():
            together = {"early_declaration", "smart_diversion"} <= subset
            figures = {"seed": seed, "key": subset_key(subset),
                       "clearance": clearance(60 + noise - len(subset) - 2 * together, 20 + noise - 0.5 * len(subset))}
            if subset == ALL:
                figures["first_destinations"] = {"A": {"moves": 1, "hours": 3.0}, "C": {"moves": 1, "hours": 0.0}}
            if subset == ALL - {"smart_diversion"}:  # the diverted boxes' pair: the same days, traditional
                figures["first_destinations"] = {"A": {"moves": 2, "hours": 30.0}, "B": {"moves": 2, "hours": 10.0}}
            results.append(figures)
    return results


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def hand_made(scenario):
    return assemble(hand_made_results(), scenario, Settings.of(scenario), 3)


def bars(rows: list[dict]) -> list[dict]:
    return [row for row in rows if row["kind"] != "total"]


def test_hand_made_report_has_the_issues_shape(hand_made):
    assert has_shape(hand_made, SHAPE)
    assert all(BAR_KEYS <= set(row) for row in hand_made["waterfall"])
    assert isinstance(hand_made["assumptions"], list)


def test_each_seeds_change_of_the_mean_is_averaged_over_seeds(hand_made):
    per_seed = [(60 + s * 0.7 - 7 - (60 + s * 0.7)) / (60 + s * 0.7) * 100 for s in range(3)]
    row = hand_made["port_wide"]["clearance_hours"]["import"]
    assert row["change_pct"] == pytest.approx(statistics.fmean(per_seed))
    assert row["ci95_pp"] == pytest.approx(4.303 * statistics.stdev(per_seed) / math.sqrt(3))
    assert (row["before"], row["after"]) == (pytest.approx(60.7), pytest.approx(53.7))


def test_unexplained_is_the_published_change_minus_the_simulated_one(hand_made):
    for direction in ("import", "export"):
        simulated = hand_made["port_wide"]["clearance_hours"][direction]["change_pct"]
        assert hand_made["unexplained"][f"{direction}_pp"] == pytest.approx(
            hand_made["published"][f"{direction}_pct"] - simulated)


def test_waterfall_is_between_the_periods_then_each_measure_in_order_then_the_total(hand_made):
    assert [row["measure"] for row in hand_made["waterfall"]] == ["between_periods", *MEASURE_IDS, "total"]
    total = hand_made["waterfall"][-1]
    for direction in ("import", "export"):
        assert sum(row[f"{direction}_pp"] for row in bars(hand_made["waterfall"])) == pytest.approx(
            total[f"{direction}_pp"])
        change = hand_made["port_wide"]["clearance_hours"][direction]["change_pct"]
        assert total[f"{direction}_pp"] == pytest.approx(change)


def test_waterfall_for_a_subset_reads_its_own_runs_rather_than_the_full_waterfalls_bars(hand_made):
    alone = waterfall_for(hand_made, {"smart_diversion"})
    assert [row["measure"] for row in alone] == ["between_periods", "smart_diversion", "total"]
    in_full = next(row for row in hand_made["waterfall"] if row["measure"] == "smart_diversion")
    assert in_full["import_pp"] < alone[1]["import_pp"]        # after early declaration it takes 2 h more off
    run = hand_made["what_if"]["runs"]["smart_diversion"]["import"]
    assert alone[-1]["import_pp"] == pytest.approx(run["change_pct"])


def test_waterfall_for_all_measures_is_the_reports_waterfall(hand_made):
    assert waterfall_for(hand_made, ALL) == hand_made["waterfall"]
    assert waterfall_for(hand_made, list(reversed(MEASURE_IDS))) == hand_made["waterfall"]


def test_waterfall_for_no_measure_is_the_change_between_the_periods_alone(hand_made):
    rows = waterfall_for(hand_made, [])
    assert [row["measure"] for row in rows] == ["between_periods", "total"]
    assert rows[0]["import_pp"] == rows[1]["import_pp"] == pytest.approx(0.0)


def test_diverted_boxes_are_pooled_pairs_of_the_full_after_and_the_same_days_without_diversion(hand_made):
    diverted = hand_made["diverted_boxes"]
    assert diverted["n"] == 3                      # box A of each seed; C is not in the traditional run
    assert diverted["moves"] == {"before": 2.0, "after": 1.0, "change_pct": pytest.approx(-50.0)}
    assert diverted["hours_to_first_destination"]["change_pct"] == pytest.approx(-90.0)


def test_what_if_has_every_subset_of_the_measures(hand_made):
    runs = hand_made["what_if"]["runs"]
    assert len(runs) == 2 ** len(MEASURE_IDS) == 32
    assert set(runs) == {subset_key(s) for s in all_subsets()}
    assert hand_made["what_if"]["measures"] == list(MEASURE_IDS)


def test_ci95_uses_the_t_quantile_and_needs_two_seeds():
    assert mean_ci([1.0, 3.0]) == (2.0, pytest.approx(12.706 * math.sqrt(2) / math.sqrt(2)))
    assert mean_ci([5.0]) == (5.0, None)
    assert mean_ci([None, None]) == (None, None)
    assert reconstruction.t95(10) == 2.228 and reconstruction.t95(60) == pytest.approx(2.000, abs=0.002)


def test_a_seed_without_boxes_in_its_window_drops_out_of_that_direction_only(scenario):
    results = hand_made_results(3)
    for figures in results:
        if figures["seed"] == 2:
            figures["clearance"]["import"].update(mean=None, median=None, n=0)
    report = assemble(results, scenario, Settings.of(scenario), 3)
    rows = report["port_wide"]["clearance_hours"]
    assert (rows["import"]["seeds_measured"], rows["export"]["seeds_measured"]) == (2, 3)
    per_seed = [-7 / (60 + s * 0.7) * 100 for s in range(2)]
    assert rows["import"]["change_pct"] == pytest.approx(statistics.fmean(per_seed))
    assert sum(row["import_pp"] for row in bars(report["waterfall"])) == pytest.approx(rows["import"]["change_pct"])


def test_jobs_are_one_before_and_an_after_for_every_subset_per_seed(scenario):
    settings = Settings.of(scenario)
    jobs = reconstruction.jobs_for(scenario, settings, 2)
    assert len(jobs) == 2 * 33
    before = [job for job in jobs if job.key is None]
    assert [job.seed for job in before] == [0, 1]
    assert all(job.scenario.start == scenario.start and job.scenario.flow == "traditional"
               and job.scenario.measures == frozenset() for job in before)
    afters = [job for job in jobs if job.key is not None and job.seed == 0]
    assert {job.key for job in afters} == {subset_key(s) for s in all_subsets()}
    assert all(job.scenario.start == settings.after_start and job.scenario.diversion_everywhere is False
               for job in afters)
    full = next(job for job in afters if job.full_after)
    assert full.key == FULL and full.scenario.flow == "diversion"
    assert full.scenario.measures == ALL - {"smart_diversion"}   # smart diversion is the flow


# -- the shipped scenario and the command ------------------------------------------------------------
def test_shipped_scenario_samples_the_same_weekdays_a_year_apart(scenario):
    settings = Settings.of(scenario)
    assert settings.after_start - scenario.start == timedelta(days=364)
    assert scenario.start.weekday() == settings.after_start.weekday() == 0
    assert settings.sample_days == 7                  # a whole week: every weekday, a Sunday included
    assert (settings.drain_days, settings.seeds) == (6, 10)
    assert scenario.flow == "traditional" and scenario.measures == frozenset()
    assert scenario.diversion_everywhere is False and scenario.scale == 0.05


def test_simulate_report_writes_the_reconstruction_for_a_scenario_with_one(tmp_path, monkeypatch, hand_made, capsys):
    import run
    calls = {}

    def fake(profile, scenario, *, seeds, workers=2, progress=None):
        calls.update(seeds=seeds, workers=workers, scale=scenario.scale)
        return hand_made
    monkeypatch.setattr(reconstruction, "reconstruct", fake)
    out = tmp_path / "report.json"
    assert run.main(["simulate", "--scenario", SCENARIO, "--report", str(out), "--seeds", "3"]) == 0
    assert calls == {"seeds": 3, "workers": 2, "scale": 0.05}
    assert json.loads(out.read_text(encoding="utf-8"))["waterfall"] == hand_made["waterfall"]
    assert "-9.76" in capsys.readouterr().out


# -- one real reconstruction, tiny ------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny(scenario):
    """Diversion at every terminal here, so that the one or two calls of the sample divert boxes
    whatever the profile's start dates."""
    table = {**scenario.extra["reconstruction"], "sample_days": 1, "drain_days": 1}
    small = replace(scenario, scale=0.01, diversion_everywhere=True, extra={**scenario.extra, "reconstruction": table})
    done = []
    report = reconstruction.reconstruct(load_profile("xiamen"), small, seeds=2, workers=2,
                                        progress=lambda n, total: done.append((n, total)))
    return report, done


def test_a_real_reconstruction_has_the_issues_shape_and_survives_json(tiny):
    report, _ = tiny
    assert has_shape(report, SHAPE)
    assert json.loads(json.dumps(report)) == report
    assert len(report["what_if"]["runs"]) == 32 and report["seeds"] == 2


def test_a_real_reconstruction_reports_progress_for_each_of_its_runs(tiny):
    _, done = tiny
    assert done[-1] == (66, 66) and len(done) == 66


def test_a_real_reconstructions_waterfall_sums_to_its_change(tiny):
    report, _ = tiny
    assert waterfall_for(report, ALL) == report["waterfall"]
    for direction in ("import", "export"):
        change = report["port_wide"]["clearance_hours"][direction]["change_pct"]
        assert sum(row[f"{direction}_pp"] for row in bars(report["waterfall"])) == pytest.approx(change)


def test_a_real_reconstruction_has_an_interval_wherever_two_seeds_measured_boxes(tiny):
    report, _ = tiny
    for direction in ("import", "export"):
        row = report["port_wide"]["clearance_hours"][direction]
        assert row["seeds_measured"] >= 1
        assert (row["ci95_pp"] is None) == (row["seeds_measured"] < 2)
        assert row["ci95_pp"] is None or row["ci95_pp"] >= 0
    assert report["port_wide"]["clearance_hours"]["export"]["seeds_measured"] == 2  # exports every day


def test_a_real_reconstructions_diverted_boxes_save_their_yard_move(tiny):
    diverted = tiny[0]["diverted_boxes"]
    assert diverted["n"] > 0
    assert diverted["moves"]["after"] == 1.0 and diverted["moves"]["before"] >= 2.0
