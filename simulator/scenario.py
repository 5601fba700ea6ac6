"""Scenarios: one TOML file each in simulator/scenarios/ — add a file, get a scenario."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from simulator.measures import ALL, parse_measures

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
FLOWS = ("traditional", "diversion")


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class Window:
    start_hours: float
    hours: float
    factor: float = 1.0
    source: str = ""
    call: int = -1

    def holds(self, hours: float) -> bool:
        return self.start_hours <= hours < self.start_hours + self.hours


@dataclass(frozen=True)
class Scenario:
    name: str
    title: dict
    about: dict
    flow: str
    start: datetime
    switch_to_diversion_after_hours: float | None = None
    closures: tuple[Window, ...] = ()
    inspection_surges: tuple[Window, ...] = ()
    outages: tuple[Window, ...] = ()
    breakdowns: tuple[Window, ...] = ()
    boxes_per_day: int = 30_000
    # Every call's boxes, the cranes' pace and the equipment thinned together (the reconstruction
    # samples the port at 1/20): the ships, their schedule and their stays are the whole port's.
    scale: float = 1.0
    # The platform's measures in force (simulator/measures.py). Smart diversion is the `flow`:
    # "diversion" from the start, or from `switch_to_diversion_after_hours`.
    measures: frozenset = ALL
    # Smart diversion at every terminal (the demo), or only at those whose profile gives a
    # `diversion_since` date on or before the day (the reconstruction).
    diversion_everywhere: bool = True
    extra: dict = field(default_factory=dict)

    def with_flow(self, flow: str) -> "Scenario":
        return replace(self, flow=flow, switch_to_diversion_after_hours=None)

    def with_measures(self, measures) -> "Scenario":
        """The measures in force, smart diversion among them (it sets the flow)."""
        chosen = parse_measures(measures)
        return replace(self, measures=chosen - {"smart_diversion"},
                       flow="diversion" if "smart_diversion" in chosen else "traditional",
                       switch_to_diversion_after_hours=None)

    def flow_at(self, hours: float) -> str:
        switch = self.switch_to_diversion_after_hours
        return "diversion" if switch is not None and hours >= switch else self.flow

    def measures_in_force(self) -> list[str]:
        """Every measure the run has, sorted; smart diversion when the flow is (or turns) diversion."""
        diversion = self.flow == "diversion" or self.switch_to_diversion_after_hours is not None
        return sorted(self.measures | ({"smart_diversion"} if diversion else set()))

    def has(self, measure: str) -> bool:
        """Is this measure (other than smart diversion, which is the flow) in force?"""
        return measure in self.measures


def scenario_names() -> list[str]:
    return sorted(path.stem for path in SCENARIOS.glob("*.toml"))


def load_scenario(name: str) -> Scenario:
    path = SCENARIOS / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(f"no scenario {name!r} (scenarios: {', '.join(scenario_names())})")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        flow = raw["flow"]
        if flow not in FLOWS:
            raise ValueError(f"flow must be one of {FLOWS}")
        windows = {kind: tuple(_window(item, kind) for item in raw.get(kind, ()))
                   for kind in ("closures", "inspection_surges", "outages", "breakdowns")}
        return Scenario(name=raw["name"], title=raw["title"], about=raw["about"], flow=flow,
                        start=datetime.fromisoformat(raw["start"]),
                        switch_to_diversion_after_hours=raw.get("switch_to_diversion_after_hours"),
                        boxes_per_day=int(raw.get("boxes_per_day", 30_000)), scale=float(raw.get("scale", 1.0)),
                        measures=parse_measures(raw.get("measures", sorted(ALL))) - {"smart_diversion"},
                        diversion_everywhere=bool(raw.get("diversion_everywhere", True)),
                        extra={key: raw[key] for key in ("reconstruction",) if key in raw}, **windows)
    except (KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"{path.name}: {exc}") from exc


def _window(item: dict, kind: str) -> Window:
    factor = item.get("factor", item.get("crane_factor", 1.0))
    return Window(start_hours=float(item["start_hours"]), hours=float(item["hours"]), factor=float(factor),
                  source=item.get("source", ""), call=int(item.get("call", -1)))
