"""Big and deep inputs: a real service (its own process) against huge and malformed requests, and
the HTTP ingest and DCSA route against values nested between orjson's writing limit (254) and its
reading limit (1,024). What must hold is in `hostile_strategies`' docstring."""

from __future__ import annotations

from datetime import datetime, timezone

import orjson
import pytest
import requests

from tests.helpers import PARTNER_KEYS, wait_for
from tests.reliability.hostile_requests import fuzz_config  # noqa: F401  (the `config` fixture)
from tests.reliability.hostile_strategies import (
    DCSA_URL, MAX_BODY, MAX_EVENTS, PARTNER, RATE_LIMIT, RUN, SEQ, V1_URL, nest, simple_event)


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
