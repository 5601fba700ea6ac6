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
tests further down, so that the fuzz goes on checking everything else.
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
import pytest
import redis
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import imo as stdnum_imo
from stdnum import iso6346

from dashboard.app import create_app, stop_app
from dashboard.config import Config
from feeds import dcsa as dcsa_model
from feeds import events as model
from feeds.keys import PortKeys
from feeds.publisher import Publisher
from tests.helpers import ACCESS_CONFIG, PARTNER_KEYS, READ_KEY, read_auth, wait_for

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


@pytest.fixture
def tally(request):
    counted = Tally(request.node.name)
    yield counted
    seconds = round(time.monotonic() - counted.started, 2)
    line = {"test": request.node.nodeid, "inputs": counted.inputs, "requests": counted.requests,
            "events_in_requests": counted.items, "log_entries": counted.log_entries,
            "statuses": dict(sorted(counted.statuses.items())), "log_entry_kinds": dict(counted.kinds),
            "valid_events_applied": counted.valid_applied, "finished": counted.finished,
            "seconds": seconds, "inputs_total_this_run": INPUTS["total"],
            "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    print(f"\n[hostile-input] {request.node.name}: {counted.inputs} inputs tried "
          f"({counted.requests} HTTP requests carrying {counted.items} events, {counted.log_entries} log "
          f"entries); statuses {line['statuses']}; {counted.valid_applied} valid events applied; "
          f"{seconds} s; {INPUTS['total']} inputs in this run so far")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    with ARTIFACT.open("a") as out:
        out.write(json.dumps(line) + "\n")


@pytest.fixture
def config(redis_url, port_id, tmp_path) -> Config:
    """conftest's, with a partner rate limit the fuzz does not reach (a 429 would hide the rest)."""
    return Config(redis_url=redis_url, port_id=port_id, partner_keys=dict(PARTNER_KEYS), data_dir=tmp_path,
                  snapshot_seconds=3600, partner_rate_limit=RATE_LIMIT, **ACCESS_CONFIG)


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
V1_INGEST_TYPES = sorted(model.EVENT_TYPES - {"clock.tick"})  # a partner may not send ticks
V1_LOG_TYPES = sorted(model.EVENT_TYPES)


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


# -- raw items and bodies ------------------------------------------------------------------------
@dataclass
class Item:
    raw: bytes
    kind: str  # valid | dup | rejected | forbidden | poison (the whole body is not JSON) | unknown
    what: str = ""
    event: dict | None = None
    is_object: bool = True
    event_id: str | None = None
    pick: int | None = None  # a placeholder: an event accepted earlier, chosen when the request is sent

    def short(self) -> str:
        return f"{self.kind}:{self.what}" if self.what else self.kind


@st.composite
def dup_key_prefix(draw, event: dict) -> bytes:
    """The same event with one key twice. For a valid one, first a valid alternative of the field
    (valid whichever copy a parser keeps); for a broken one, a pair repeated as it is."""
    body = dumps(event)
    options = [k for k in ("classifier", "voyage", "data", "direction") if k in event]
    if not options:
        key = next(iter(event))
        return b"{" + dumps(key) + b":" + dumps(event[key]) + b"," + body[1:]
    key = draw(st.sampled_from(options))
    alternative = {"classifier": st.sampled_from(model.CLASSIFIERS), "voyage": st.text(CHARS, min_size=1, max_size=32),
                   "data": st.just({}), "direction": st.sampled_from(model.DIRECTIONS)}[key]
    return b"{" + dumps(key) + b":" + dumps(draw(alternative)) + b"," + body[1:]


INVALID_UTF8 = st.one_of(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                          b"\x80", b"\xe2\x82", b"\xc3\x28", b"\xf8\x88\x80\x80\x80"]),
                         st.binary(min_size=1, max_size=8).filter(lambda b: not _is_utf8(b)))
BAD_TOKENS = st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"nan", b"1e400", b"-1e999", b"undefined",
                              b"'single'", b"0x10", b"01", b"+1", b".5", b"1.", b"True", b"None", b"[1,]",
                              b"{\"a\":1,}", b"/*c*/1", b'"\\ud800"', b'"\\udc00x"', b'"a\x01b"', b'"a\nb"',
                              b'"\\x41"', b'"\\u12"'])


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


@st.composite
def poison_items(draw, source: str) -> Item:
    """An item that makes the whole body not JSON (400 for the whole request, nothing stored)."""
    event = draw(valid_v1(source))
    rest = dumps(event)[1:]
    what = draw(st.sampled_from(["token", "utf8_in_key", "utf8_in_value", "deep", "unclosed", "single_quotes"]))
    if what == "token":
        raw = b'{"data":{"x":' + draw(BAD_TOKENS) + b"}," + rest
    elif what == "utf8_in_key":
        raw = b'{"' + draw(INVALID_UTF8) + b'":1,' + rest
    elif what == "utf8_in_value":
        raw = b'{"id":"a' + draw(INVALID_UTF8) + b'",' + rest
    elif what == "deep":  # past orjson's reading limit (1,024)
        raw = nest(draw(st.integers(1025, 20_000)), draw(st.sampled_from("[{")))
    elif what == "unclosed":
        raw = dumps(event)[:-1]
    else:
        raw = dumps(event).replace(b'"', b"'")
    return Item(raw, "poison", what)


@st.composite
def v1_items(draw, source: str) -> Item:
    choice = draw(st.integers(0, 99))
    if choice < 40:
        event = draw(valid_v1(source))
        raw = draw(dup_key_prefix(event)) if draw(st.integers(0, 9)) == 0 else dumps(event)
        return Item(raw, "valid", "dup-key" if raw != dumps(event) else "", event, event_id=event["id"])
    if choice < 72:
        event, kind, what = draw(broken_v1(source))
        raw = draw(dup_key_prefix(event)) if draw(st.integers(0, 9)) == 0 else dumps(event)
        event_id = event.get("id") if isinstance(event.get("id"), str) else None
        return Item(raw, kind, what, event, event_id=event_id)
    if choice < 77:  # an event accepted by an earlier request: a duplicate now
        return Item(b"", "dup", "earlier request", pick=draw(st.integers(0, 2**31)))
    if choice < 98:
        value = draw(st.one_of(JSON_VALUES, st.dictionaries(KEYS, JSON_VALUES, max_size=8)))
        if isinstance(value, dict) and "source" in value and value["source"] != source:
            kind = "forbidden"
        else:
            kind = "rejected"
        event_id = value.get("id") if isinstance(value, dict) and isinstance(value.get("id"), str) else None
        return Item(dumps(value), kind, "random JSON", is_object=isinstance(value, dict), event_id=event_id)
    return draw(poison_items(source))


AUTH_VARIANTS = [  # (header value or None for no header, the status it must get or None: let through)
    ("Bearer {key}", None), ("bearer {key}", None), ("BEARER {key}", None), ("Bearer   {key}   ", None),
    (None, 401), ("", 401), ("Basic a2V5LXRydWNraW5nOg==", 401), ("Bearer", 401), ("Bearer ", 401),
    ("Bearer wrong-key", 401), ("Token {key}", 401), ("{key}", 401), ("Bearer {key}x", 401),
    ("Bearer\t{key}", 401), ("Bearer {key} {key}", 401), ("Bearer " + "A" * 65536, 401),
    ("Bearer " + "\xe9" * 100, 401), ("Bearer " + READ_KEY, 403),
]
CONTENT_TYPES = [None, "application/json", "application/json; charset=utf-8", "text/plain",
                 "application/x-www-form-urlencoded", "multipart/form-data; boundary=zzz",
                 "application/json; charset=utf-16", "", "application/octet-stream", "x" * 65536,
                 "application/json" + "; a=b" * 500]
JUNK_HEADERS = st.dictionaries(
    st.one_of(st.sampled_from(["X-Forwarded-For", "X-Request-Id", "Accept", "Content-Encoding", "Expect", "Origin",
                               "Cookie", "User-Agent", "Accept-Language", "X-Real-IP", "Referer", "If-None-Match"]),
              st.from_regex(r"X-[A-Za-z0-9-]{1,40}", fullmatch=True)),
    st.one_of(latin1_text(), st.sampled_from(["text/html", "gzip", "100-continue", "http://evil.example", "null",
                                              "session=garbage", "127.0.0.1, 10.0.0.1", "*/*"]),
              huge_text(1000, 65536).map(lambda s: "h" * len(s))),
    max_size=4)


@dataclass
class Req:
    body: bytes
    items: list[Item]
    headers: dict
    auth_status: int | None
    mutation: str = ""

    def expected(self) -> tuple[int | None, str | None]:
        """The status and `error` docs/api.md give this request (None: no single answer known)."""
        if self.auth_status:
            return self.auth_status, "unauthorized" if self.auth_status == 401 else "forbidden"
        if len(self.body) > MAX_BODY:
            return 413, "too_large"
        if self.mutation == "opaque":
            return None, None
        if self.mutation == "scalar":
            return 400, "not_event"
        if self.mutation or any(item.kind == "poison" for item in self.items):
            return 400, "not_json"
        if any(item.kind == "forbidden" for item in self.items):
            return 403, "wrong_source"
        return 202, None

    def describe(self) -> str:
        headers = {k: (v if len(v) < 60 else f"<{len(v)} chars>") for k, v in self.headers.items()}
        body = self.body if len(self.body) < 400 else self.body[:300] + b"...<%d bytes>" % len(self.body)
        return (f"items={[i.short() for i in self.items]} mutation={self.mutation!r} headers={headers} "
                f"body={body!r}")


WHITESPACE = st.sampled_from([b"", b"", b" ", b"\n", b"\t", b"\r\n", b"  \n "])


@dataclass
class BodyPlan:
    """How the items become one body, drawn up front; the body is put together when it is sent
    (the items that repeat earlier events are only known then)."""
    bare: bool
    sep: bytes
    roll: int
    extra: object = None


@st.composite
def body_plans(draw, items: list[Item]) -> BodyPlan:
    bare = len(items) == 1 and items[0].is_object and draw(st.booleans())
    roll = draw(st.integers(0, 99))
    extra = None
    if roll < 3:
        extra = (draw(WHITESPACE), draw(WHITESPACE))
    elif roll < 5:
        extra = draw(st.sampled_from(["1 MB", "to 5 MB", "past 5 MB"]))
    elif roll < 8:
        extra = draw(st.integers(0, 2**31))
    elif roll < 11:
        extra = draw(st.sampled_from([b"x", b"]", b"}", b",", b"\x00", b"[]", b",{}", b"\xff"]))
    elif roll < 17 and roll >= 14:
        extra = dumps(draw(SCALARS))
    elif 17 <= roll < 20:
        extra = draw(st.binary(max_size=200))
    elif 20 <= roll < 22:
        extra = draw(st.integers(1025, 100_000))
    return BodyPlan(bare, draw(WHITESPACE), roll, extra)


def assemble(items: list[Item], plan: BodyPlan) -> tuple[bytes, str]:
    """The items as one body (an array, or a bare object), sometimes broken as a whole."""
    if plan.bare:
        body = items[0].raw
    else:
        body = b"[" + plan.sep + (b"," + plan.sep).join(item.raw for item in items) + plan.sep + b"]"
    roll, extra = plan.roll, plan.extra
    if roll < 3:
        return extra[0] + body + extra[1], ""  # still JSON
    if roll < 5:  # padded with whitespace: still JSON, under and over the 5 MB limit
        pad = {"1 MB": 1_000_000, "to 5 MB": MAX_BODY - len(body), "past 5 MB": MAX_BODY + 1 - len(body)}[extra]
        return body + b" " * pad, ""
    if roll < 8:
        if body[:1] in b"[{" and len(body) > 1:
            return body[:1 + extra % (len(body) - 1)], "truncate"
        return body, ""
    if roll < 11:
        return body + extra, "garbage"
    if roll < 13:
        return b"\xef\xbb\xbf" + body, "bom"
    if roll < 14:
        return b"", "empty"
    if roll < 17:
        return extra, "scalar"
    if roll < 20:
        return extra, "opaque"
    if roll < 22:
        return nest(extra), "deep"
    return body, ""


@dataclass
class Draft:
    items: list[Item]
    plan: BodyPlan
    headers: dict
    auth_status: int | None

    def request(self, pool: list[dict], fresh) -> Req:
        """The request to send: placeholders become events accepted earlier (a fresh valid
        event while there are none yet)."""
        items = []
        for item in self.items:
            if item.pick is None:
                items.append(item)
            elif pool:
                event = pool[item.pick % len(pool)]
                items.append(Item(dumps(event), "dup", item.what, event, event_id=_id_of(event)))
            else:
                event = fresh()
                items.append(Item(dumps(event), "valid", "fresh", event, event_id=_id_of(event)))
        body, mutation = assemble(items, self.plan)
        return Req(body, items, self.headers, self.auth_status, mutation)


def _id_of(raw: dict) -> str | None:
    return raw["id"] if "id" in raw else dcsa_model.event_id(raw)


@st.composite
def drafts(draw, item_strategy) -> Draft:
    items = draw(st.lists(item_strategy(PARTNER), max_size=12))
    valid = [item for item in items if item.kind == "valid"]
    if valid and draw(st.integers(0, 9)) == 0:  # the same event twice in one request: one duplicate
        twin = draw(st.sampled_from(valid))
        items.insert(draw(st.integers(0, len(items))), Item(twin.raw, "dup", "same request", twin.event,
                                                            event_id=twin.event_id))
        seen = False
        for item in items:  # whichever copy comes first is the one accepted
            if item.raw == twin.raw:
                item.kind, item.what = ("dup", "same request") if seen else ("valid", twin.what)
                seen = True
    plan = draw(body_plans(items))
    let_in = [v for v in AUTH_VARIANTS if v[1] is None]  # mostly let in: the body is what is fuzzed
    auth_template, auth_status = draw(st.sampled_from(let_in if draw(st.integers(0, 3)) else AUTH_VARIANTS))
    headers = dict(draw(JUNK_HEADERS))
    if auth_template is not None:
        headers["Authorization"] = auth_template.format(key=PARTNER_KEYS[PARTNER])
    content_type = draw(st.sampled_from(CONTENT_TYPES))
    if content_type is not None:
        headers["Content-Type"] = content_type
    return Draft(items, plan, headers, auth_status)


def post(client, url: str, req: Req):
    environ = {"REMOTE_ADDR": "203.0.113.7"}
    return client.post(url, data=req.body, headers=req.headers, environ_base=environ)


def check_answer(response, req: Req) -> dict | None:
    """What every answer must be: below 500, JSON, an `error` on a 4xx, every item accounted on a
    202; and the status docs/api.md gives this request. → the 202 body, else None."""
    status = response.status_code
    assert status < 500, f"HTTP {status} {response.data[:300]!r} for {req.describe()}"
    try:
        body = orjson.loads(response.data)
    except orjson.JSONDecodeError:
        raise AssertionError(f"HTTP {status} answer is not JSON: {response.data[:300]!r} for {req.describe()}")
    if status >= 400:
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], \
            f"HTTP {status} without an `error`: {body!r} for {req.describe()}"
        assert isinstance(body.get("message"), str) and body["message"], f"HTTP {status} without a message: {body!r}"
    expected_status, expected_error = req.expected()
    if expected_status is not None:
        assert status == expected_status, \
            f"HTTP {status} {body!r}, expected {expected_status} {expected_error} for {req.describe()}"
        if expected_error:
            assert body["error"] == expected_error, f"error {body['error']!r}, expected {expected_error!r}"
    if status != 202:
        return None
    sent = orjson.loads(req.body)
    count = len(sent) if isinstance(sent, list) else 1
    assert body["accepted"] + body["duplicates"] + len(body["rejected"]) == count, \
        f"202 {body!r} does not account for the {count} items of {req.describe()}"
    for entry in body["rejected"]:
        assert entry["errors"] and all(set(e) == {"field", "problem"} for e in entry["errors"]), entry
    return body


def state_of(app):
    return app.server.extensions["portpulse"].store.state


def wait_applied(app, client, expected: int, what: str) -> dict:
    state = state_of(app)
    try:
        wait_for(lambda: state.applied >= expected, timeout=30, what=f"{expected} {what} to be applied")
    finally:
        health = client.get("/healthz").json
    assert state.applied == expected, f"{state.applied} events applied, {expected} valid ones were sent"
    assert health["events_applied"] == expected, f"/healthz says {health['events_applied']}, expected {expected}"
    assert health["consumer"]["connected"] and health["consumer"]["caught_up"], health["consumer"]
    return health


def assert_still_serves(client) -> None:
    """After the fuzz: the read side answers too (the state holds whatever the fuzz applied)."""
    for path in ("/healthz", "/api/v1/kpis", "/api/v1/feeds", "/api/v1/vessels"):
        response = client.get(path, headers=read_auth())
        assert response.status_code == 200, f"GET {path} → {response.status_code} {response.data[:300]!r}"
    response = client.get("/api/v1/rejects?limit=500", headers={"Authorization": f"Bearer {PARTNER_KEYS[PARTNER]}"})
    assert response.status_code == 200, f"GET /api/v1/rejects → {response.status_code} {response.data[:300]!r}"


# -- the HTTP ingest -----------------------------------------------------------------------------
def test_v1_ingest_fuzz_answers_every_request_2xx_or_4xx_and_applies_every_valid_event(app, client, tally):
    pool: list[dict] = []  # events accepted so far: sent again, they are duplicates
    expected = Counter()

    @fuzz(max_examples=300)
    @given(draft=drafts(v1_items))
    def one_request(draft: Draft):
        req = draft.request(pool, lambda: simple_event("fresh"))
        response = post(client, V1_URL, req)
        tally.request(response.status_code, len(req.items))
        body = check_answer(response, req)
        if body is None:
            return
        valid = [i for i, item in enumerate(req.items) if item.kind == "valid"]
        dups = [i for i, item in enumerate(req.items) if item.kind == "dup"]
        rejected = [i for i, item in enumerate(req.items) if item.kind == "rejected"]
        assert body["accepted"] == len(valid), f"{body!r}: {len(valid)} valid events sent in {req.describe()}"
        assert body["duplicates"] == len(dups), f"{body!r}: {len(dups)} duplicates sent in {req.describe()}"
        assert [r["index"] for r in body["rejected"]] == rejected, f"{body!r} for {req.describe()}"
        for entry in body["rejected"]:
            assert entry["id"] == req.items[entry["index"]].event_id, entry
        expected["valid"] += len(valid)
        pool.extend(req.items[i].event for i in valid)

    one_request()
    health = wait_applied(app, client, expected["valid"], "valid events of the mix")
    tally.valid_applied = expected["valid"]
    assert health["events_accepted_at_ingest"] == expected["valid"]
    assert_still_serves(client)
    tally.finished = True


# -- the DCSA route ------------------------------------------------------------------------------
@st.composite
def dcsa_location(draw):
    return draw(st.one_of(st.fixed_dictionaries({"UNLocationCode": st.sampled_from(["CNXMN", "USNYC", "??"])},
                                                optional={"locationName": TEXT, "latitude": JSON_VALUES}),
                          st.dictionaries(KEYS, JSON_VALUES, min_size=1, max_size=4)))


@st.composite
def dcsa_vessel_call(draw, code: str, vessel: bool = True, mode: str | None = "VESSEL") -> dict:
    call = {}
    if mode is not None and (mode != "VESSEL" or draw(st.booleans())):
        call["modeOfTransport"] = mode
    if vessel:
        number = draw(imos()).strip()
        as_int = number.isdigit() and number[0] != "0" and draw(st.booleans())
        call["vessel"] = {"vesselIMONumber": int(number) if as_int else number}
        if draw(st.booleans()):
            call["vessel"]["name"] = draw(st.text(CHARS, min_size=1, max_size=60))
    for name in ("carrierImportVoyageNumber", "carrierExportVoyageNumber", "carrierVoyageNumber"):
        if draw(st.integers(0, 2)) == 0:
            call[name] = draw(st.text(CHARS, min_size=1, max_size=32))
    if draw(st.booleans()):
        call["location"] = draw(dcsa_location())
    return call


DCSA_TEMPLATES = ["transport-vessel", "transport-other", "equipment", "equipment-document", "shipment"]


@st.composite
def valid_dcsa(draw) -> tuple[dict, str]:
    """A DCSA event that maps to a valid v1 event, flat (the envelope is put on later)."""
    template = draw(st.sampled_from(DCSA_TEMPLATES))
    flat = {"eventID": draw(unique_ids()), "eventClassifierCode": draw(st.sampled_from(["ACT", "EST", "PLN"])),
            "eventDateTime": draw(valid_times("ingest"))}
    if template.startswith("transport"):
        flat["eventType"] = "TRANSPORT"
        code = flat["transportEventTypeCode"] = draw(st.sampled_from(["ARRI", "DEPA"]))
        mode = "VESSEL" if template == "transport-vessel" else draw(st.sampled_from(dcsa_model.OTHER_MODES))
        flat["transportCall"] = draw(dcsa_vessel_call(code, vessel=mode == "VESSEL", mode=mode))
    elif template == "equipment":
        flat["eventType"] = "EQUIPMENT"
        code = flat["equipmentEventTypeCode"] = draw(st.sampled_from(sorted(dcsa_model.EQUIPMENT)))
        flat["equipmentReference"] = draw(containers())
        needs_vessel = dcsa_model.EQUIPMENT[code][0] in model.NEEDS_VESSEL
        if needs_vessel or draw(st.booleans()):
            flat["transportCall"] = draw(dcsa_vessel_call(code, vessel=True))
    elif template == "equipment-document":
        flat["eventType"] = "EQUIPMENT"
        flat["equipmentEventTypeCode"] = draw(st.sampled_from(sorted(dcsa_model.EQUIPMENT_AS_DOCUMENT)))
        if draw(st.booleans()):
            flat["equipmentReference"] = draw(st.one_of(containers(), st.text(CHARS, max_size=100)))
    else:
        flat["eventType"] = "SHIPMENT"
        flat["shipmentEventTypeCode"] = draw(st.one_of(st.sampled_from(["RECE", "ISSU", "APPR", "CONF"]),
                                                       st.text(CHARS, min_size=1, max_size=200)))
        if draw(st.booleans()):
            flat["documentTypeCode"] = draw(st.one_of(st.sampled_from(["BKG", "TRD"]), st.text(CHARS, max_size=200)))
        if draw(st.booleans()):
            flat[draw(st.sampled_from(["documentReference", "documentID"]))] = draw(st.text(CHARS, min_size=1, max_size=200))
    if draw(st.booleans()) and not template.startswith("transport"):
        flat["eventLocation"] = draw(dcsa_location())
    if draw(st.integers(0, 3)) == 0:  # the type said only by its code field
        del flat["eventType"]
    if draw(st.integers(0, 3)) == 0:
        flat["eventCreatedDateTime"] = draw(st.one_of(valid_times("log"), JSON_VALUES))
    return flat, template


@st.composite
def broken_dcsa(draw) -> tuple[dict, str]:
    """A valid DCSA event with one thing wrong that no mapping can repair."""
    flat, template = draw(valid_dcsa())
    flat.setdefault("eventType", {"transport-vessel": "TRANSPORT", "transport-other": "TRANSPORT",
                                  "equipment": "EQUIPMENT", "equipment-document": "EQUIPMENT",
                                  "shipment": "SHIPMENT"}[template])
    common = ["classifier", "eventType", "eventID", "eventDateTime"]
    own = {"transport-vessel": ["transportCode", "transportCall", "mode", "imo", "voyage", "eta-name"],
           "transport-other": ["transportCode", "transportCall", "mode"],
           "equipment": ["equipmentCode", "reference"] + (
               ["no-vessel"] if template == "equipment"
               and dcsa_model.EQUIPMENT[flat["equipmentEventTypeCode"]][0] in model.NEEDS_VESSEL else []),
           "equipment-document": ["equipmentCode"],
           "shipment": ["shipmentCode", "documentType"]}[template]
    what = draw(st.sampled_from(common + own))
    call = flat.get("transportCall")
    if what == "classifier":
        if draw(st.booleans()):
            del flat["eventClassifierCode"]
        else:
            flat["eventClassifierCode"] = draw(st.one_of(NON_STRINGS, other_text(dcsa_model.CLASSIFIERS),
                                                         st.sampled_from(["act", "ACTUAL", "actual"])))
    elif what == "eventType":
        # not "": an empty type is no type, and the code field then says it
        flat["eventType"] = draw(st.one_of(other_text(dcsa_model.EVENT_TYPES).filter(bool),
                                           st.sampled_from(["transport", "EQUIP"])))
    elif what == "eventID":
        if draw(st.booleans()):
            del flat["eventID"]
        else:
            flat["eventID"] = draw(st.one_of(NON_STRINGS, st.just("")))
    elif what == "eventDateTime":
        if draw(st.booleans()):
            del flat["eventDateTime"]
        else:
            flat["eventDateTime"] = draw(bad_times("ingest"))
    elif what == "transportCode":
        flat["transportEventTypeCode"] = draw(st.one_of(NON_STRINGS, other_text({"ARRI", "DEPA"})))
    elif what == "transportCall":
        flat["transportCall"] = draw(st.one_of(st.none(), NON_NULL_NON_STRINGS.filter(lambda v: not isinstance(v, dict)),
                                               NAME_TEXT))
    elif what == "mode":
        call["modeOfTransport"] = draw(st.one_of(NON_STRINGS, other_text(("VESSEL",) + dcsa_model.OTHER_MODES)))
    elif what == "imo":
        vessel = call["vessel"]
        vessel["vesselIMONumber"] = draw(st.one_of(imos(valid=False), st.sampled_from(["", 0, None, "IMO", "123"]),
                                                   huge_text(33, 5000)))
    elif what == "voyage":
        for name in ("carrierImportVoyageNumber", "carrierExportVoyageNumber", "carrierVoyageNumber"):
            call.pop(name, None)
        call["carrierVoyageNumber"] = draw(huge_text(33, 5000))
    elif what == "eta-name":  # a vessel's name is text of at most 200 characters on an ETA
        flat["eventClassifierCode"] = draw(st.sampled_from(["EST", "PLN"]))
        call["vessel"]["name"] = draw(st.one_of(huge_text(model.MAX_TEXT + 1, 5000),
                                                NON_NULL_NON_STRINGS.filter(bool)))
    elif what == "equipmentCode":
        known = set(dcsa_model.EQUIPMENT) | dcsa_model.EQUIPMENT_AS_DOCUMENT
        flat["equipmentEventTypeCode"] = draw(st.one_of(NON_STRINGS, other_text(known)))
    elif what == "reference":
        flat["equipmentReference"] = draw(st.one_of(containers(valid=False), NON_STRINGS, st.just(""),
                                                     huge_text(33, 5000)))
    elif what == "no-vessel":
        flat.pop("transportCall", None)
    elif what == "shipmentCode":
        flat["shipmentEventTypeCode"] = draw(st.one_of(NON_STRINGS, st.just("")))
    elif what == "documentType":
        flat["documentTypeCode"] = draw(st.one_of(huge_text(model.MAX_TEXT + 1, 5000), NON_NULL_NON_STRINGS))
    return flat, f"{template}/{what}"


@st.composite
def random_dcsa(draw) -> dict:
    """DCSA-shaped objects with random codes and types: the right names, anything as values."""
    codes = st.one_of(st.sampled_from(sorted(set(dcsa_model.EQUIPMENT) | dcsa_model.EQUIPMENT_AS_DOCUMENT
                                             | {"ARRI", "DEPA", "RECE", "", "arri"})), JSON_VALUES)
    call = st.one_of(st.fixed_dictionaries({}, optional={
        "modeOfTransport": st.one_of(st.sampled_from(["VESSEL", "RAIL", "TRUCK", "BARGE", "SHIP"]), JSON_VALUES),
        "vessel": st.one_of(st.fixed_dictionaries({}, optional={"vesselIMONumber": st.one_of(imos(), imos(False), JSON_VALUES),
                                                                "name": JSON_VALUES}), JSON_VALUES),
        "carrierImportVoyageNumber": JSON_VALUES, "carrierExportVoyageNumber": JSON_VALUES,
        "carrierVoyageNumber": JSON_VALUES, "location": JSON_VALUES}), JSON_VALUES)
    flat = draw(st.fixed_dictionaries({}, optional={
        "eventID": st.one_of(NAME_TEXT, JSON_VALUES),
        "eventType": st.one_of(st.sampled_from(dcsa_model.EVENT_TYPES + ("", "transport")), JSON_VALUES),
        "eventClassifierCode": st.one_of(st.sampled_from(["ACT", "EST", "PLN", "act"]), JSON_VALUES),
        "eventDateTime": st.one_of(valid_times("ingest"), BAD_TIMES_ANYWHERE),
        "transportEventTypeCode": codes, "equipmentEventTypeCode": codes, "shipmentEventTypeCode": codes,
        "transportCall": call, "equipmentReference": st.one_of(containers(), containers(False), JSON_VALUES),
        "documentReference": JSON_VALUES, "documentID": JSON_VALUES, "documentTypeCode": JSON_VALUES,
        "eventLocation": JSON_VALUES}))
    if draw(st.booleans()):
        flat.update(draw(st.dictionaries(KEYS, JSON_VALUES, max_size=3)))
    return flat


@st.composite
def envelope(draw, flat: dict):
    """The `{metadata, payload}` envelope: the fields split between the two."""
    metadata, payload = {}, {}
    for key, value in flat.items():
        (metadata if draw(st.booleans()) else payload)[key] = value
    return {"metadata": metadata, "payload": payload}


@st.composite
def dcsa_items(draw, source: str) -> Item:
    choice = draw(st.integers(0, 99))
    if choice < 40:
        flat, template = draw(valid_dcsa())
        raw = draw(envelope(flat)) if draw(st.integers(0, 2)) == 0 else flat
        return Item(dumps(raw), "valid", template, raw, event_id=flat["eventID"])
    if choice < 70:
        flat, what = draw(broken_dcsa())
        raw = draw(envelope(flat)) if draw(st.integers(0, 2)) == 0 else flat
        return Item(dumps(raw), "rejected", what, raw, event_id=dcsa_model.event_id(raw))
    if choice < 75:
        return Item(b"", "dup", "earlier request", pick=draw(st.integers(0, 2**31)))
    if choice < 92:
        flat = draw(random_dcsa())
        shape = draw(st.integers(0, 5))
        raw = draw(envelope(flat)) if shape == 0 else {"metadata": draw(JSON_VALUES), "payload": flat} if shape == 1 else flat
        return Item(dumps(raw), "unknown", "random DCSA", raw, event_id=dcsa_model.event_id(raw))
    if choice < 98:
        value = draw(JSON_VALUES)
        return Item(dumps(value), "rejected" if not isinstance(value, dict) else "unknown", "random JSON",
                    is_object=isinstance(value, dict))
    return draw(poison_items(source))


def test_dcsa_fuzz_answers_every_request_2xx_or_4xx_and_applies_every_valid_event(app, client, tally):
    pool: list[dict] = []
    expected = Counter()

    @fuzz(max_examples=250)
    @given(draft=drafts(dcsa_items))
    def one_request(draft: Draft):
        req = draft.request(pool, simple_dcsa_event)
        response = post(client, DCSA_URL, req)
        tally.request(response.status_code, len(req.items))
        body = check_answer(response, req)
        if body is None:
            return
        rejected = {r["index"]: r for r in body["rejected"]}
        valid = [i for i, item in enumerate(req.items) if item.kind == "valid"]
        for i, item in enumerate(req.items):
            if item.kind in ("valid", "dup"):
                assert i not in rejected, f"valid DCSA event [{i}] ({item.what}) rejected: {rejected[i]} in {req.describe()}"
            if item.kind == "rejected":
                assert i in rejected, f"broken DCSA event [{i}] ({item.what}) not rejected: {item.raw[:300]!r}"
            if i in rejected:
                assert rejected[i]["id"] == item.event_id, rejected[i]
        dups = sum(1 for item in req.items if item.kind == "dup")
        assert body["accepted"] >= len(valid), f"{body!r}: {len(valid)} valid DCSA events in {req.describe()}"
        assert body["duplicates"] >= dups, f"{body!r}: {dups} duplicates in {req.describe()}"
        expected["accepted"] += body["accepted"]
        expected["valid"] += len(valid)
        pool.extend(req.items[i].event for i in valid)

    one_request()
    wait_applied(app, client, expected["accepted"], "accepted DCSA events")
    tally.valid_applied = expected["accepted"]
    assert expected["valid"] > 0
    assert_still_serves(client)
    tally.finished = True


# -- the Redis log -------------------------------------------------------------------------------
# XADD and, when asked, PUBLISH the entry's `event` field as the contract's live line, atomically:
# a producer that keeps docs/redis-contract.md's protocol but writes anything at all.
# KEYS: stream, channel. ARGV: announce (1/0), the announced payload, then field, value, …
_RAW_WRITE = """
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
if ARGV[1] == '1' then redis.call('PUBLISH', KEYS[2], id .. ' ' .. ARGV[2]) end
return id
"""
WRONG_FIELDS = st.sampled_from(["evnt", "Event", "EVENT", "event ", " event", "", "events", "data", "payload", "\x00"])


@dataclass
class LogOp:
    kind: str  # publish | republish | direct | direct-dup | extra-fields | bad
    events: list = field(default_factory=list)
    fields: list = field(default_factory=list)  # (field, value) pairs of a direct write
    what: str = ""
    pick: int | None = None  # republish, direct-dup: which of the events applied so far


@st.composite
def log_ops(draw) -> LogOp:
    choice = draw(st.integers(0, 99))
    if choice < 20:
        return LogOp("publish", draw(st.lists(valid_v1(None, "log"), min_size=1, max_size=5)))
    if choice < 24:
        return LogOp("republish", pick=draw(st.integers(0, 2**31)))
    if choice < 34:
        event = draw(valid_v1(None, "log"))
        return LogOp("direct", [event], [("event", dumps(event))])
    if choice < 38:
        return LogOp("direct-dup", pick=draw(st.integers(0, 2**31)))
    if choice < 42:
        event = draw(valid_v1(None, "log"))
        junk = draw(st.lists(st.tuples(WRONG_FIELDS, st.binary(max_size=50)), min_size=1, max_size=3))
        return LogOp("extra-fields", [event], [("event", dumps(event))] + junk)
    if choice < 56:
        return LogOp("bad", fields=[("event", draw(st.binary(max_size=2000)))], what="random bytes")
    if choice < 64:
        return LogOp("bad", fields=[("event", dumps(draw(JSON_VALUES)))], what="random JSON")
    if choice < 82:
        event, _, what = draw(broken_v1(None, "log"))
        return LogOp("bad", fields=[("event", dumps(event))], what=f"broken event: {what}")
    if choice < 88:
        return LogOp("bad", fields=[("event", draw(poison_items(PARTNER)).raw)], what="not JSON")
    if choice < 92:
        return LogOp("bad", fields=[("event", draw(st.sampled_from([b"", b" ", b"null", b"[]", b"{}"])))],
                     what="empty")
    event = draw(valid_v1(None, "log"))
    name = draw(WRONG_FIELDS)
    return LogOp("bad", fields=[(name, dumps(event))], what=f"wrong field {name!r}")


class LogWriter:
    """Writes ops into one port's log and keeps the count of what the consumer must make of them.

    Two memories of `(source, id)`: the Publisher's seen set (only what it appended) and the
    state's (every valid entry it applied, however it got into the log)."""

    def __init__(self, client: redis.Redis, port_id: str, tally: Tally):
        self.client, self.keys, self.tally = client, PortKeys(port_id), tally
        self.publisher = Publisher(client, port_id)
        self.raw_write = client.register_script(_RAW_WRITE)
        self.published: set[tuple[str, str]] = set()
        self.seen: set[tuple[str, str]] = set()
        self.pool: list[dict] = []
        self.counts = Counter()  # entries, valid, duplicates, bad, other

    def write(self, op: LogOp, announce: bool) -> None:
        if op.pick is not None:  # an event written before, again
            if not self.pool:
                return
            event = self.pool[op.pick % len(self.pool)]
            op = LogOp(op.kind, [event], [("event", dumps(event))])
        if op.kind in ("publish", "republish"):
            ids = self.publisher.publish(op.events)
            for event, stream_id in zip(op.events, ids):
                key = (event["source"], event["id"])
                assert (stream_id is None) == (key in self.published), \
                    f"Publisher: stream id {stream_id!r} for {'a' if key in self.published else 'no'} repeat of {key}"
                self.published.add(key)
                self.tally.entry(op.kind)
                if stream_id is not None:
                    self._count_valid(event)
            return
        fields = list(op.fields)
        if announce:  # the live line must hold no raw newline (JSON never does; garbage may)
            fields = [(name, value.replace(b"\n", b"\x01")) for name, value in fields]
        payload = dict(fields).get("event", b"")
        argv = [b"1" if announce else b"0", payload]
        for name, value in fields:
            argv += [name, value]
        self.raw_write(keys=[self.keys.events, self.keys.live], args=argv)
        self.tally.entry(op.kind if op.kind != "bad" else "bad: " + op.what.split(":")[0])
        if op.kind == "bad":
            self.counts["entries"] += 1
            self.counts["bad"] += 1
        elif op.kind == "other":  # either applied or rejected: only that it is consumed is known
            self.counts["entries"] += 1
            self.counts["other"] += 1
        else:
            self._count_valid(op.events[0])

    def _count_valid(self, event: dict) -> None:
        self.counts["entries"] += 1
        key = (event["source"], event["id"])
        if key in self.seen:
            self.counts["duplicates"] += 1
        else:
            self.seen.add(key)
            self.pool.append(event)
            self.counts["valid"] += 1


def wait_consumed(app, writer: LogWriter, what: str) -> None:
    state = state_of(app)
    consumer = app.server.extensions["portpulse"].consumer
    try:
        wait_for(lambda: state.entries_consumed >= writer.counts["entries"], timeout=30,
                 what=f"{writer.counts['entries']} log entries ({what}) to be consumed")
    except AssertionError:
        raise AssertionError(f"the consumer stopped at {state.entries_consumed} of {writer.counts['entries']} "
                             f"entries; thread alive: {consumer._thread.is_alive()}; health: {consumer.health}")
    with app.server.extensions["portpulse"].store.lock:
        counters = state.counters()
    assert counters["events_applied"] == writer.counts["valid"], (counters, dict(writer.counts))
    assert counters["rejected_in_log"] == writer.counts["bad"], (counters, dict(writer.counts))
    assert counters["duplicates_in_log"] == writer.counts["duplicates"], (counters, dict(writer.counts))


def test_redis_log_fuzz_consumer_survives_garbage_applies_valid_entries_and_dead_letters_bad_ones(
        config, redis_url, tally):
    client = redis.Redis.from_url(redis_url)
    writer = LogWriter(client, config.port_id, tally)

    @fuzz(max_examples=50)
    @given(ops=st.lists(log_ops(), min_size=1, max_size=8))
    def before_start(ops):  # read by the consumer's catch-up (XRANGE)
        for op in ops:
            writer.write(op, announce=False)

    before_start()
    app = create_app(config)
    try:
        wait_consumed(app, writer, "written before the start, read by the catch-up")

        @fuzz(max_examples=50)
        @given(ops=st.lists(log_ops(), min_size=1, max_size=8))
        def while_running(ops):  # read from the live channel
            for op in ops:
                writer.write(op, announce=True)

        while_running()
        wait_consumed(app, writer, "written while running, announced live")
        http = app.server.test_client()
        health = http.get("/healthz").json
        assert health["consumer"]["connected"] and health["consumer"]["caught_up"], health["consumer"]
        assert health["lag"] == 0, health
        assert health["events_applied"] == writer.counts["valid"], health
        assert health["duplicates_in_log"] == writer.counts["duplicates"], health
        dead = client.xlen(writer.keys.deadletter)
        assert dead == writer.counts["bad"], f"{dead} dead-letter entries for {writer.counts['bad']} bad log entries"
        assert_still_serves(http)
        tally.valid_applied = writer.counts["valid"]
        tally.finished = True
    finally:
        stop_app(app)
        client.close()


# -- big inputs against the real service ---------------------------------------------------------
def test_real_service_answers_huge_and_malformed_requests_with_4xx_and_stays_healthy(
        start_service, redis_url, port_id, tmp_path, tally):
    service = start_service(tmp_path / "service", redis_url=redis_url, port_id=port_id,
                            extra_env={"DP_PARTNER_RATE_LIMIT": RATE_LIMIT})
    url = service.base + V1_URL
    key = {"Authorization": f"Bearer {PARTNER_KEYS[PARTNER]}", "Content-Type": "application/json"}

    def valid_event(n: int) -> dict:
        return simple_event(f"real-{n}")

    def chunks(total: int, size: int = 1 << 20):
        block = b" " * size
        for _ in range(total // size):
            yield block

    cases = [  # (what, request kwargs, allowed statuses, error)
        ("10 MB body with Content-Length", dict(data=b"[" + b" " * (10 * 1024 * 1024) + b"]"), {413}, "too_large"),
        ("10 MB body, chunked", dict(data=chunks(10 * 1024 * 1024)), {413}, "too_large"),
        ("100,000-element array", dict(data=b"[" + b",".join([b"{}"] * 100_000) + b"]"), {413}, "too_many_events"),
        ("100,000 valid events (~20 MB)", dict(data=orjson.dumps([valid_event(1)] * 100_000)), {413}, "too_large"),
        ("5,001 events", dict(data=orjson.dumps([{}] * (MAX_EVENTS + 1))), {413}, "too_many_events"),
        ("100,000 nested [", dict(data=b"[" * 100_000), {400}, "not_json"),
        ("100,000 nested [ closed", dict(data=nest(100_000)), {400}, "not_json"),
        ("100,000 nested {", dict(data=b'{"a":' * 100_000), {400}, "not_json"),
        ("invalid UTF-8 body", dict(data=b"\xff\xfe\xfd" * 1000), {400}, "not_json"),
        ("invalid UTF-8 in a string", dict(data=b'[{"id":"\xc0\xaf\xed\xa0\x80"}]'), {400}, "not_json"),
        ("NaN", dict(data=b'{"id": NaN}'), {400}, "not_json"),
        ("a 4.9 MB id", dict(data=orjson.dumps({**valid_event(2), "id": "x" * (MAX_BODY - 100_000)})), {202}, None),
        ("64 KB Authorization", dict(headers={**key, "Authorization": "Bearer " + "k" * 65536}, data=b"{}"),
         {401, 431}, None),
        ("64 KB custom header", dict(headers={**key, "X-Junk": "j" * 65536}, data=orjson.dumps(valid_event(3))),
         {431}, None),
        ("64 KB Content-Type", dict(headers={**key, "Content-Type": "application/json" + " " * 65536},
                                    data=orjson.dumps(valid_event(4))), {431}, None),
        ("64 KB cookie", dict(headers={**key, "Cookie": "session=" + "c" * 65536}, data=b"{}"), {431}, None),
        ("200 headers", dict(headers={**key, **{f"X-H{i}": "v" for i in range(200)}}, data=b"{}"), {431}, None),
    ]
    failures = []
    for what, kwargs, allowed, error in cases:
        headers = kwargs.pop("headers", key)
        try:
            response = requests.post(url, headers=headers, timeout=60, **kwargs)
        except requests.RequestException as exc:
            tally.request(type(exc).__name__)
            failures.append(f"{what}: no answer ({type(exc).__name__}: {exc})")
            continue
        tally.request(response.status_code)
        if response.status_code not in allowed:
            failures.append(f"{what}: HTTP {response.status_code} {response.text[:200]!r}, expected {sorted(allowed)}")
        elif error is not None and response.json().get("error") != error:
            failures.append(f"{what}: error {response.json().get('error')!r}, expected {error!r}")
        assert service.process.poll() is None, f"the service died on {what}:\n{service.log()}"
    health = requests.get(service.base + "/healthz", timeout=10)
    tally.request(health.status_code)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    # and it still takes events: one more, applied
    before = health.json()["events_applied"]
    response = requests.post(url, headers=key, data=orjson.dumps(valid_event(5)), timeout=10)
    tally.request(response.status_code)
    assert response.status_code == 202 and response.json()["accepted"] == 1, response.text
    wait_for(lambda: service.health()["events_applied"] == before + 1, what="the last event to be applied")
    assert not failures, "\n".join(failures)
    tally.valid_applied = before + 1
    tally.finished = True


# -- nesting between orjson's writing limit (254) and its reading limit (1,024) -----------------
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


def _v1_body(depth: int, where: str) -> bytes:
    deep, good = nest(depth), orjson.dumps(simple_event("deep"))
    head = good[:-1]  # the event without its closing brace
    return {
        "valid event, data nested": head + b',"data":{"x":' + deep + b"}}",
        "rejected event, unknown field nested": head + b',"bogus":' + deep + b"}",
        "array item nested": b"[" + good + b"," + deep + b"]",
        "source nested": head.replace(f'"source":"{PARTNER}"'.encode(), b'"source":' + deep) + b"}",
        "type nested": head.replace(b'"type":"gate.in"', b'"type":' + deep) + b"}",
        "id nested": head.replace(b'"id":"', b'"id":' + deep + b',"x":"') + b"}",
    }[where]


def _dcsa_body(depth: int, where: str) -> bytes:
    deep = nest(depth)
    head = orjson.dumps({"eventID": f"hx{RUN}-deep-{next(SEQ)}", "eventClassifierCode": "ACT",
                         "eventDateTime": datetime.now(timezone.utc).isoformat(timespec="seconds")})[:-1]
    arrival = b',"eventType":"TRANSPORT","transportEventTypeCode":"ARRI","transportCall":'
    return {
        "DCSA vesselIMONumber nested": head + arrival + b'{"vessel":{"vesselIMONumber":' + deep + b"}}}",
        "DCSA equipmentReference nested": head + b',"eventType":"EQUIPMENT","equipmentEventTypeCode":"STUF",'
                                          b'"equipmentReference":' + deep + b"}",
        "DCSA location nested": head + arrival + b'{"vessel":{"vesselIMONumber":"9321483"},"location":{"x":'
                                + deep + b"}}}",
    }[where]


NESTING_CASES = (
    [(V1_URL, where, depth) for where in ("valid event, data nested", "rejected event, unknown field nested",
                                          "array item nested") for depth in (255, 300, 1000)]
    + [(V1_URL, where, 1000) for where in ("source nested", "type nested", "id nested")]
    + [(DCSA_URL, "DCSA vesselIMONumber nested", 1000), (DCSA_URL, "DCSA equipmentReference nested", 1000),
       (DCSA_URL, "DCSA location nested", 300)])


@pytest.mark.parametrize("url,where,depth", NESTING_CASES,
                         ids=[f"{where.replace(' ', '-').replace(',', '')}-{depth}-deep" for _, where, depth in NESTING_CASES])
def test_ingest_answers_4xx_or_202_not_500_for_values_nested_past_what_orjson_writes(
        client, url, where, depth, tally):
    body = (_v1_body if url == V1_URL else _dcsa_body)(depth, where)
    orjson.loads(body)  # JSON that the service reads: orjson reads up to 1,024 deep
    response = client.post(url, data=body, headers={"Authorization": f"Bearer {PARTNER_KEYS[PARTNER]}",
                                                    "Content-Type": "application/json"})
    tally.request(response.status_code, 1)
    assert response.status_code < 500, \
        f"POST {url} with {where} {depth} deep → HTTP {response.status_code} {response.data[:200]!r}"
    assert response.status_code == 202 or "error" in response.json, response.json
    tally.finished = True


# -- the log consumer against entries it cannot write back or describe --------------------------
def _running_app_with_writer(config, redis_url, tally):
    app = create_app(config)
    client = redis.Redis.from_url(redis_url)
    writer = LogWriter(client, config.port_id, tally)
    wait_for(lambda: app.server.extensions["portpulse"].consumer.health.caught_up, what="the consumer to catch up")
    return app, client, writer


def _assert_consumer_goes_on(app, writer: LogWriter, what: str) -> None:
    """After the hostile entry, one valid event: every entry must be consumed (the hostile one
    applied or rejected, the valid one applied) and /healthz must say so truthfully."""
    writer.write(LogOp("publish", [simple_event("after")]), announce=True)
    consumer = app.server.extensions["portpulse"].consumer
    state = state_of(app)
    try:
        wait_for(lambda: state.entries_consumed >= writer.counts["entries"] and state.applied >= writer.counts["valid"],
                 timeout=5, what=f"the entries after {what} to be consumed")
    except AssertionError:
        health = app.server.test_client().get("/healthz").json
        raise AssertionError(
            f"after {what} the log consumer takes nothing more: {state.entries_consumed} of "
            f"{writer.counts['entries']} entries consumed, {state.applied} of {writer.counts['valid']} valid events "
            f"applied; consumer thread alive: {consumer._thread.is_alive()}; /healthz says "
            f"status={health['status']!r}, consumer={health['consumer']}, lag={health['lag']}") from None
    assert state.applied + state.rejected == writer.counts["entries"], (state.counters(), dict(writer.counts))
    assert state.rejected >= writer.counts["bad"], (state.counters(), dict(writer.counts))


LOG_NESTING_CASES = {
    "type nested 1000 deep": (lambda: b'{"id":"x","type":' + nest(1000) + b"}", "bad"),
    "source nested 1000 deep": (lambda: b'{"id":"x","source":' + nest(1000) + b"}", "bad"),
    "valid event with data nested 300 deep": (
        lambda: orjson.dumps(simple_event("deep-log"))[:-1] + b',"data":{"x":' + nest(300) + b"}}", "other"),
}


@pytest.mark.parametrize("what", list(LOG_NESTING_CASES), ids=[w.replace(" ", "-") for w in LOG_NESTING_CASES])
def test_log_entry_nested_deep_does_not_stop_the_consumer(config, redis_url, what, tally):
    app, client, writer = _running_app_with_writer(config, redis_url, tally)
    try:
        make, kind = LOG_NESTING_CASES[what]
        writer.write(LogOp(kind, fields=[("event", make())], what=what), announce=True)
        _assert_consumer_goes_on(app, writer, f"a log entry with {what}")
        tally.finished = True
    finally:
        stop_app(app)
        client.close()


def test_live_line_without_a_stream_id_does_not_stop_the_consumer(config, redis_url, tally):
    """A producer that announces a payload holding a raw newline (garbage, not JSON) sends a live
    line with no stream id; the entry itself is in the log."""
    app, client, writer = _running_app_with_writer(config, redis_url, tally)
    try:
        garbage = b"garbage\nnot a stream id"
        writer.raw_write(keys=[writer.keys.events, writer.keys.live], args=[b"1", garbage, b"event", garbage])
        tally.entry("bad: raw newline in the live line")
        writer.counts["entries"] += 1
        writer.counts["bad"] += 1
        _assert_consumer_goes_on(app, writer, "a live line without a stream id")
        tally.finished = True
    finally:
        stop_app(app)
        client.close()


def test_healthz_events_rejected_counts_a_bad_log_entry_once(config, redis_url, tally):
    """docs/api.md: `events_rejected` counts rejects at ingest and entries of the log that failed
    their check. One bad entry in the log, nothing rejected at ingest → 1."""
    app, client, writer = _running_app_with_writer(config, redis_url, tally)
    try:
        writer.write(LogOp("bad", fields=[("event", b"not json")], what="not JSON"), announce=True)
        wait_for(lambda: state_of(app).rejected == 1, what="the bad entry to be counted")
        wait_for(lambda: client.xlen(writer.keys.deadletter) == 1, what="the bad entry to be dead-lettered")
        health = app.server.test_client().get("/healthz").json
        assert health["events_rejected"] == 1, (
            f"/healthz events_rejected={health['events_rejected']} for one bad log entry and no ingest reject "
            f"(state rejected_in_log={state_of(app).rejected}, ingest stats "
            f"rejected={writer.publisher.ingest_stats().get('rejected', 0)})")
        tally.finished = True
    finally:
        stop_app(app)
        client.close()
