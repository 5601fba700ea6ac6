"""Bench data: valid v1 events in bulk, without the simulator (a stand-in until it exists)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from stdnum import iso6346

START = datetime(2026, 11, 27, 0, 0, tzinfo=timezone(timedelta(hours=8)))
SOURCES = ("terminal.haitian", "trucking.x", "customs.xiamen")


def container(n: int) -> str:
    body = f"BNCU{n % 1_000_000:06d}"
    return body + iso6346.calc_check_digit(body)


EVENTS_PER_BOX = 8  # a box visit is named by about this many stage events


def gate_events(count: int) -> list[dict]:
    """Gate lifts a tenth of a second apart, 8 per box: realistic size, shape and box reuse."""
    return [{
        "id": f"bench-{n}", "type": "gate.in" if n % 2 else "gate.out",
        "time": (START + timedelta(milliseconds=100 * n)).isoformat(),
        "source": SOURCES[n % len(SOURCES)], "container": container(n // EVENTS_PER_BOX),
        "direction": "export" if n % 2 else "import",
        "data": {"gate": f"G{n % 4 + 1}", "lane": n % 8 + 1, "truck": f"闽D{n % 100000:05d}"},
    } for n in range(count)]
