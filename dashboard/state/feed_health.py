"""How each partner's feed arrives, for the feeds page: counted by arrival, not by event time."""

from __future__ import annotations

from collections import Counter, defaultdict


class FeedHealth:
    """Per partner: arrivals (duplicates included: it is about delivery), last arrival, recent rate."""

    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self.last: dict[str, float] = {}
        self.per_second: dict[str, Counter] = defaultdict(Counter)  # arrival second → count

    def note(self, source: str, arrival: float) -> None:
        self.events[source] += 1
        if arrival > self.last.get(source, 0.0):
            self.last[source] = arrival
        seconds = self.per_second[source]
        seconds[int(arrival)] += 1
        if len(seconds) > 120:  # keep two minutes of seconds
            newest = max(seconds)
            for second in [s for s in seconds if s < newest - 120]:
                del seconds[second]

    def per_minute(self, source: str, wall_now: float) -> int:
        """Arrivals in the last 60 whole seconds up to now."""
        end = int(wall_now)
        return sum(n for second, n in self.per_second.get(source, {}).items() if end - 60 < second <= end)
