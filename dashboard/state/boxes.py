"""Box visits: one container number from its first event to its last, and its stage.

Everything a visit knows is a function of its events in time order: an event that arrives in
order is stepped onto the visit; one that arrives late is put in its place and the visit is
derived again from its events with the same step. Either way the result is the same.

Direction comes from what happened (docs/events.md, "Direction"): a discharge makes an import
visit, a gate-in of the box or a load before that makes an export visit, and a discharge
followed by a load is a transhipment (an import visit that ends by loading). An event's own
`direction` counts only until such a fact arrives; one that contradicts the facts is reported.
"""

from __future__ import annotations

import bisect

from dashboard.state.timeline import CALL, CLASSIFIER, DATA, DIRECTION, ID, SOURCE, T, TYPE, entry_data

DIVERTED_TO = (b'"to":"inspection"', b'"to":"direct"')
MOVE_TYPES = frozenset({"container.discharged", "container.moved", "container.loaded"})
PARTY = {"awaiting_discharge": "terminal", "awaiting_release": "customs", "in_inspection": "inspection",
         "awaiting_pickup": "trucking", "awaiting_gate_in": "trucking", "awaiting_loading": "terminal"}
DONE = {"import": "gated_out", "export": "loaded"}
# what a visit contributes to the state's indexes (PortState._refresh): (direction, stage, since,
# gated_out, released, end, call, held, site, start); the stages read two of them back
CONTRIBUTED_CALL, CONTRIBUTED_HELD = 6, 7


def _diverted(entry: tuple) -> bool:
    data = entry[DATA]
    return data is not None and any(marker in data for marker in DIVERTED_TO)


class BoxVisit:
    __slots__ = ("number", "uid", "timeline", "direction", "stage", "since", "held", "discharged", "gated_in",
                 "gated_out", "loaded", "released", "ordered", "completed", "moves", "diverted", "call",
                 "expected", "contribution", "said", "fact", "decided_by", "transhipment")

    def __init__(self, number: str, uid: int = 0):
        self.number = number
        self.uid = uid  # the state's own number for this visit (orders visits that tie on a time)
        self.timeline: list[tuple] = []
        self.contribution: tuple | None = None  # what the aggregates hold for this visit
        self._reset()

    def _reset(self) -> None:
        self.direction = self.stage = self.since = self.call = self.expected = None
        self.discharged = self.gated_in = self.gated_out = self.loaded = self.released = None
        self.said = self.fact = self.decided_by = None  # first explicit direction; the facts' one; its event
        self.held = self.diverted = self.transhipment = False
        self.ordered = self.completed = self.moves = 0

    @property
    def start(self) -> float:
        return self.timeline[0][T]

    @property
    def end(self) -> float | None:
        """Time of the event that ended the visit (gate-out / loading), or None while it runs."""
        if self.transhipment or self.direction == "export":
            return self.loaded
        return self.gated_out if self.direction == "import" else None

    @property
    def done_stage(self) -> str | None:
        """The stage of a finished visit: a transhipment ends loaded, not gated out."""
        return "loaded" if self.transhipment else DONE.get(self.direction)

    def add(self, entry: tuple) -> None:
        """Put one event on the visit: stepped when it is the latest, else derived again."""
        if not self.timeline or entry >= self.timeline[-1]:
            self.timeline.append(entry)
            self._step(entry)
        else:
            bisect.insort(self.timeline, entry)
            self.derive()

    def derive(self) -> None:
        self._reset()
        for entry in self.timeline:
            self._step(entry)

    def _step(self, entry: tuple) -> None:
        end = self.end
        if end is not None and entry[T] > end:
            return  # a later visit's: split_after_end takes it there; it tells this visit nothing
        if self.said is None:
            self.said = entry[DIRECTION]
        if self.call is None:
            self.call = entry[CALL]
        if entry[CLASSIFIER] != "actual":
            self.direction = self.fact or self.said
            self.expected = self.expected or {}
            self.expected[entry[TYPE]] = entry[T]
            return
        self._learn(entry)
        self._apply_actual(entry)
        stage = self._current_stage()
        if stage != self.stage:
            self.stage, self.since = stage, entry[T]

    def _learn(self, entry: tuple) -> None:
        """What this actual event says about the direction (O(1); the rule of docs/events.md)."""
        kind, fact = entry[TYPE], None
        if kind == "container.discharged" and self.fact != "import" and self.loaded is None:
            fact = "import"  # also over an earlier gate-in: that was a truck come early for the box
        elif kind == "container.loaded":
            if self.fact == "import":
                self.transhipment = True  # in by sea, out by sea: the import visit ends loaded
            elif self.fact is None:
                fact = "export"
        elif kind == "gate.in" and self.fact is None and entry[DIRECTION] != "import":
            fact = "export"  # a gate-in marked import is the truck come to collect (docs/events.md)
        if fact is not None:
            self.fact, self.decided_by = fact, entry
        direction = self.fact or self.said
        if direction != self.direction and direction != "export":
            self.gated_in = None  # an export's gate-in, until a discharge made it a truck's
        self.direction = direction

    def _apply_actual(self, entry: tuple) -> None:
        kind, t = entry[TYPE], entry[T]
        if kind in MOVE_TYPES:
            self.moves += 1
        if kind == "container.discharged":
            self.discharged = t
            self.diverted = self.diverted or _diverted(entry)
        elif kind == "gate.in" and self.direction == "export":
            self.gated_in = t
            self.diverted = self.diverted or _diverted(entry)
        elif kind == "gate.out" and self.direction == "import":
            self.gated_out = t
        elif kind == "container.loaded":
            self.loaded = t
        elif kind == "customs.inspection_ordered":
            self.ordered += 1
        elif kind == "inspection.completed":
            self.completed += 1
            self.held = self.held or (entry[DATA] is not None and b'"result":"hold"' in entry[DATA])
        elif kind == "customs.hold":
            self.held = True
        elif kind == "customs.released":
            self.released, self.held = t, False

    def _current_stage(self) -> str | None:
        if self.direction == "import":
            if self.transhipment:
                return "loaded"
            if self.gated_out is not None:
                return "gated_out"
            if self.discharged is None:
                return "awaiting_discharge"
            if self.ordered > self.completed:
                return "in_inspection"
            return "awaiting_pickup" if self.released is not None else "awaiting_release"
        if self.direction == "export":
            if self.loaded is not None:
                return "loaded"
            if self.gated_in is None:
                return "awaiting_gate_in"
            if self.ordered > self.completed:
                return "in_inspection"
            return "awaiting_loading" if self.released is not None else "awaiting_release"
        return None

    @property
    def waiting_on(self) -> str | None:
        if self.stage is None or self.stage == self.done_stage:
            return None
        return "customs" if self.held else PARTY[self.stage]

    @property
    def in_port(self) -> bool:
        return self.stage is not None and self.stage != self.done_stage

    def split_after_end(self) -> list[tuple]:
        """Events dated after the visit's end belong to a later visit: take them off."""
        end = self.end
        if end is None or self.timeline[-1][T] <= end:
            return []
        cut = bisect.bisect_right(self.timeline, end, key=lambda e: e[T])
        rest, self.timeline = self.timeline[cut:], self.timeline[:cut]
        self.derive()
        return rest


def inspection_site(box: BoxVisit) -> str | None:
    """The site named by the box's latest actual inspection order (a planned one is no order)."""
    for entry in reversed(box.timeline):
        if entry[TYPE] == "customs.inspection_ordered" and entry[CLASSIFIER] == "actual":
            site = entry_data(entry).get("site")
            return site if isinstance(site, str) else None
    return None


def direction_conflicts(box: BoxVisit) -> list[dict]:
    """The visit's events whose own `direction` the facts contradict (none before a fact, and none
    in a transhipment, which is both import and export)."""
    if box.fact is None or box.transhipment:
        return []
    decided = box.decided_by
    return [{"id": entry[ID], "source": entry[SOURCE], "type": entry[TYPE], "said": entry[DIRECTION],
             "facts": box.fact, "decided_by": {"id": decided[ID], "source": decided[SOURCE], "type": decided[TYPE]}}
            for entry in box.timeline if entry[DIRECTION] is not None and entry[DIRECTION] != box.fact]
