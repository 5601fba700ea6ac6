"""v1 events from the simulation: each under the partner that would really send it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from feeds.profile import PortProfile

CUSTOMS = "customs.xiamen"
SERVICES = "services.xiamen-port"
TALLY = "tally.xiamen-ocean"        # the tally company counts boxes off and onto ships


class Emitter:
    """Builds events at simulation time `now` (seconds after the start) and hands them on."""

    def __init__(self, profile: PortProfile, start: datetime, sink: Callable[[dict], None]):
        self.profile = profile
        self.start = start
        self.sink = sink
        self._counters: dict[str, int] = {}
        self._texts: dict[int, str] = {}

    def time_text(self, seconds: float) -> str:
        whole = int(seconds)
        text = self._texts.get(whole)
        if text is None:
            if len(self._texts) > 4096:
                self._texts.clear()
            text = self._texts[whole] = (self.start + timedelta(seconds=whole)).isoformat()
        return text

    def emit(self, now: float, kind: str, source: str, **fields) -> None:
        number = self._counters.get(source, 0) + 1
        self._counters[source] = number
        event = {"id": f"{source.rsplit('.', 1)[-1]}-{number:07d}", "type": kind,
                 "time": self.time_text(now), "source": source}
        event.update({k: v for k, v in fields.items() if v is not None})
        self.sink(event)

    def terminal(self, index: int) -> str:
        return f"terminal.{self.profile.terminals[index].id}"

    def box(self, now: float, kind: str, source: str, box, call=None, classifier=None, parties=None, **data) -> None:
        """`parties`: the organisations the box is for (simulator/parties.py), or None."""
        self.emit(now, kind, source, container=box.number, direction=box.direction,
                  vessel=call.imo if call is not None else None, voyage=call.voyage if call is not None else None,
                  classifier=classifier, data=data or None, parties=parties)
