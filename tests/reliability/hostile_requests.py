"""The request side of the hostile-input tests (see `hostile_strategies` for what must hold):
items and whole bodies, the requests a fuzz sends, the checks on every answer, the state helpers,
and the fuzz's `config` fixture (`fuzz_config`: import it into a test module that builds an app)."""

from __future__ import annotations

from dataclasses import dataclass

import orjson
import pytest
from hypothesis import strategies as st

from dashboard.app import service_of
from dashboard.config import Config
from feeds import dcsa as dcsa_model
from feeds import events as model
from tests.helpers import ACCESS_CONFIG, PARTNER_KEYS, READ_KEY, read_auth, wait_for
from tests.reliability.hostile_strategies import (
    CHARS, JSON_VALUES, KEYS, MAX_BODY, PARTNER, RATE_LIMIT, SCALARS, broken_v1, dumps, huge_text, latin1_text, nest,
    valid_v1)


@pytest.fixture(name="config")
def fuzz_config(redis_url, port_id, tmp_path) -> Config:
    """conftest's, with a partner rate limit the fuzz does not reach (a 429 would hide the rest)."""
    return Config(redis_url=redis_url, port_id=port_id, partner_keys=dict(PARTNER_KEYS), data_dir=tmp_path,
                  snapshot_seconds=3600, partner_rate_limit=RATE_LIMIT, **ACCESS_CONFIG)


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
    return service_of(app).store.state


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
