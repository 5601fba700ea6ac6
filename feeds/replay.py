"""Replay a recorded feed: a JSON-lines file of v1 events, published in order, optionally paced.

Each line is checked like a partner's event; a bad line goes to the dead-letter log with its
reasons (under its own `source`, or `replay` when it has none) and the good lines beside it are
published. `speed` paces by event time: 60 plays an hour of events in a minute; 0 is flat out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import orjson

from feeds.events import parse_time, validate_event
from feeds.publisher import Publisher

BATCH = 1000


@dataclass
class ReplayReport:
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)  # {line, errors}


def read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _pace(event: dict, speed: float, origin: list) -> None:
    """Sleep until this event's time, scaled by speed, measured from the first event."""
    when, _ = parse_time(event["time"])
    if not origin:
        origin += [when, time.monotonic()]
        return
    due = origin[1] + (when - origin[0]).total_seconds() / speed
    delay = due - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def replay(publisher: Publisher, path: Path, *, speed: float = 0.0, allow_ticks: bool = True) -> ReplayReport:
    report = ReplayReport()
    batch: list[dict] = []
    origin: list = []

    def flush() -> None:
        ids = publisher.publish(batch)
        report.accepted += sum(1 for i in ids if i)
        report.duplicates += sum(1 for i in ids if not i)
        batch.clear()

    for number, line in read_lines(path):
        report.lines += 1
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError:
            raw, event, problems = None, None, [{"field": "", "problem": "line is not JSON"}]
        else:
            event, problems = validate_event(raw, allow_ticks=allow_ticks)
        if problems:
            source = raw.get("source") if isinstance(raw, dict) and isinstance(raw.get("source"), str) else "replay"
            publisher.dead_letter(source, problems, line)
            report.rejected.append({"line": number, "errors": problems})
            continue
        if speed > 0:
            _pace(event, speed, origin)
            batch.append(event)
            flush()  # paced: each event goes out at its time
        else:
            batch.append(event)
            if len(batch) >= BATCH:
                flush()
    if batch:
        flush()
    return report
