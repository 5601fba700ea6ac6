"""Hostile input, fuzzed with hypothesis: the HTTP ingest (`POST /api/v1/events`), the DCSA route
(`POST /api/v1/dcsa/events`) and the Redis log (entries written straight into the stream).

What must hold: every request gets a clear 2xx or 4xx (never a 5xx, never a crash), a 4xx says
what is wrong as JSON `{error, message}`, a 202 accounts for every item it was sent
(`accepted + duplicates + len(rejected)`), and every valid event of the mix is applied, exactly
once; the log consumer survives any entry, applies the valid ones and counts and dead-letters the
bad ones. Each test prints how many inputs it tried (`pytest -s`) and appends one JSON line to
`test-artifacts/hostile-input.jsonl`.

Nesting: orjson reads JSON nested up to 1,024 deep but writes at most 254 levels, and `str()` of a
value nested ~1,000 deep overflows Python's recursion limit. The fuzz mixes keep values that the
service must store or dead-letter under FUZZ_MAX_DEPTH (deeper bodies, past orjson's reading
limit, are in the mixes as not-JSON); the depths in between are pinned by the `test_*_nested_*`
tests (test_hostile_big_inputs.py, test_hostile_log.py), so that the fuzz goes on checking everything
else.

The kit of those tests, in two modules: this one (the constants, the `Tally` of what was tried, the
value, time, identifier and v1-event strategies, and simple valid events) and `hostile_requests`
(items, bodies and requests, the checks on every answer, and the fuzz's `config` fixture). The
`tally` fixture, which writes the artifact line, is in conftest.py. The tests, by surface:
test_hostile_v1_ingest.py, test_hostile_dcsa.py, test_hostile_log.py, test_hostile_big_inputs.py.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from stdnum import imo as stdnum_imo
from stdnum import iso6346

from feeds import events as model
from tests.helpers import PARTNER_KEYS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACT = ROOT / "test-artifacts" / "hostile-input.jsonl"
V1_URL, DCSA_URL = "/api/v1/events", "/api/v1/dcsa/events"
MAX_BODY = 5 * 1024 * 1024  # docs/api.md: at most 5 MB
MAX_EVENTS = 5000  # docs/api.md: an array of up to 5,000 events
FUZZ_MAX_DEPTH = 200  # see the module's docstring
RATE_LIMIT = "1000000 per minute"  # the fuzz sends far more than a partner's 600 a minute
RUN = uuid.uuid4().hex[:8]
SEQ = itertools.count(1)
INPUTS: Counter = Counter()  # inputs tried: per test, and "total"
PARTNER = "trucking.x"
# Fixed for the run (strategies must not change between examples); ingest refuses a day ahead
NOW = datetime.now(timezone.utc).replace(tzinfo=None, second=0, microsecond=0)


def fuzz(max_examples: int):
    return settings(deadline=None, max_examples=max_examples, print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.filter_too_much, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example])


# -- counting what was tried -------------------------------------------------------------------
@dataclass
class Tally:
    test: str
    started: float = field(default_factory=time.monotonic)
    requests: int = 0
    items: int = 0
    log_entries: int = 0
    statuses: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    valid_applied: int = 0
    finished: bool = False

    def request(self, status: int | str, items: int = 0) -> None:
        INPUTS[self.test] += 1
        INPUTS["total"] += 1
        self.requests += 1
        self.items += items
        self.statuses[str(status)] += 1

    def entry(self, kind: str) -> None:
        INPUTS[self.test] += 1
        INPUTS["total"] += 1
        self.log_entries += 1
        self.kinds[kind] += 1

    @property
    def inputs(self) -> int:
        return self.requests + self.log_entries


# -- JSON and values ---------------------------------------------------------------------------
def dumps(value) -> bytes:
    """Any JSON value (ints past 64 bits included); NaN and Infinity never: those are sent raw."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def nest(depth: int, opener: str = "[") -> bytes:
    if opener == "{":
        return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)
    return b"[" * depth + b"]" * depth


def nested_value(depth: int, opener: str):
    return orjson.loads(nest(depth, opener))


CHARS = st.characters(blacklist_categories=("Cs",))  # lone surrogates cannot be UTF-8: sent raw instead
TEXT = st.text(CHARS, max_size=30)
NAME_TEXT = st.text(CHARS, min_size=1, max_size=30)
DCSA_FIELDS = ("eventID", "eventType", "eventClassifierCode", "eventDateTime", "eventCreatedDateTime",
               "transportEventTypeCode", "equipmentEventTypeCode", "shipmentEventTypeCode", "transportCall",
               "equipmentReference", "documentReference", "documentID", "documentTypeCode", "eventLocation",
               "metadata", "payload")
KEYS = st.one_of(st.sampled_from(sorted(model.FIELDS) + list(DCSA_FIELDS)), TEXT)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**64 - 1), st.integers(-10**30, 10**30),
                    st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS, kids, max_size=4),
                           max_leaves=20)
NON_STRINGS = JSON_VALUES.filter(lambda v: not isinstance(v, str))
NON_NULL_NON_STRINGS = NON_STRINGS.filter(lambda v: v is not None)
# values in an event's data, nested as deep as an event may be (the event and its data are two levels)
DEEP = st.builds(nested_value, st.integers(2, model.MAX_DEPTH - 2), st.sampled_from("[{"))


def huge_text(min_size: int, max_size: int):
    """A long string cheaply: one character repeated (sizes well past what hypothesis draws)."""
    return st.builds(lambda ch, n: ch * n, CHARS, st.integers(min_size, max_size))


def latin1_text(max_size: int = 40):
    return st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
                   max_size=max_size)


# -- times -------------------------------------------------------------------------------------
def format_time(local: datetime, offset_minutes: int | None, sep: str = "T", digits: int = 0,
                zulu: str = "Z") -> str:
    """Written by hand: strftime does not pad years before 1000."""
    text = (f"{local.year:04d}-{local.month:02d}-{local.day:02d}{sep}"
            f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}")
    if digits:
        text += "." + f"{local.microsecond:06d}000"[:digits]
    if offset_minutes is None:
        return text + zulu
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return text + f"{sign}{hours:02d}:{minutes:02d}"


@st.composite
def times(draw, earliest: datetime, latest: datetime) -> str:
    """A valid RFC 3339 time of an instant in [earliest, latest], in any offset and spelling."""
    naive = draw(st.one_of(
        st.datetimes(min_value=max(earliest, latest - timedelta(days=30)), max_value=latest),
        st.datetimes(min_value=earliest, max_value=latest)))
    moment = naive.replace(tzinfo=timezone.utc)
    offset = draw(st.one_of(st.none(), st.sampled_from([0, 480, -300, 330, 345, 840, -720]),
                            st.integers(-1439, 1439)))
    local = moment + timedelta(minutes=offset or 0)
    return format_time(local, offset, draw(st.sampled_from("TtT ")), draw(st.integers(0, 9)),
                       draw(st.sampled_from("Zz")))


def valid_times(context: str):
    """Ingest: up to 12 h ahead of now (a day ahead is refused); the log checks the range only."""
    earliest = datetime(1970, 1, 3)
    if context == "ingest":
        latest = NOW + timedelta(hours=12)
    else:
        latest = datetime(2199, 12, 30)
    return times(earliest, latest)


@st.composite
def far_times(draw) -> str:
    """Far past (before 1970-01-02) and far future (2200 on): outside the state's range."""
    if draw(st.booleans()):
        local = draw(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(1969, 12, 31, 9)))
    else:
        local = draw(st.datetimes(min_value=datetime(2200, 1, 2), max_value=datetime(9999, 12, 31, 23, 59, 59)))
    return format_time(local, draw(st.one_of(st.none(), st.integers(-840, 840))))


@st.composite
def near_future_times(draw) -> str:
    """More than a day ahead of now but before 2200: refused at ingest, valid in the log."""
    local = draw(st.datetimes(min_value=NOW + timedelta(days=2), max_value=datetime(2199, 1, 1)))
    return format_time(local, None)


IMPOSSIBLE_TIMES = st.sampled_from([
    "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-27T25:00:00Z", "2026-11-27T08:60:00Z",
    "2026-11-27T08:00:60Z", "2026-11-27T08:00:00+24:00", "2026-11-27T08:00:00+99:99", "2026-00-10T08:00:00Z",
    "0000-01-01T00:00:00Z", "2026-11-27T08:00:00", "2026-11-27", "2026-11-27T08:00Z", "20261127T080000Z",
    "2026-11-27T08:00:00.Z", "2026-11-27T08:00:00.1234567890Z", "2026-11-27T08:00:00+0800",
    "2026-W48-5T08:00:00Z", "1795765635", "now", "", " 2026-11-27T08:00:00Z", "2026-11-27T08:00:00Z ",
    "２０２６-11-27T08:00:00Z", "2026-11-27T08:00:00\x00Z"])
BAD_TIMES_ANYWHERE = st.one_of(NON_STRINGS, TEXT.filter(lambda t: not model._RFC3339.fullmatch(t)),
                               far_times(), IMPOSSIBLE_TIMES)


def bad_times(context: str):
    return st.one_of(BAD_TIMES_ANYWHERE, near_future_times()) if context == "ingest" else BAD_TIMES_ANYWHERE


# -- identifiers ---------------------------------------------------------------------------------
@st.composite
def unique_ids(draw) -> str:
    """Unique by construction (a run prefix and a counter), with a random tail."""
    return f"hx{RUN}-{next(SEQ)}" + draw(st.text(CHARS, max_size=20))


@st.composite
def containers(draw, valid: bool = True) -> str:
    owner = draw(st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3))
    body = f"{owner}{draw(st.sampled_from('UJZ'))}{draw(st.integers(0, 999_999)):06d}"
    digit = iso6346.calc_check_digit(body)
    if not valid:
        digit = str((int(digit) + draw(st.integers(1, 9))) % 10)
    number = body + digit
    style = draw(st.sampled_from(["plain", "plain", "lower", "spaced", "dashed"]))
    return {"plain": number, "lower": number.lower(), "spaced": f"{number[:4]} {number[4:10]} {number[10]}",
            "dashed": f"{number[:4]}-{number[4:10]}-{number[10]}"}[style]


@st.composite
def imos(draw, valid: bool = True) -> str:
    body = f"{draw(st.integers(0, 999_999)):06d}"
    digit = stdnum_imo.calc_check_digit(body)
    if not valid:
        digit = str((int(digit) + draw(st.integers(1, 9))) % 10)
    number = body + digit
    return draw(st.sampled_from([number, number, f"IMO {number}", f"IMO{number}", f" {number} "]))


SOURCE_NAMES = st.from_regex(r"[a-z0-9][a-z0-9_.\-]{0,30}", fullmatch=True)


# -- v1 events -----------------------------------------------------------------------------------
# a partner may not send ticks; a retraction must name an event sent before, so it is not built
# here at random (tests/unit/test_retractions.py, tests/integration/test_retractions.py)
V1_INGEST_TYPES = sorted(model.EVENT_TYPES - {"clock.tick", model.RETRACTED})
V1_LOG_TYPES = sorted(model.EVENT_TYPES - {model.RETRACTED})


def checked_data_keys(kind: str) -> set[str]:
    return (set(model.DATA_CHOICES.get(kind, {})) | set(model.DATA_TIMES.get(kind, ()))
            | set(model.DATA_TEXTS.get(kind, ())) | set(model.DATA_COUNTS.get(kind, ())))


@st.composite
def valid_data(draw, kind: str) -> dict:
    data = {}
    for key, choices in model.DATA_CHOICES.get(kind, {}).items():
        if draw(st.booleans()):
            data[key] = draw(st.sampled_from(choices))
    for key in model.DATA_TIMES.get(kind, ()):
        if draw(st.booleans()):
            data[key] = draw(valid_times("log"))
    for key in model.DATA_TEXTS.get(kind, ()):
        if draw(st.booleans()):
            data[key] = draw(st.one_of(st.none(), st.text(CHARS, max_size=200), huge_text(150, 200)))
    for key in model.DATA_COUNTS.get(kind, ()):
        if draw(st.booleans()):
            data[key] = draw(st.integers(0, 2**63 - 1))
    taken = checked_data_keys(kind)
    extra = st.one_of(JSON_VALUES, DEEP, huge_text(1, 100_000))
    data.update(draw(st.dictionaries(KEYS.filter(lambda k: k not in taken), extra, max_size=3)))
    return data


@st.composite
def valid_v1(draw, source: str | None, context: str = "ingest") -> dict:
    """A valid event of model v1, built to order: every required field, random optional ones."""
    kind = draw(st.sampled_from(V1_INGEST_TYPES if context == "ingest" else V1_LOG_TYPES))
    event = {"id": draw(unique_ids()), "type": kind, "time": draw(valid_times(context)),
             "source": source or draw(SOURCE_NAMES)}
    if kind in model.BOX_TYPES or draw(st.integers(0, 5)) == 0:
        event["container"] = draw(containers())
    if kind in model.BOX_TYPES or draw(st.integers(0, 5)) == 0:
        event["direction"] = draw(st.sampled_from(model.DIRECTIONS))
    if kind in model.NEEDS_VESSEL or draw(st.integers(0, 5)) == 0:
        event["vessel"] = draw(imos())
    if draw(st.booleans()):
        event["voyage"] = draw(st.text(CHARS, min_size=1, max_size=32))
    if draw(st.booleans()):
        event["classifier"] = draw(st.sampled_from(model.CLASSIFIERS))
    if draw(st.integers(0, 9)) == 0:
        event["origin"] = draw(st.sampled_from([None, "dcsa"]))
    if draw(st.integers(0, 3)) > 0:
        event["data"] = draw(st.one_of(valid_data(kind), st.none()))
    # as any JSON reader gives it back (an integer past 64 bits becomes a float), so that a
    # producer writing straight into the log can write it
    return orjson.loads(json.dumps(event))


def other_text(forbidden) -> st.SearchStrategy:
    return TEXT.filter(lambda t: t not in forbidden)


@st.composite
def broken_v1(draw, source: str | None, context: str = "ingest") -> tuple[dict, str, str]:
    """A valid event with one thing wrong → (event, kind, what). kind: `forbidden` when the whole
    request must be refused (403: a source other than the key's partner), else `rejected`."""
    event = draw(valid_v1(source, context))
    event.pop("origin", None)  # `origin: dcsa` excuses a missing direction
    kind = event["type"]
    box, needs_vessel = kind in model.BOX_TYPES, kind in model.NEEDS_VESSEL
    what = draw(st.sampled_from(["missing", "null", "id", "type", "time", "classifier", "container",
                                 "vessel", "voyage", "data", "unknown_field", "origin", "direction", "source"]))
    required = ["id", "type", "time"] + (["container", "direction"] if box else []) + (["vessel"] if needs_vessel else [])
    if what == "missing":
        name = draw(st.sampled_from(required + ["source"]))
        del event[name]
        return event, "rejected", f"missing {name}"
    if what == "null":
        name = draw(st.sampled_from(required))
        event[name] = None
        return event, "rejected", f"{name}: null"
    if what == "id":
        event["id"] = draw(st.one_of(NON_STRINGS, st.just(""), huge_text(model.MAX_ID_LENGTH + 1, 100_000)))
    elif what == "type":
        bad = st.one_of(NON_STRINGS, other_text(model.EVENT_TYPES), st.sampled_from(["GATE.IN", "gate.in ", "gate"]))
        event["type"] = draw(st.one_of(bad, st.just("clock.tick")) if context == "ingest" else bad)
    elif what == "time":
        event["time"] = draw(bad_times(context))
    elif what == "classifier":
        event["classifier"] = draw(st.one_of(NON_STRINGS, other_text(model.CLASSIFIERS),
                                             st.sampled_from(["ACT", "Actual", "actual "])))
    elif what == "container":
        event["container"] = draw(st.one_of(
            containers(valid=False), NON_NULL_NON_STRINGS, huge_text(33, 10_000),
            TEXT.filter(lambda t: not model.check_container(t)[0] if len(t) <= 32 else True)))
    elif what == "vessel":
        event["vessel"] = draw(st.one_of(
            imos(valid=False), NON_NULL_NON_STRINGS, huge_text(33, 10_000),
            st.from_regex(r"[0-9]{1,6}|[0-9]{8,20}", fullmatch=True),
            TEXT.filter(lambda t: not any(c.isdigit() for c in t))))
    elif what == "voyage":
        event["voyage"] = draw(st.one_of(st.just(""), NON_NULL_NON_STRINGS, huge_text(33, 10_000)))
    elif what == "data":
        wrong = [st.one_of(NON_NULL_NON_STRINGS.filter(lambda v: not isinstance(v, dict)), NAME_TEXT)]
        for key, choices in model.DATA_CHOICES.get(kind, {}).items():
            wrong.append(st.one_of(NON_NULL_NON_STRINGS, other_text(choices)).map(lambda v, k=key: {k: v}))
        for key in model.DATA_TIMES.get(kind, ()):
            wrong.append(BAD_TIMES_ANYWHERE.map(lambda v, k=key: {k: v}))
        for key in model.DATA_TEXTS.get(kind, ()):
            wrong.append(st.one_of(NON_NULL_NON_STRINGS, huge_text(model.MAX_TEXT + 1, 20_000)).map(lambda v, k=key: {k: v}))
        for key in model.DATA_COUNTS.get(kind, ()):
            wrong.append(st.one_of(st.integers(max_value=-1), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                                   TEXT, st.none()).map(lambda v, k=key: {k: v}))
        event["data"] = draw(st.one_of(*wrong))
    elif what == "unknown_field":
        name = draw(st.one_of(st.sampled_from(["ID", "Type", "eventID", "timestamp", "__proto__", "", "id "]), TEXT)
                    .filter(lambda k: k not in model.FIELDS))
        event[name] = draw(JSON_VALUES)
    elif what == "origin":
        event["origin"] = draw(st.one_of(NON_NULL_NON_STRINGS, other_text(model.ORIGINS), st.just("DCSA")))
    elif what == "direction":
        event["direction"] = draw(st.one_of(NON_NULL_NON_STRINGS, other_text(model.DIRECTIONS),
                                            st.sampled_from(["IMPORT", "in", "out"])))
    elif what == "source":
        if context == "ingest":  # another partner's name, anything that is not the key's partner
            event["source"] = draw(st.one_of(st.sampled_from(sorted(set(PARTNER_KEYS) - {event["source"]})),
                                             NON_STRINGS, other_text({event["source"]})))
            return event, "forbidden", "source of another partner"
        event["source"] = draw(st.one_of(NON_STRINGS, TEXT.filter(lambda t: not model._SOURCE.fullmatch(t))))
    return event, "rejected", what


# -- simple valid events (a fresh one when the fuzz has none yet; the nesting tests' carriers) ---
def simple_event(tag: str) -> dict:
    """A valid gate event with a unique id, as compact JSON-able dict."""
    n = next(SEQ)
    body = f"TESU{n % 1_000_000:06d}"
    return {"id": f"hx{RUN}-{tag}-{n}", "type": "gate.in",
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "source": PARTNER,
            "container": body + iso6346.calc_check_digit(body), "direction": "import"}


def simple_dcsa_event() -> dict:
    body = f"TESU{next(SEQ) % 1_000_000:06d}"
    return {"eventID": f"hx{RUN}-dcsa-{next(SEQ)}", "eventType": "EQUIPMENT", "eventClassifierCode": "ACT",
            "eventDateTime": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "equipmentEventTypeCode": "GTIN", "equipmentReference": body + iso6346.calc_check_digit(body)}
