"""Hourly KPI rollups in Redis, kept 400 days, so "is clearance getting faster" has an answer.

The current hour's record is refreshed every few seconds with the KPIs at the port clock, so
each finished hour holds its KPIs as of its last minutes. Records are flattened to metric paths
(`clearance_hours.import.median`) and stored in one sorted set scored by the hour.
"""

from __future__ import annotations

import math

import orjson
import redis

from feeds.keys import PortKeys

HOUR = 3600
KEEP_DAYS = 400


def flatten(tree: dict, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a KPI object by their dotted paths (per-partner feeds left out)."""
    flat: dict[str, float] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if path == "feeds":
            continue
        if isinstance(value, dict):
            flat.update(flatten(value, path + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            flat[path] = value
    return flat


class KpiHistory:
    def __init__(self, client: redis.Redis, port_id: str):
        self.client = client
        self.key = PortKeys(port_id).history

    def record(self, kpis: dict, now: float) -> None:
        hour = math.floor(now / HOUR) * HOUR
        member = orjson.dumps({"hour": hour, "at": now, "values": flatten(kpis)})
        pipe = self.client.pipeline(transaction=True)
        pipe.zremrangebyscore(self.key, hour, hour)
        pipe.zadd(self.key, {member: hour})
        pipe.zremrangebyscore(self.key, "-inf", f"({hour - KEEP_DAYS * 24 * HOUR}")
        pipe.execute()

    def series(self, metric: str, days: float, now: float) -> list[tuple[int, float | None]]:
        """(hour, value) for every recorded hour in (now − days, now], oldest first."""
        start = math.floor((now - days * 24 * HOUR) / HOUR) * HOUR
        rows = self.client.zrangebyscore(self.key, f"({start}", now)
        series = []
        for row in rows:
            record = orjson.loads(row)
            series.append((record["hour"], record["values"].get(metric)))
        return series

    def metrics(self) -> list[str]:
        latest = self.client.zrevrange(self.key, 0, 0)
        return sorted(orjson.loads(latest[0])["values"]) if latest else []
