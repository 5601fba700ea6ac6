"""The demo at the pace of a meeting: the model runs at ×speed of the wall clock and publishes
through the feeds publisher into the demo namespace, like a partner would.

Commands (from /demo, the HTTP API or `run.py simulate`): start a scenario (with the platform's
measures in force, simulator/measures.py, or the scenario's own), pause, resume, change speed,
jump forward, reset. The run starts with the port's last two days at full speed (the
warm-up, on the run's own thread), so the wall is busy within seconds. `clock.tick` events carry port time every wall second.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace

from feeds.profile import PortProfile
from simulator.generate import WARMUP_DAYS, build
from simulator.measures import parse_measures
from simulator.model import HOUR
from simulator.scenario import load_scenario, scenario_names

log = logging.getLogger(__name__)

LIVE_DAYS = 5          # a demo run covers five days of port time (2 h at ×60, 12 min at ×600), then starts over
MAX_SPEED = 3600
STEP_SECONDS = 0.1     # how often the model is advanced and its events published
BATCH = 5000


@dataclass
class DemoStatus:
    scenario: str | None = None
    speed: float = 60.0
    paused: bool = False
    running: bool = False
    seed: int = 1
    port_time: str | None = None
    behind_seconds: float = 0.0        # port time the model could not keep up with (×3600)
    events_published: int = 0
    started_at: float | None = None
    last_error: str | None = None
    warming_up: bool = False           # running the port's last two days flat out
    measures: list = field(default_factory=list)  # the measures in force (ids, sorted)


ACTIONS = ("start", "pause", "resume", "speed", "jump", "reset", "stop")
ARGUMENTS = {"start": ("scenario", "speed", "seed", "measures"), "speed": ("speed",), "jump": ("hours",),
             "pause": (), "resume": (), "reset": (), "stop": ()}
MAX_JUMP_HOURS = 48


def _check_argument(name: str, value) -> None:
    if name == "scenario":
        if not isinstance(value, str):
            raise ValueError("scenario must be a scenario's name")
        return
    if name == "measures":
        if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
            raise ValueError("measures must be a list of measure ids")
        parse_measures(value)  # an unknown id: a ValueError naming it
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    if name == "seed" and (not isinstance(value, int) or not 0 <= value < 2 ** 32):
        raise ValueError("seed must be a whole number from 0 to 4294967295")
    if name == "hours" and not 0 < value <= MAX_JUMP_HOURS:
        raise ValueError(f"hours must be more than 0 and at most {MAX_JUMP_HOURS}")


class LiveSimulator:
    def __init__(self, profile: PortProfile, publish, *, reset_namespace=None, boxes_per_day: int | None = None,
                 what_if=None):
        self.profile = profile
        self.what_if = what_if                  # simulator.whatif.WhatIf: the measures and the report, for /demo
        self.boxes_per_day = boxes_per_day      # the scenario's own when None
        self.publish = publish                  # list of events → stream ids (a Publisher.publish)
        self.reset_namespace = reset_namespace  # clears the demo namespace and the state
        self.status = DemoStatus()
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._model = self._outages = None
        self._pending: list[dict] = []
        self._anchor = (0.0, 0.0)               # (model seconds, wall seconds) at the last change
        self._ticks = 0
        self._scenarios: list[dict] | None = None
        self._measures = None                   # the measures the run was started with (None: the scenario's)

    def scenarios(self) -> list[dict]:
        """[{name, title: {zh, en}}] of every scenario file (read once)."""
        if self._scenarios is None:
            self._scenarios = [{"name": name, "title": load_scenario(name).title} for name in scenario_names()]
        return self._scenarios

    # -- commands ------------------------------------------------------------------------------
    def command(self, action: str, **args) -> DemoStatus:
        """One command from outside (the page, the HTTP API, `run.py simulate`): its arguments are
        checked here, so that a wrong one is a clear ValueError and never a dead run."""
        handlers = {"start": self.start, "pause": self.pause, "resume": self.resume,
                    "speed": self.set_speed, "jump": self.jump, "reset": self.reset, "stop": self.stop}
        if action not in handlers:
            raise ValueError(f"unknown action {str(action)[:40]!r} (one of {', '.join(ACTIONS)})")
        unknown = sorted(set(args) - set(ARGUMENTS[action]))
        if unknown:
            raise ValueError(f"{action} takes {', '.join(ARGUMENTS[action]) or 'no arguments'}, not {', '.join(unknown)}")
        for name, value in args.items():
            _check_argument(name, value)
        handlers[action](**args)
        return self.status

    def start(self, scenario: str = "normal", speed: float | None = None, seed: int = 1, measures=None) -> None:
        """`measures`: the ids in force (simulator/measures.py); None keeps the scenario's own."""
        chosen = load_scenario(str(scenario))  # fails before anything is stopped when the name is wrong
        if measures is not None:
            chosen = chosen.with_measures(measures)
        if self.boxes_per_day:  # thinner traffic: every ship still calls, with fewer boxes
            chosen = replace(chosen, scale=chosen.scale * self.boxes_per_day / chosen.boxes_per_day)
        self.stop()
        if self.reset_namespace:
            self.reset_namespace()
        with self._lock:
            self._measures = measures  # the next run (the same scenario after five days) keeps them
            self.status = DemoStatus(scenario=chosen.name, speed=self._checked(speed or self.status.speed),
                                     running=True, seed=seed, started_at=time.time(), warming_up=True,
                                     measures=chosen.measures_in_force())
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(chosen,), name="demo-simulator", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._lock:
            if self._model is None:
                return
            # frozen where the model is, not where it should be: a run behind its target would
            # otherwise go on publishing after the pause, to catch up
            self._anchor = (min(self._target(), self._model.env.now), time.monotonic())
            self.status.paused = True

    def resume(self) -> None:
        with self._lock:
            self._anchor = (self._anchor[0], time.monotonic())
            self.status.paused = False

    def set_speed(self, speed: float) -> None:
        with self._lock:
            self._anchor = (self._target(), time.monotonic())
            self.status.speed = self._checked(speed)

    def jump(self, hours: float) -> None:
        with self._lock:
            self._anchor = (self._target() + float(hours) * HOUR, time.monotonic())

    def reset(self) -> None:
        self.stop()
        if self.reset_namespace:
            self.reset_namespace()
        self.status = DemoStatus(speed=self.status.speed)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        self._thread = None
        self.status.running = False

    @staticmethod
    def _checked(speed) -> float:
        speed = float(speed)
        if not 1 <= speed <= MAX_SPEED:
            raise ValueError(f"speed must be between 1 and {MAX_SPEED}")
        return speed

    # -- the loop ------------------------------------------------------------------------------
    def _target(self) -> float:
        """Model seconds the run should have reached now."""
        model_at, wall_at = self._anchor
        if self.status.paused or self.status.warming_up:
            return model_at
        return model_at + (time.monotonic() - wall_at) * self.status.speed

    def _warm_up(self) -> None:
        """The port's last two days, flat out, an hour at a time (commands may come between)."""
        end = WARMUP_DAYS * 24 * HOUR
        while not self._stop.is_set() and self._model.env.now < end:
            with self._lock:
                self._run_until(min(end, self._model.env.now + HOUR))
        with self._lock:
            self._anchor = (self._model.env.now, time.monotonic())
            self.status.warming_up = False

    def _loop(self, scenario) -> None:
        with self._lock:  # planning the traffic takes seconds: on this thread, not the caller's
            self._model, self._outages = build(self.profile, scenario, days=LIVE_DAYS, seed=self.status.seed,
                                               sink=self._pending.append)
        self._warm_up()
        last_tick = 0.0
        while not self._stop.wait(STEP_SECONDS):
            try:
                with self._lock:
                    if self._model.env.now >= (WARMUP_DAYS + LIVE_DAYS) * 24 * HOUR:
                        threading.Thread(target=self.start, kwargs={"scenario": self.status.scenario,
                                                                    "seed": self.status.seed + 1,
                                                                    "measures": self._measures}).start()
                        return
                    self._run_until(self._target(), budget=STEP_SECONDS * 2)
                    if time.monotonic() - last_tick >= 1.0 and not self.status.paused:
                        self._tick()
                        last_tick = time.monotonic()
            except Exception:  # the demo must never take the service down
                log.exception("demo simulator step failed; stopping the run")
                self.status.running = False
                return

    def _run_until(self, target: float, budget: float | None = None) -> None:
        """Advance the model to `target`, an hour of port time at a time, within a time budget."""
        env, started = self._model.env, time.monotonic()
        while env.now < target:
            env.run(until=min(target, env.now + HOUR))
            self._flush()
            if budget is not None and time.monotonic() - started > budget:
                break
        self.status.behind_seconds = max(0.0, target - env.now)
        self.status.port_time = self._model.emit.time_text(env.now)

    def _flush(self) -> None:
        """Publish what the model emitted; if the store is away, keep it and try again next step."""
        self._outages.release(self._model.hours())
        while self._pending:
            batch = self._pending[:BATCH]
            try:
                self.publish(batch)
            except Exception as exc:  # e.g. Redis restarting: nothing is dropped
                self.status.last_error = f"{type(exc).__name__}: {exc}"[:200]
                return
            del self._pending[:len(batch)]
            self.status.events_published += len(batch)
            self.status.last_error = None

    def _tick(self) -> None:
        self._ticks += 1
        self.publish([{"id": f"tick-{self.status.started_at:.0f}-{self._ticks}", "type": "clock.tick",
                       "time": self._model.emit.time_text(self._model.env.now), "source": "simulator.demo"}])
