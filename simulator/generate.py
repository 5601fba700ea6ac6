"""Run a scenario flat out and collect its events: for files, benchmarks and the A/B report.

The same scenario, days, seed and start give the same events, byte for byte.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable, Iterator

import orjson

from feeds.profile import PortProfile
from simulator.emitter import Emitter
from simulator.model import HOUR, PortModel
from simulator.scenario import Scenario
from simulator.traffic import plan_traffic


class OutageBuffer:
    """A partner's feed goes silent in an outage window; afterwards its backlog arrives late and
    out of order (shuffled with the run's seed), as a partner's batch upload does."""

    def __init__(self, scenario: Scenario, seed: int, sink: Callable[[dict], None]):
        self.windows = scenario.outages
        self.start = scenario.start
        self.sink = sink
        self.rng = random.Random(seed * 31 + 7)
        self.held: dict[int, list[dict]] = {i: [] for i in range(len(self.windows))}

    def __call__(self, event: dict, now_hours: float) -> None:
        self.release(now_hours)
        for index, window in enumerate(self.windows):
            if event["source"] == window.source and window.holds(now_hours):
                self.held[index].append(event)
                return
        self.sink(event)

    def release(self, now_hours: float, *, everything: bool = False) -> None:
        for index, window in enumerate(self.windows):
            backlog = self.held[index]
            if backlog and (everything or now_hours >= window.start_hours + window.hours):
                self.rng.shuffle(backlog)
                for event in backlog:
                    self.sink(event)
                backlog.clear()


WARMUP_DAYS = 2      # the port is already busy at the start: its last two days are run first
LOOKAHEAD_DAYS = 8   # ships due after the run still have their export boxes trucked in during it (6.5 days ahead on average)


def build(profile: PortProfile, scenario: Scenario, *, days: float, seed: int,
          sink: Callable[[dict], None]) -> tuple[PortModel, OutageBuffer]:
    """A model whose zero is WARMUP_DAYS before the scenario's start; its events go through the
    outage windows to `sink`."""
    span = WARMUP_DAYS + days + LOOKAHEAD_DAYS
    plan = plan_traffic(profile, seed=seed, days=span, boxes_per_day=scenario.boxes_per_day, scale=scenario.scale)
    model_box: list[PortModel] = []
    outages = OutageBuffer(scenario, seed, sink)
    zero = scenario.start.astimezone(profile.timezone) - timedelta(days=WARMUP_DAYS)  # times in port time
    # without outage windows, events go straight to the sink (a call less for each of ~500,000)
    emitter = Emitter(profile, zero, (lambda event: outages(event, model_box[0].hours())) if scenario.outages else sink)
    model_box.append(PortModel(emitter, scenario, plan, seed=seed, warmup_hours=WARMUP_DAYS * 24))
    return model_box[0], outages


def run_events(profile: PortProfile, scenario: Scenario, *, days: float, seed: int,
               drain_days: float = 0) -> list[dict]:
    """The warm-up and `days` of the scenario, flat out; then `drain_days` in which no ship and no
    export truck comes any more, for the boxes in port to leave (the reports' measured boxes)."""
    events: list[dict] = []
    model, outages = build(profile, scenario, days=days, seed=seed, sink=events.append)
    if drain_days:
        model.quiet_after = (WARMUP_DAYS + days) * 24 * HOUR
    model.env.run(until=(WARMUP_DAYS + days + drain_days) * 24 * HOUR)
    outages.release(0, everything=True)
    return events


def with_start(scenario: Scenario, start: datetime | None) -> Scenario:
    return scenario if start is None else replace(scenario, start=start)


def iter_lines(events: list[dict]) -> Iterator[bytes]:
    for event in events:
        yield orjson.dumps(event) + b"\n"
