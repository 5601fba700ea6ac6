"""`run.py simulate`: flat out to a file or an A/B report, or commands for the running demo."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime

from feeds.profile import load_profile
from simulator.generate import iter_lines, run_events, with_start
from simulator.report import ab_report
from simulator.scenario import load_scenario


def offline(args, profile_name: str) -> int:
    profile = load_profile(profile_name)
    scenario = with_start(load_scenario(args.scenario or "normal"),
                          datetime.fromisoformat(args.start) if args.start else None)
    if args.report:
        report = ab_report(profile, scenario, days=args.days, seed=args.seed)
        args.report.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        change = report["change"]
        print(f"A/B report in {args.report}: moves per import box {change['moves_per_import_box']:+.1%}, "
              f"first step {change['first_step_hours']:+.1%}, import clearance "
              f"{change['clearance_hours_import']:+.1%}, export clearance {change['clearance_hours_export']:+.1%}")
    if args.out:
        started = time.perf_counter()
        events = run_events(profile, scenario, days=args.days, seed=args.seed)
        with open(args.out, "wb") as handle:
            handle.writelines(iter_lines(events))
        seconds = time.perf_counter() - started
        print(f"{len(events):,} events ({events[0]['time']} → {events[-1]['time']}) in {seconds:.1f} s "
              f"({len(events) / seconds:,.0f} events/s) → {args.out}")
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
    if args.speed is not None and args.scenario is None:  # only a new pace for the run as it is
        return {"action": "speed", "speed": args.speed}
    return {"action": "start", "scenario": args.scenario or "normal", "seed": args.seed,
            **({"speed": args.speed} if args.speed is not None else {})}


def drive_running_demo(args, config, demo_port_id: str) -> int:
    """Queue the command for the running service's demo (it takes it within a second)."""
    import redis

    from feeds.embedded import read_url
    from feeds.keys import PortKeys

    load_scenario(args.scenario or "normal")  # a wrong name fails here, with the list of scenarios
    url = args.redis_url or config.redis_url or read_url(config.data_dir)
    if not url:
        print("no running service: start it with `python run.py` (or give --redis-url)", file=sys.stderr)
        return 2
    command = command_of(args)
    redis.Redis.from_url(url).rpush(PortKeys(demo_port_id).control, json.dumps(command))
    print(f"sent to the running demo: {command}")
    return 0
