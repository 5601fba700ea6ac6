"""`run.py simulate`: flat out to a file, an A/B or reconstruction report, or commands for the
running demo."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime

from feeds.profile import load_profile
from simulator.generate import iter_lines, run_events, with_start
from simulator.measures import parse_measures
from simulator.report import ab_report
from simulator.scenario import load_scenario


def offline(args, profile_name: str) -> int:
    profile = load_profile(profile_name)
    scenario = with_start(load_scenario(args.scenario or "normal"),
                          datetime.fromisoformat(args.start) if args.start else None)
    if args.report and "reconstruction" in scenario.extra:
        return reconstruction_report(args, profile, scenario)
    if args.report:
        report = ab_report(profile, scenario, days=args.days, seed=args.seed)
        args.report.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        diverted, port = report["diverted_boxes"], report["port_wide"]["clearance_hours"]
        print(f"A/B report in {args.report}: {diverted['n']:,} diverted boxes, moves "
              f"{_pct(diverted['moves']['change_pct'])}, hours to the first destination "
              f"{_pct(diverted['hours_to_first_destination']['change_pct'])}; overall clearance (mean) "
              f"import {_pct(port['import']['change_pct'])}, export {_pct(port['export']['change_pct'])}")
    if args.out:
        started = time.perf_counter()
        events = run_events(profile, scenario, days=args.days, seed=args.seed)
        with open(args.out, "wb") as handle:
            handle.writelines(iter_lines(events))
        seconds = time.perf_counter() - started
        print(f"{len(events):,} events ({events[0]['time']} → {events[-1]['time']}) in {seconds:.1f} s "
              f"({len(events) / seconds:,.0f} events/s) → {args.out}")
    return 0


def _pct(value) -> str:
    return "—" if value is None else f"{value:+.1f} %"


def reconstruction_report(args, profile, scenario) -> int:
    """The before/after reconstruction (simulator/reconstruction.py) to --report, its headline printed."""
    from simulator import reconstruction

    seeds = getattr(args, "seeds", None)
    seeds = reconstruction.Settings.of(scenario).seeds if seeds is None else seeds
    if seeds < 1 or getattr(args, "workers", 2) < 1:
        raise ValueError("--seeds and --workers must be at least 1")
    started = time.perf_counter()
    report = reconstruction.reconstruct(
        profile, scenario, seeds=seeds, workers=getattr(args, "workers", 2),
        progress=lambda done, total: print(f"\r{done}/{total} runs", end="", file=sys.stderr, flush=True))
    print(file=sys.stderr)
    args.report.write_text(json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"reconstruction report in {args.report} ({time.perf_counter() - started:.0f} s):")
    print(reconstruction.headline(report))
    return 0


def command_of(args) -> dict:
    if args.reset:
        return {"action": "reset"}
    if args.pause:
        return {"action": "pause"}
    if args.resume:
        return {"action": "resume"}
    if args.jump is not None:
        return {"action": "jump", "hours": args.jump}
    measures = getattr(args, "measures", None)
    if args.speed is not None and args.scenario is None and measures is None:  # only a new pace for the run as it is
        return {"action": "speed", "speed": args.speed}
    return {"action": "start", "scenario": args.scenario or "normal", "seed": args.seed,
            **({"speed": args.speed} if args.speed is not None else {}),
            **({"measures": sorted(parse_measures(measures))} if measures is not None else {})}


def drive_running_demo(args, config, demo_port_id: str) -> int:
    """Queue the command for the running service's demo (it takes it within a second)."""
    import redis

    from feeds.embedded import read_url
    from feeds.keys import PortKeys

    load_scenario(args.scenario or "normal")  # a wrong name fails here, with the list of scenarios
    command = command_of(args)                # and a wrong measure, naming it
    url = args.redis_url or config.redis_url or read_url(config.data_dir)
    if not url:
        print("no running service: start it with `python run.py` (or give --redis-url)", file=sys.stderr)
        return 2
    redis.Redis.from_url(url).rpush(PortKeys(demo_port_id).control, json.dumps(command))
    print(f"sent to the running demo: {command}")
    return 0
