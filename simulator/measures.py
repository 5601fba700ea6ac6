"""The platform's measures, each a switch of the model's mechanics (docs/simulator.md says how
each one works and where its figure comes from).

A run has a set of measures switched on. The before/after reconstruction runs the "before" with
none, and the "after" with every subset of them, so that the waterfall and the presenters'
what-if read real runs instead of adding bars. The tuple's order is the waterfall's order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    id: str
    title: dict        # {"zh", "en"}
    source: str        # what the port published about it, or why the model has it


MEASURES = (
    Measure("early_declaration", {"zh": "提前申报", "en": "Earlier declarations"},
            "GAC's advance-declaration drive: declarations lodged before the ship arrives / the box "
            "reaches the gate, so customs can decide before the box needs it"),
    Measure("paperless_declaration", {"zh": "无纸化申报", "en": "Paperless declarations"},
            "documents checked online at any hour instead of paper at the customs counter in office "
            "hours (GAC: 38 of 41 licence documents applied for and checked online)"),
    Measure("boarding_appointment", {"zh": "登轮预约", "en": "Boarding appointments"},
            "seed port: boarding appointment to release −10 %"),
    Measure("appointment_free_inspection", {"zh": "免预约查验", "en": "Appointment-free inspection"},
            "seed port: saves 5+ h of in-yard time per inspected box"),
    Measure("smart_diversion", {"zh": "智能云分流", "en": "Smart diversion"},
            "seed port: −50 % handling moves and −90 % time for that step at its first terminal, "
            "from that terminal's start date"),
)
MEASURE_IDS = tuple(measure.id for measure in MEASURES)
ALL = frozenset(MEASURE_IDS)


def parse_measures(names) -> frozenset[str]:
    """A set of measure ids from a list (TOML, JSON, the command line); ValueError names the unknown."""
    if isinstance(names, str):
        names = [name for name in names.split(",") if name.strip()]
    chosen = frozenset(str(name).strip() for name in names)
    unknown = sorted(chosen - ALL)
    if unknown:
        raise ValueError(f"unknown measure(s) {', '.join(unknown)} (measures: {', '.join(MEASURE_IDS)})")
    return chosen


def subset_key(measures) -> str:
    """The key of a set of measures in a report's what-if table: ids in waterfall order, '+'-joined.
    (Any iterable: a generator is read once, not consumed by the membership tests.)"""
    chosen = set(measures)
    return "+".join(m for m in MEASURE_IDS if m in chosen)
