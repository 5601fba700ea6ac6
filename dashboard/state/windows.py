"""Time-bucketed records, so windowed KPIs ("last 24 h", "today") read only the hours they need.

Records live in hour buckets keyed by their time; a query scans the buckets that overlap the
window and keeps the records inside it exactly. Keyed records can be withdrawn (a box re-derived
after a late event), counted times cannot (an event counts once, whenever it arrives).
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, Iterator

HOUR = 3600.0


def _hours(start: float, end: float) -> range:
    return range(math.floor(start / HOUR), math.floor(end / HOUR) + 1)


class KeyedWindow:
    """Keys (box visits) by a time of theirs, bucketed by hour: which keys fall in a window."""

    def __init__(self) -> None:
        self._buckets: dict[int, dict[Any, float]] = defaultdict(dict)

    def put(self, key, t: float) -> None:
        self._buckets[math.floor(t / HOUR)][key] = t

    def drop(self, key, t: float) -> None:
        bucket = self._buckets.get(math.floor(t / HOUR))
        if bucket is not None:
            bucket.pop(key, None)

    def keys(self, start: float, end: float) -> Iterator[Any]:
        """Keys with start < t ≤ end."""
        for hour in _hours(start, end):
            for key, t in self._buckets.get(hour, {}).items():
                if start < t <= end:
                    yield key


class EventTimes:
    """Times of counted events, bucketed by hour: how many fell in (start, end]."""

    def __init__(self) -> None:
        self._buckets: dict[int, list[float]] = defaultdict(list)

    def add(self, t: float) -> None:
        self._buckets[math.floor(t / HOUR)].append(t)

    def count(self, start: float, end: float) -> int:
        total = 0
        for hour in _hours(start, end):
            times = self._buckets.get(hour)
            if not times:
                continue
            if start < hour * HOUR and (hour + 1) * HOUR <= end:
                total += len(times)  # a whole hour inside the window (end is inclusive)
            else:
                total += sum(1 for t in times if start < t <= end)
        return total
