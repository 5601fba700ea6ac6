"""The DCSA contract test's pieces, for every test module of the `/v2/` routes.

The contract is DCSA's own Track & Trace 2.2 document (tests/data/dcsa/openapi: a copy with its
SwaggerHub references made local, NOTICE.md there), not one of ours. `dcsa_service` is a real
service over HTTP on the embedded Valkey, with real data in its log: the DCSA reference events,
sent as a carrier sends them, and the drill scenario's port events (an ETA, a berthing, discharges,
gate-outs). A module uses it with `from tests.dcsa_contract import dcsa_service  # noqa: F401`
and restricts the document to its own operations with `dcsa_schema(...)`.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (response_headers_conformance, response_schema_conformance,
                                               status_code_conformance)

from tests import drill_scenario
from tests.helpers import auth, read_auth
from tests.process import ROOT, ServiceProcess

DOCUMENT = ROOT / "tests" / "data" / "dcsa" / "openapi" / "TNT_v2.2.0.yaml"
REFERENCE = ROOT / "tests" / "data" / "dcsa" / "tnt-reference-events.json"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance,
          response_headers_conformance]
EVENTS_OPERATIONS = ("/v2/events", "/v2/events/{eventID}")


def dcsa_schema(*paths: str):
    """DCSA's document, restricted to the operations of these paths. (By exclusion: schemathesis
    ORs `include` filters with the ones schemathesis.toml's `[[operations]]` add, which match all.)"""
    return schemathesis.openapi.from_path(DOCUMENT).exclude(func=lambda ctx: ctx.operation.path not in paths)


@dataclass
class Seeded:
    """What the log holds, as `GET /v2/events` publishes it: for examples built from real data."""
    events: list[dict] = field(default_factory=list)

    def first(self, **wanted) -> dict:
        return next(e for e in self.events if all(e.get(k) == v for k, v in wanted.items()))


def seed(base: str) -> Seeded:
    """Reference DCSA events and the drill scenario into the service's log, through its partner API."""
    answer = requests.post(base + "/api/v1/dcsa/events", json=json.loads(REFERENCE.read_text()),
                           headers=auth("terminal.haitian"), timeout=30)
    assert answer.status_code == 202, answer.text
    drill_scenario.publish(requests.post, base)
    return Seeded(read_all(base))


def read_all(base: str, query: str = "limit=1000") -> list[dict]:
    """Every published event, following Next-Page to the end."""
    events, url = [], f"{base}/v2/events?{query}"
    while url:
        page = requests.get(url, headers=read_auth(), timeout=30)
        assert page.status_code == 200, page.text
        events += page.json()
        url = page.headers.get("Next-Page")
    return events


@pytest.fixture(scope="module")
def dcsa_service(tmp_path_factory, redis_url):
    """(a running service, what its log publishes) for the whole module."""
    service = ServiceProcess(tmp_path_factory.mktemp("dcsa"), redis_url=redis_url,
                             port_id="dcsa-" + uuid.uuid4().hex[:8],
                             extra_env={"DP_PARTNER_RATE_LIMIT": "1000000 per minute"}).start()
    try:
        seeded = seed(service.base)
        assert {e["eventType"] for e in seeded.events} == {"TRANSPORT", "EQUIPMENT", "SHIPMENT"}
        yield service, seeded
    finally:
        service.close()
