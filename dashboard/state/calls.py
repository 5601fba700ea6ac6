"""Vessel calls: an IMO number plus a voyage, derived from its events in time order."""

from __future__ import annotations

import bisect
import math

from dashboard.state.timeline import CLASSIFIER, DATA, T, TYPE, entry_data, event_time
from feeds.events import VESSEL_TYPES

MOVEMENTS = {"vessel.arrived": "arrived", "vessel.berthed": "berthed", "vessel.departed": "departed"}
NAMING_TYPES = VESSEL_TYPES | {"container.discharged", "container.loaded"}  # their data.name is the ship's


class VesselCall:
    __slots__ = ("key", "imo", "voyage", "timeline", "own_name", "ship_names", "terminal", "berth", "eta", "etd",
                 "arrived", "berthed", "departed", "expected_import", "expected_export", "boxes",
                 "contradictory")

    def __init__(self, key: tuple, imo: str, voyage: str | None, ship_names: ShipNames | None = None):
        self.key, self.imo, self.voyage = key, imo, voyage
        self.ship_names = ship_names  # the state's, shared by every call
        self.timeline: list[tuple] = []
        self.boxes: set = set()  # box visits that name this call
        self._reset()

    def _reset(self) -> None:
        self.own_name = self.terminal = self.berth = self.eta = self.etd = None
        self.arrived = self.berthed = self.departed = None
        self.expected_import = self.expected_export = None
        self.contradictory = False

    @property
    def name(self) -> str | None:
        """The name the call's own events gave, else the ship's latest from any event."""
        return self.own_name or (self.ship_names.of(self.imo) if self.ship_names is not None else None)

    @property
    def start(self) -> float:
        """When the call begins: its first event (a call named only by box events has none yet)."""
        return self.timeline[0][T] if self.timeline else math.inf

    def add(self, entry: tuple) -> None:
        if not self.timeline or entry >= self.timeline[-1]:
            self.timeline.append(entry)
            self._step(entry)
            self._check_times()
        else:
            bisect.insort(self.timeline, entry)
            self.replace_timeline(self.timeline)

    def replace_timeline(self, entries: list[tuple]) -> None:
        self.timeline = sorted(entries)
        self._reset()
        for entry in self.timeline:
            self._step(entry)
        self._check_times()

    def _step(self, entry: tuple) -> None:
        kind = entry[TYPE]
        if entry[DATA] is not None and b'"name"' in entry[DATA]:  # any event of the call may name the ship
            self.own_name = entry_data(entry).get("name", self.own_name)
        if kind == "vessel.eta":
            self._expect(entry_data(entry))
        elif entry[CLASSIFIER] == "actual" and kind in MOVEMENTS:
            field = MOVEMENTS[kind]  # stepping in time order: first arrival and berthing, last departure
            if field == "departed" or getattr(self, field) is None:
                setattr(self, field, entry[T])
            if kind == "vessel.berthed":
                data = entry_data(entry)
                self.terminal = data.get("terminal", self.terminal)
                self.berth = data.get("berth", self.berth)

    def _expect(self, data: dict) -> None:
        """The latest expectation in event time wins (the timeline is in time order)."""
        for key in ("eta", "etd"):
            if key in data:
                setattr(self, key, event_time(data[key]))
        self.terminal = self.terminal if self.berthed else data.get("terminal", self.terminal)
        self.berth = self.berth if self.berthed else data.get("berth", self.berth)
        self.expected_import = data.get("containers_import", self.expected_import)
        self.expected_export = data.get("containers_export", self.expected_export)

    def _check_times(self) -> None:
        times = [t for t in (self.arrived, self.berthed, self.departed) if t is not None]
        self.contradictory = times != sorted(times)

    @property
    def status(self) -> str:
        if self.departed is not None:
            return "departed"
        if self.berthed is not None:
            return "at_berth"
        return "at_anchor" if self.arrived is not None else "expected"


class ShipNames:
    """IMO → the ship's name from the latest event (in event time; ties by name) that gave one:
    vessel events and the lifts between ship and quay. A call whose own events named no ship
    shows it (VesselCall.name), so a box discharged by DCSA names its ship whatever the order."""

    def __init__(self) -> None:
        self.latest: dict[str, tuple[float, str]] = {}

    def note(self, event: dict, t: float) -> None:
        data = event.get("data")
        name = data.get("name") if data and event["type"] in NAMING_TYPES else None
        if isinstance(name, str) and name:
            kept = self.latest.get(event["vessel"])
            if kept is None or (t, name) > kept:
                self.latest[event["vessel"]] = (t, name)

    def of(self, imo: str) -> str | None:
        return self.latest.get(imo, (None, None))[1]


def call_span(entries: list[tuple]) -> tuple[float, float]:
    """(first event, actual departure or open) of a call's own events."""
    departures = [e[T] for e in entries if e[TYPE] == "vessel.departed" and e[CLASSIFIER] == "actual"]
    return min(e[T] for e in entries), max(departures) if departures else math.inf
