"""The running service and its contract agree: schemathesis sends requests generated from
docs/openapi.yaml (valid ones and broken ones) to a real service over HTTP, and checks every
answer's status, headers, content type and body against the document. Bounded examples per
operation keep it within CI time."""

from __future__ import annotations

import uuid

import pytest
import requests
import schemathesis
import yaml
from hypothesis import HealthCheck, settings

from tests import drill_scenario
from tests.helpers import PARTNER_KEYS, auth, log_in, read_auth
from tests.process import ROOT, ServiceProcess

DOCUMENT = ROOT / "docs" / "openapi.yaml"
SCHEMA = schemathesis.openapi.from_path(DOCUMENT)  # with schemathesis.toml's settings


@pytest.fixture(scope="module")
def api(tmp_path_factory, redis_url):
    service = ServiceProcess(tmp_path_factory.mktemp("openapi"), redis_url=redis_url,
                             port_id="openapi-" + uuid.uuid4().hex[:8],
                             extra_env={"DP_PARTNER_RATE_LIMIT": "1000000 per minute"}).start()
    drill_scenario.publish(requests.post, service.base)  # vessels, boxes and rejects to read
    manager = requests.Session()
    assert log_in(manager, service.base).status_code == 200
    yield service, manager
    service.close()


def credentials(case, manager) -> dict:
    """The credential each operation's document asks for: a partner key, a read key, or none."""
    if "partners" in (case.operation.tags or []):
        return {"headers": auth("terminal.haitian")}
    if case.operation.definition.raw.get("security") == []:
        return {"headers": {}}
    if case.operation.definition.raw.get("operationId") == "commandDemo":
        return {"headers": {}, "session": manager}
    return {"headers": read_auth()}


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_service_answers_as_its_openapi_document_says(case, api):
    service, manager = api
    case.call_and_validate(base_url=service.base, **credentials(case, manager))


def test_the_served_document_is_the_one_in_docs(api):
    service, _ = api
    served = requests.get(service.base + "/api/v1/openapi.yaml", timeout=10)
    assert served.status_code == 200 and served.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(served.text) == yaml.safe_load(DOCUMENT.read_text())
    assert yaml.safe_load(served.text)["openapi"].startswith("3.1")


def test_the_document_covers_every_api_route():
    from dashboard.app import create_app
    from dashboard.config import Config

    app = create_app(Config(redis_url="redis://127.0.0.1:1/0"), start=False)
    routes = {(rule.rule.replace("<", "{").replace(">", "}"), method) for rule in app.server.url_map.iter_rules()
              if rule.rule.startswith("/api/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method.upper()) for path, item in yaml.safe_load(DOCUMENT.read_text())["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert routes <= documented, f"undocumented: {sorted(routes - documented)}"
    assert PARTNER_KEYS  # the partner routes are exercised with a real key above
