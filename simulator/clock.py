"""Port time for the model: weekdays, hours of the day, and the windows people work in.

The model's zero is a port-local moment; its seconds map to (weekday, hour) in port time so that
trucks keep their weekly profile, the customs counter its office hours and inspection sites their
shifts. Parameters and sources: docs/simulator.md.
"""

from __future__ import annotations

from datetime import datetime

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY

# ConFlowGen's truck arrival profile, share of a day's trucks in each hour (late-morning peak);
# none on Sunday (weekday 6).
TRUCK_HOURLY = (0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.2, 1.6, 1.8, 1.9, 1.8,
                1.4, 1.5, 1.6, 1.5, 1.3, 1.1, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2)
TRUCK_PEAK = max(TRUCK_HOURLY)


class PortClock:
    def __init__(self, zero: datetime):
        local_midnight = zero.replace(hour=0, minute=0, second=0, microsecond=0)
        self.offset = (zero - local_midnight).total_seconds()   # seconds into the zero's day
        self.zero_weekday = zero.weekday()
        self.zero_date = local_midnight.date()

    def weekday(self, seconds: float) -> int:
        return (self.zero_weekday + int((self.offset + seconds) // DAY)) % 7

    def hour(self, seconds: float) -> float:
        return ((self.offset + seconds) % DAY) / HOUR

    def date_ordinal(self, seconds: float) -> int:
        return self.zero_date.toordinal() + int((self.offset + seconds) // DAY)

    def next_in(self, seconds: float, start_hour: float, end_hour: float, weekdays=range(7)) -> float:
        """The first moment from `seconds` inside the daily window [start_hour, end_hour) on one of
        `weekdays` (a window may run past midnight: end < start)."""
        t = seconds
        for _ in range(15):  # at most two weeks ahead, enough for any weekly window
            hour, day = self.hour(t), self.weekday(t)
            inside = start_hour <= hour < end_hour if start_hour < end_hour else hour >= start_hour or hour < end_hour
            if inside and day in weekdays:
                return t
            wait = (start_hour - hour) % 24 or 24.0
            t += wait * HOUR if day in weekdays or wait < 24 - hour else (24 - hour) * HOUR
        return t

    def truck_time(self, earliest: float, key: int, purpose: int, uniform01) -> float:
        """The first hour from `earliest` the weekly truck profile accepts (thinning, with the
        box's own draws): busy hours come sooner than quiet ones, no truck on a Sunday. A rejected
        draw, rescaled, is uniform again and sets the step to the next try."""
        t = earliest
        for attempt in range(400):
            level = 0.0 if self.weekday(t) == 6 else TRUCK_HOURLY[int(self.hour(t))]
            u = uniform01(key, purpose + attempt) * TRUCK_PEAK
            if u < level:
                return t
            t += HOUR * (0.5 + 0.5 * (u - level) / (TRUCK_PEAK - level))
        return t
