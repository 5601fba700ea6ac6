"""The presenters' what-if: the platform's measures and the shipped before/after reconstruction
report, for the /demo page (run.py hands it to the service with the demo simulator; the
dashboard never imports the simulator).

The report is `run.py simulate --scenario h1-before-after --report FILE`'s JSON; the service reads
the shipped one (simulator/reports/h1-before-after.json) unless `DP_DEMO_REPORT` names another,
and reads it again when the file changes, so a regenerated report shows without a restart.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from simulator.measures import MEASURES, parse_measures

log = logging.getLogger(__name__)

REPORT = Path(__file__).resolve().parent / "reports" / "h1-before-after.json"


class WhatIf:
    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else REPORT
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._report: dict | None = None

    def measures(self) -> list[dict]:
        """[{id, title: {zh, en}, source}] in the waterfall's order."""
        return [{"id": m.id, "title": dict(m.title), "source": m.source} for m in MEASURES]

    def report(self) -> dict | None:
        """The reconstruction report, or None while there is none (or it cannot be read)."""
        try:
            stat = self.path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                self._stamp, self._report = stamp, self._read()
            return self._report

    def _read(self) -> dict | None:
        try:
            report = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("the reconstruction report %s cannot be read: %s", self.path, exc)
            return None
        return report if isinstance(report, dict) else None

    def waterfall(self, enabled) -> list[dict] | None:
        """The waterfall for a set of measures (simulator.reconstruction.waterfall_for), or None
        without a report; a wrong measure id is a ValueError naming it."""
        chosen = parse_measures(enabled)
        report = self.report()
        if report is None:
            return None
        from simulator.reconstruction import waterfall_for  # the report's own reading of its runs
        try:
            return waterfall_for(report, chosen)
        except (KeyError, TypeError, IndexError) as exc:  # a report of another shape: said, not a crash
            log.warning("the report %s has no what-if runs for %s: %r", self.path, sorted(chosen), exc)
            return None
