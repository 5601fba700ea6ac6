"""The before/after reconstruction of the port's published year on year (issue #15).

For each seed: one "before" run (no measure, at the scenario's start) and one "after" run for
every subset of the platform's measures (at `[reconstruction] after_start`, 52 weeks later so
that weekdays match; smart diversion only at terminals whose `diversion_since` has come). Runs
with the same seed are paired box by box, so each figure is a per-seed change, averaged over the
seeds with a 95 % t-interval. The waterfall and the presenters' what-if read these real runs
(`what_if.runs`) instead of adding up bars measured alone.
"""

from __future__ import annotations

import importlib
import itertools
import json
import math
import multiprocessing
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Callable

from simulator import measure
from simulator.measures import MEASURE_IDS, MEASURES, subset_key

PUBLISHED = {"import_pct": -9.76, "export_pct": -29.08,
             "source": "the seed port, overall clearance time in the platform's first half-year, "
                       "year on year, all measures together (PORT_DOMAIN.md)"}
DIRECTIONS = ("import", "export")
BETWEEN_PERIODS = {"measure": "between_periods",
                   "title": {"zh": "两期之间的其他变化", "en": "Between the periods"},
                   "source": "the same port a year later with none of the measures: what changed "
                             "between the two periods that is not the platform's"}
DIVERTED_DEFINITION = (
    "Boxes whose discharge in the after run (all measures) sent them straight to the inspection "
    "site or onto a road truck (container.discharged data.to inspection/direct), paired with the "
    "same container numbers in the seed's after run with every measure but smart diversion (the "
    "same days, the traditional flow): moves = container.discharged and container.moved events up "
    "to the lift that sends the box to the inspection site or onto a truck; hours = its discharge "
    "to that lift for the inspection site, to its gate.out for the road (unloading to lift-off); "
    "means pooled over the seeds.")
# The pair of the diverted boxes: the same days with every measure but smart diversion.
TRADITIONAL_AFTER = subset_key(set(MEASURE_IDS) - {"smart_diversion"})
# Two-sided 95 % Student t quantiles for 1..30 degrees of freedom (scipy is not a dependency).
T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
       2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
       2.052, 2.048, 2.045, 2.042)


@dataclass(frozen=True)
class Settings:
    """The `[reconstruction]` table of the scenario."""
    after_start: datetime
    sample_days: float
    drain_days: float
    seeds: int

    @classmethod
    def of(cls, scenario) -> "Settings":
        table = scenario.extra.get("reconstruction")
        if not table:
            raise ValueError(f"scenario {scenario.name!r} has no [reconstruction] table")
        after = table["after_start"]
        return cls(after_start=after if isinstance(after, datetime) else datetime.fromisoformat(after),
                   sample_days=float(table.get("sample_days", 2)), drain_days=float(table.get("drain_days", 10)),
                   seeds=int(table.get("seeds", 10)))


@dataclass(frozen=True)
class Job:
    """One run to make and measure: the "before", or the "after" with one subset of measures."""
    seed: int
    key: str | None                   # subset_key of the after's measures; None for the before
    scenario: object
    settings: Settings

    @property
    def full_after(self) -> bool:
        return self.key == subset_key(MEASURE_IDS)


def t95(df: int) -> float:
    if df < 1:
        return math.nan
    return T95[df - 1] if df <= len(T95) else 1.96 + 2.4 / df  # within 0.002 of the true quantile


def mean_ci(values: list[float | None]) -> tuple[float | None, float | None]:
    """The mean over seeds and the half-width of its 95 % t-interval (None with under 2 seeds)."""
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    if len(values) < 2:
        return statistics.fmean(values), None
    return statistics.fmean(values), t95(len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))


def all_subsets() -> list[frozenset]:
    """Every subset of the measures, the empty one first (2^5 = 32)."""
    return [frozenset(combo) for size in range(len(MEASURE_IDS) + 1)
            for combo in itertools.combinations(MEASURE_IDS, size)]


def jobs_for(scenario, settings: Settings, seeds: int) -> list[Job]:
    """The before and the 32 afters of each seed; diversion where the scenario says (the shipped
    one: only at terminals whose `diversion_since` has come)."""
    before = scenario.with_measures([])
    jobs = []
    for seed in range(seeds):
        jobs.append(Job(seed, None, before, settings))
        for subset in all_subsets():
            after = replace(scenario.with_measures(subset), start=settings.after_start)
            jobs.append(Job(seed, subset_key(subset), after, settings))
    return jobs


def run_job(profile, job: Job) -> dict:
    """Run and measure one job; only small figures go back to the parent, never the events."""
    from simulator.generate import run_events  # in the worker: the model is imported there
    settings = job.settings
    events = run_events(profile, job.scenario, days=settings.sample_days, seed=job.seed,
                        drain_days=settings.drain_days)
    start = job.scenario.start.timestamp()
    end = start + settings.sample_days * 86400
    figures = {"seed": job.seed, "key": job.key, "clearance": measure.clearance_hours(events, start, end)}
    if job.key == TRADITIONAL_AFTER:  # the diverted boxes' pair: every box's first destination
        figures["first_destinations"] = measure.first_destinations(events)
    elif job.full_after:   # the after with all measures: its diverted boxes of the window
        diverted = measure.diverted_boxes(events, start, end)
        figures["first_destinations"] = measure.first_destinations(events, diverted)
    return figures


def run_jobs(profile, jobs: list[Job], workers: int, progress: Callable | None) -> list[dict]:
    """All jobs, in a pool of `workers` spawned processes (inline with one worker)."""
    results = []
    if workers <= 1:
        for job in jobs:
            results.append(run_job(profile, job))
            progress and progress(len(results), len(jobs))
        return results
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = [pool.submit(run_job, profile, job) for job in jobs]
        for future in futures:
            results.append(future.result())
            progress and progress(len(results), len(jobs))
    finally:  # a failed run stops the rest instead of waiting for them
        pool.shutdown(cancel_futures=True)
    return results


def reconstruct(profile, scenario, *, seeds: int, workers: int = 2, progress: Callable | None = None) -> dict:
    """The reconstruction report (the issue's shape; module docstring): `seeds` × 33 runs in
    `workers` processes; `progress(done, total)` is called after each run."""
    settings = Settings.of(scenario)
    return assemble(run_jobs(profile, jobs_for(scenario, settings, seeds), workers, progress),
                    scenario, settings, seeds)


def assemble(results: list[dict], scenario, settings: Settings, seeds: int) -> dict:
    """The report from the runs' figures (run_job's dicts, in any order)."""
    before = {r["seed"]: r for r in results if r["key"] is None}
    after = {(r["seed"], r["key"]): r for r in results if r["key"] is not None}
    runs = what_if_runs(before, after, seeds)
    report = {"what_if": {"measures": list(MEASURE_IDS), "runs": runs}, "seeds": seeds,
              "published": PUBLISHED, "assumptions": assumptions(),
              "definition": {"clearance": measure.CLEARANCE_DEFINITION, "diverted_boxes": DIVERTED_DEFINITION},
              "scenario": scenario.name, "before_start": scenario.start.isoformat(),
              "after_start": settings.after_start.isoformat(), "sample_days": settings.sample_days,
              "drain_days": settings.drain_days, "scale": getattr(scenario, "scale", None)}
    report["port_wide"] = {"clearance_hours": port_wide(before, after, runs, seeds)}
    report["diverted_boxes"] = diverted_report(before, after, seeds)
    report["waterfall"] = waterfall_for(report, MEASURE_IDS)
    full = report["port_wide"]["clearance_hours"]
    report["unexplained"] = {f"{d}_pp": _minus(PUBLISHED[f"{d}_pct"], full[d]["change_pct"]) for d in DIRECTIONS}
    return json.loads(json.dumps(report))  # as its file will read: tuples (assumptions) become lists


def _minus(a, b):
    return None if a is None or b is None else a - b


def what_if_runs(before: dict, after: dict, seeds: int) -> dict:
    """subset_key → {direction: {"mean", "median", "change_pct", "ci95_pp", "per_seed_change_pct"}}:
    hours averaged over seeds, the change of each seed's mean against its before, averaged."""
    runs = {}
    for subset in all_subsets():
        key = subset_key(subset)
        runs[key] = {}
        for direction in DIRECTIONS:
            now = [after[seed, key]["clearance"][direction] for seed in range(seeds)]
            was = [before[seed]["clearance"][direction] for seed in range(seeds)]
            per_seed = [measure.change_pct(b["mean"], a["mean"]) for b, a in zip(was, now)]
            change, ci = mean_ci(per_seed)
            runs[key][direction] = {"mean": _mean_of(now, "mean"), "median": _mean_of(now, "median"),
                                    "change_pct": change, "ci95_pp": ci, "per_seed_change_pct": per_seed}
    return runs


def _mean_of(figures: list[dict], key: str) -> float | None:
    values = [f[key] for f in figures if f[key] is not None]
    return statistics.fmean(values) if values else None


def port_wide(before: dict, after: dict, runs: dict, seeds: int) -> dict:
    """Clearance before (no measure) and after (all of them): means and medians over seeds."""
    full = subset_key(MEASURE_IDS)
    table = {}
    for direction in DIRECTIONS:
        was = [before[seed]["clearance"][direction] for seed in range(seeds)]
        now = [after[seed, full]["clearance"][direction] for seed in range(seeds)]
        medians = [measure.change_pct(b["median"], a["median"]) for b, a in zip(was, now)]
        table[direction] = {
            "before": _mean_of(was, "mean"), "after": _mean_of(now, "mean"),
            "change_pct": runs[full][direction]["change_pct"], "ci95_pp": runs[full][direction]["ci95_pp"],
            "before_median": _mean_of(was, "median"), "after_median": _mean_of(now, "median"),
            "median_change_pct": mean_ci(medians)[0],
            "n_before": sum(f["n"] for f in was), "n_after": sum(f["n"] for f in now),
            # seeds whose window held boxes of this direction (a sparse sample may hold no call)
            "seeds_measured": sum(c is not None for c in runs[full][direction]["per_seed_change_pct"])}
    table["import"]["from_berthed"] = sum(after[seed, full]["clearance"]["import"]["from_berthed"]
                                          for seed in range(seeds))
    return table


def diverted_report(before: dict, after: dict, seeds: int) -> dict:
    """Diverted boxes of each seed's full after, paired with the same days in the traditional flow
    (every other measure on), pooled over the seeds."""
    full = subset_key(MEASURE_IDS)
    pairs = []
    for seed in range(seeds):
        pairs += measure.pair_boxes(after[seed, TRADITIONAL_AFTER]["first_destinations"],
                                    after[seed, full]["first_destinations"])
    return measure.paired_summary(pairs)


def _bar(row: dict, per_seed: dict[str, list]) -> dict:
    for direction in DIRECTIONS:
        row[f"{direction}_pp"], row[f"{direction}_ci95_pp"] = mean_ci(per_seed[direction])
    return row


def waterfall_for(report: dict, enabled) -> list[dict]:
    """The waterfall for any set of measures, read from the report's what-if runs: the change
    between the periods with no measure, then the measures added one at a time in waterfall
    order (each bar = change with it − change without it, per seed, averaged, with its 95 %
    interval), then the total (the change with all of `enabled`); bars sum to the total."""
    runs = report["what_if"]["runs"]
    per_seed = lambda key, d: runs[key][d]["per_seed_change_pct"]  # noqa: E731
    rows = [_bar({**BETWEEN_PERIODS, "kind": "period"}, {d: per_seed("", d) for d in DIRECTIONS})]
    chosen = [m for m in MEASURES if m.id in set(enabled)]
    for index, item in enumerate(chosen):
        without = subset_key(m.id for m in chosen[:index])
        with_it = subset_key(m.id for m in chosen[:index + 1])
        steps = {d: [_minus(a, b) for a, b in zip(per_seed(with_it, d), per_seed(without, d))] for d in DIRECTIONS}
        rows.append(_bar({"measure": item.id, "title": item.title, "source": item.source, "kind": "measure"}, steps))
    total = subset_key(m.id for m in chosen)
    rows.append(_bar({"measure": "total", "title": {"zh": "合计", "en": "Total"}, "kind": "total",
                      "source": f"all of: {total or 'no measure'}"}, {d: per_seed(total, d) for d in DIRECTIONS}))
    return rows


def assumptions() -> list:
    """The model's parameters without a public source, as its modules list them (ASSUMPTIONS)."""
    found = []
    for name in ("simulator.traffic", "simulator.imports", "simulator.exports", "simulator.customs", "simulator.model"):
        found += list(getattr(importlib.import_module(name), "ASSUMPTIONS", ()))
    return found


def headline(report: dict) -> str:
    """The report in a few lines, for the command line."""
    lines = []
    for direction in DIRECTIONS:
        row = report["port_wide"]["clearance_hours"][direction]
        lines.append(f"{direction} clearance {_hours(row['before'])} → {_hours(row['after'])} (mean): "
                     f"{_pct(row['change_pct'])} ± {_pp(row['ci95_pp'])} over {report['seeds']} seeds, "
                     f"published {report['published'][f'{direction}_pct']:+.2f} % "
                     f"(unexplained {_pp(report['unexplained'][f'{direction}_pp'])})")
    diverted = report["diverted_boxes"]
    lines.append(f"diverted boxes (n={diverted['n']}): moves {_num(diverted['moves']['before'])} → "
                 f"{_num(diverted['moves']['after'])} ({_pct(diverted['moves']['change_pct'])}), hours to the first "
                 f"destination {_hours(diverted['hours_to_first_destination']['before'])} → "
                 f"{_hours(diverted['hours_to_first_destination']['after'])} "
                 f"({_pct(diverted['hours_to_first_destination']['change_pct'])})")
    return "\n".join(lines)


def _pct(value) -> str:
    return "n/a" if value is None else f"{value:+.2f} %"


def _pp(value) -> str:
    return "n/a" if value is None else f"{value:.2f} pp"


def _hours(value) -> str:
    return "n/a" if value is None else f"{value:.2f} h"


def _num(value) -> str:
    return "n/a" if value is None else f"{value:.2f}"
