"""Who is told about a milestone: the users watching its subject (the box, one of its
declarations, the vessel), and those watching `org:*` whose organisation is a party of it — each
only if they may see it (dashboard/state/parties.py), so no one hears of cargo outside their
organisation. Runs under the state's lock; no Redis round trip (the watches and the directory
are in-memory copies)."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.notify.messages import milestone_notice
from dashboard.notify.milestones import declarations_of
from dashboard.state.parties import sees_call, sees_visit
from dashboard.state.scoped import seen_calls, seen_visits


@dataclass(frozen=True)
class Reader:
    """A user as the notifier sees them: their organisation (None: a configured manager) and what
    they are a party as (None: sees everything)."""
    name: str
    org: str | None
    identities: frozenset[str] | None


def reader_of(name: str, directory, managers) -> Reader | None:
    if name in managers:
        return Reader(name, None, None)
    account = directory.account(name)
    org = directory.org(account.org) if account else None
    if org is None:
        return None
    return Reader(name, org.id, None if org.sees_all else org.identities)


def may_see(state, milestone: dict, identities) -> bool:
    target = milestone.get("target")
    if identities is None:
        return True
    if target is None:
        return False
    if milestone["subject"][0] == "box":
        return sees_visit(target, identities)
    return sees_call(state, target, identities)


def may_watch(state, kind: str, key: str, identities) -> bool:
    """Does the subject of a watch (`key` normalised by watches.watch_key) exist for this viewer?
    A member may watch only what its organisation sees; the API and the phone page both ask here,
    so a subject it may not see and an unknown one get the same answer. Under the state's lock."""
    if kind == "box":
        return bool(seen_visits(state, key, identities))
    if kind == "vessel":
        return bool(seen_calls(state, key, identities))
    if kind == "declaration":
        number = state.declarations.get(key)
        return bool(number and seen_visits(state, number, identities))
    return kind == "org"


def watch_keys(milestone: dict) -> list[str]:
    subject, target = milestone["subject"], milestone.get("target")
    if subject[0] == "vessel":
        return [f"vessel:{subject[1]}"]
    keys = [f"box:{subject[1]}"]
    if target is not None:
        keys += [f"declaration:{d}" for d in sorted(declarations_of(target))]
    return keys


@dataclass
class Plan:
    """One milestone's notice and who gets it: users (live) and organisations (their channels)."""
    notice: dict
    users: list[str]
    orgs: list[str]


def plan_milestone(state, milestone: dict, watches, directory, managers) -> Plan | None:
    named = set()
    for key in watch_keys(milestone):
        named |= watches.watchers(key)
    readers = []
    for name in sorted(named | watches.watchers("org:*")):
        reader = reader_of(name, directory, managers)
        if reader is None or not may_see(state, milestone, reader.identities):
            continue
        if name not in named and reader.identities is None:
            continue  # `org:*` of the task force or a manager would be the whole port: watch items instead
        readers.append(reader)
    if not readers:
        return None
    call = milestone["target"] if milestone["subject"][0] == "vessel" else None
    notice = milestone_notice(milestone, vessel_name=getattr(call, "name", None))
    return Plan(notice, [r.name for r in readers], sorted({r.org for r in readers if r.org}))
