"""Vessel calls: an IMO number plus a voyage, derived from its events in time order."""

from __future__ import annotations

import bisect
import math

from dashboard.state.timeline import CLASSIFIER, T, TYPE, entry_data, event_time

MOVEMENTS = {"vessel.arrived": "arrived", "vessel.berthed": "berthed", "vessel.departed": "departed"}


class VesselCall:
    __slots__ = ("key", "imo", "voyage", "timeline", "name", "terminal", "berth", "eta", "etd",
                 "arrived", "berthed", "departed", "expected_import", "expected_export", "boxes",
                 "contradictory")

    def __init__(self, key: tuple, imo: str, voyage: str | None):
        self.key, self.imo, self.voyage = key, imo, voyage
        self.timeline: list[tuple] = []
        self.boxes: set = set()  # box visits that name this call
        self._reset()

    def _reset(self) -> None:
        self.name = self.terminal = self.berth = self.eta = self.etd = None
        self.arrived = self.berthed = self.departed = None
        self.expected_import = self.expected_export = None
        self.contradictory = False

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
        self.name = data.get("name", self.name)
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



def call_span(entries: list[tuple]) -> tuple[float, float]:
    """(first event, actual departure or open) of a call's own events."""
    departures = [e[T] for e in entries if e[TYPE] == "vessel.departed" and e[CLASSIFIER] == "actual"]
    return min(e[T] for e in entries), max(departures) if departures else math.inf
