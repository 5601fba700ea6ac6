"""Time-bucketed records, so windowed KPIs ("last 24 h", "today") read only the hours they need.

Records live in hour buckets keyed by their time; a query scans the buckets that overlap the
window and keeps the records inside it exactly. Keyed records can be withdrawn (a box re-derived
after a late event); a counted time only when its event is retracted (an event counts once,
whenever it arrives).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any, Iterator

HOUR = 3600.0


def _hours(start: float, end: float) -> range:
    return range(math.floor(start / HOUR), math.floor(end / HOUR) + 1)


class KeyedWindow:
    """Keys (box visits) by a time of theirs, bucketed by hour: which keys fall in a window.

    `summed` reads a window through per-hour partial results: an hour wholly inside the window is
    read once and kept until that hour's keys or the caller's `version` change, so a read of the
    last 24 h works through the two hours at its edges, not the day's boxes.

    A key may carry a tag (a box: the ship it names); each hour counts its keys' tags, so that a
    `version` may be a function of an hour and its tags (only the ships that hour's boxes name).
    `memo` is the caller's own cache for such versions, kept (and lost) with the kept hours."""

    def __init__(self) -> None:
        self._buckets: dict[int, dict[Any, float]] = defaultdict(dict)
        self._changes: dict[int, int] = defaultdict(int)  # hour → how often its keys changed
        self._tags: dict[int, Counter] = defaultdict(Counter)  # hour → its keys' tags, counted
        self._kept: dict = {}  # (hour, name) → (changes, version, partial): rebuilt after a restore
        self._tag_lists: dict[int, tuple[int, tuple]] = {}  # hour → (changes, its tags): rebuilt too
        self.memo: dict = {}

    def __getstate__(self) -> dict:
        return {"_buckets": self._buckets, "_changes": self._changes, "_tags": self._tags}

    def __setstate__(self, saved: dict) -> None:
        self.__dict__.update(saved)
        self._kept, self._tag_lists, self.memo = {}, {}, {}

    def put(self, key, t: float, tag=None) -> None:
        hour = math.floor(t / HOUR)
        self._buckets[hour][key] = t
        self._changes[hour] += 1
        if tag is not None:
            self._tags[hour][tag] += 1

    def drop(self, key, t: float, tag=None) -> None:
        """Withdraw a key put at `t` (with the tag it was put with)."""
        hour = math.floor(t / HOUR)
        bucket = self._buckets.get(hour)
        if bucket is not None and bucket.pop(key, None) is not None:
            self._changes[hour] += 1
            if tag is not None:
                tags = self._tags[hour]
                tags[tag] -= 1
                if tags[tag] <= 0:
                    del tags[tag]
                if not tags:
                    del self._tags[hour]

    def touch(self, t: float) -> None:
        """A key of this hour changed what it contributes, though not its time."""
        self._changes[math.floor(t / HOUR)] += 1

    def _tag_list(self, hour: int) -> tuple:
        """The hour's tags (each once), kept while its keys are unchanged."""
        changes = self._changes[hour]
        kept = self._tag_lists.get(hour)
        if kept is None or kept[0] != changes:
            kept = self._tag_lists[hour] = (changes, tuple(self._tags.get(hour, ())))
        return kept[1]

    def keys(self, start: float, end: float) -> Iterator[Any]:
        """Keys with start < t ≤ end."""
        for hour in _hours(start, end):
            for key, t in self._buckets.get(hour, {}).items():
                if start < t <= end:
                    yield key

    def summed(self, start: float, end: float, name: str, partial, version=None) -> list:
        """`partial(keys)` of the keys with start < t ≤ end, one per hour the window touches; those
        of whole hours are kept, tagged with `name` and `version`, and reused while neither
        changed; a callable `version` is asked per hour: `version(hour, its tags)`. The caller
        combines them (they are sums, or sorted arrays to merge)."""
        parts: list = []
        hours = _hours(start, end)
        for hour in hours:
            bucket = self._buckets.get(hour)
            if not bucket:
                continue
            if start < hour * HOUR and (hour + 1) * HOUR <= end:
                stamp = (self._changes[hour], version(hour, self._tag_list(hour)) if callable(version) else version)
                kept = self._kept.get((hour, name))
                if kept is None or kept[0] != stamp:
                    kept = self._kept[(hour, name)] = (stamp, partial(bucket))
                parts.append(kept[1])
            else:
                parts.append(partial([key for key, t in bucket.items() if start < t <= end]))
        for key in [key for key in self._kept if key[1] == name and key[0] not in hours]:
            del self._kept[key]  # hours the window has left
        return parts


class EventTimes:
    """Times of counted events, bucketed by hour: how many fell in (start, end]."""

    def __init__(self) -> None:
        self._buckets: dict[int, list[float]] = defaultdict(list)

    def add(self, t: float) -> None:
        self._buckets[math.floor(t / HOUR)].append(t)

    def discard(self, t: float) -> None:
        """Take one time back: its event was retracted (dashboard/state/retractions.py)."""
        times = self._buckets.get(math.floor(t / HOUR))
        if times and t in times:
            times.remove(t)

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
