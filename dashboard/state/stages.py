"""Read models of the boxes in each stage, kept up to date as events apply, so that the wall and
the pages read figures whose cost does not grow with the port.

- **Order statistics**: a stage's boxes sorted by when they entered it. The median time in stage
  is "now − the median entry time", and any percentile is two lookups (numpy's linear
  interpolation, reproduced).
- **Late boxes** (stages whose SLA clock starts on entry): late now = entered before
  `now − SLA`, a prefix of that order. The prefix's aggregates (count, sum of entry times, held
  boxes, late boxes per call) move with the boundary, so a read costs the boxes that crossed it
  since the last read, in either direction, not the stage's size.
- **Awaiting discharge**: its SLA clock starts at the call's berthing, so its boxes are also kept
  per call: a call berthed more than the SLA ago has all of them late.

Entry times are summed as whole microseconds: exact, whatever the order of adds and removes.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict

from sortedcontainers import SortedList

from dashboard.state.boxes import CONTRIBUTED_CALL, CONTRIBUTED_HELD

HOUR = 3600.0


def micros(t: float) -> int:
    return round(t * 1_000_000)


def interpolated(value_at, n: int, q: float) -> float:
    """numpy.percentile's default (linear) of n sorted values, `value_at(k)` the k-th smallest."""
    virtual = n * q + (1 - q) - 1
    if virtual >= n - 1:
        return value_at(n - 1)
    low = math.floor(virtual)
    a, b, gamma = value_at(low), value_at(low + 1), virtual - low
    diff = b - a
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma


class StageIndex:
    """One stage's boxes in order of entry; with `tracks_late`, the late prefix's aggregates."""

    def __init__(self, tracks_late: bool = True):
        self.order = SortedList()        # (since, number, uid, box): ties in time by number
        self.tracks_late = tracks_late
        self.boundary = -math.inf        # boxes entered before it are counted late
        self.late_count = self.late_us = 0
        self.held_count = self.held_us = 0
        self.late_by_call: Counter = Counter()          # call key as the boxes name it → late boxes
        self.loose_late: dict = defaultdict(set)        # voyage-less call key → its late boxes

    def __len__(self) -> int:
        return len(self.order)

    def add(self, box, since: float, call, held: bool) -> None:
        self.order.add((since, box.number, box.uid, box))
        if self.tracks_late and since < self.boundary:
            self._count(box, since, call, held, 1)

    def remove(self, box, since: float, call, held: bool) -> None:
        self.order.remove((since, box.number, box.uid, box))
        if self.tracks_late and since < self.boundary:
            self._count(box, since, call, held, -1)

    def _count(self, box, since: float, call, held: bool, sign: int) -> None:
        self.late_count += sign
        self.late_us += sign * micros(since)
        if held:
            self.held_count += sign
            self.held_us += sign * micros(since)
        if call is not None:
            self.late_by_call[call] += sign
            if not self.late_by_call[call]:
                del self.late_by_call[call]
            if call[1] is None:
                (self.loose_late[call].add if sign > 0 else self.loose_late[call].discard)(box)
                if not self.loose_late[call]:
                    del self.loose_late[call]

    def move_boundary(self, limit: float) -> None:
        """Count as late exactly the boxes entered before `limit`: only those between the old
        boundary and the new one change."""
        if limit == self.boundary:
            return
        sign = 1 if limit > self.boundary else -1
        low, high = sorted((self.boundary, limit))
        for since, _, _, box in list(self.order.irange((low,), (high,), inclusive=(True, False))):
            self._count(box, since, box.contribution[CONTRIBUTED_CALL], box.contribution[CONTRIBUTED_HELD], sign)
        self.boundary = limit

    def late_hours(self, limit: float) -> tuple[int, float, int, float]:
        """(late boxes, their delay hours, held late boxes, their delay hours) at `limit`."""
        self.move_boundary(limit)
        limit_us = micros(limit)
        return (self.late_count, (self.late_count * limit_us - self.late_us) / 3.6e9,
                self.held_count, (self.held_count * limit_us - self.held_us) / 3.6e9)

    def oldest(self, k: int) -> list[tuple[float, object]]:
        """The k earliest entries (since, box); of those entered at the same time, the lowest numbers."""
        return [(since, box) for since, _, _, box in self.order.islice(0, k)]

    def dwell(self, now: float) -> dict:
        """Median and p90 of the hours in stage, as numpy computes them over `now − since`."""
        n = len(self.order)
        if not n:
            return {"n": 0, "median": None, "p90": None}

        def hours_at(k: int) -> float:  # the k-th shortest stay is the (n−1−k)-th latest entry
            return (now - self.order[n - 1 - k][0]) / HOUR

        return {"n": n, "median": interpolated(hours_at, n, 0.5), "p90": interpolated(hours_at, n, 0.9)}


class DischargeIndex(StageIndex):
    """Awaiting discharge: its SLA counts from the call's berthing, so the boxes are kept per call."""

    def __init__(self):
        super().__init__(tracks_late=False)
        self.by_call: dict = defaultdict(dict)  # call key as the boxes name it → {box: held}
        self.changes: Counter = Counter()       # call key → how often its boxes changed
        self._first: dict = {}                  # call key → (changes, its k lowest-numbered boxes)

    def add(self, box, since: float, call, held: bool) -> None:
        super().add(box, since, call, held)
        self.by_call[call][box] = held
        self.changes[call] += 1

    def remove(self, box, since: float, call, held: bool) -> None:
        super().remove(box, since, call, held)
        boxes = self.by_call[call]
        del boxes[box]
        self.changes[call] += 1
        if not boxes:
            del self.by_call[call]
            del self.changes[call]
            self._first.pop(call, None)

    def first_by_number(self, call, k: int) -> list:
        """The call's k waiting boxes of the lowest numbers, kept until its boxes change."""
        kept = self._first.get(call)
        if kept is None or kept[0] != (self.changes[call], k):
            kept = self._first[call] = ((self.changes[call], k),
                                        heapq.nsmallest(k, self.by_call[call], key=lambda box: box.number))
        return kept[1]
