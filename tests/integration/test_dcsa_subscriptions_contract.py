"""DCSA's own Track & Trace 2.2 document against `/v2/event-subscriptions` (+ `/{subscriptionID}`,
`/{subscriptionID}/secret`): schemathesis sends requests generated from it (valid and broken)
to a real service over HTTP and checks every answer's status, headers and body; then the same
checks on a subscription's whole life (create, list, read, change, new secret, delete)."""

from __future__ import annotations

import base64
import uuid

import pytest
from hypothesis import HealthCheck, settings

from tests.callback_receiver import CallbackReceiver
from tests.dcsa_contract import CHECKS, dcsa_schema
from tests.helpers import read_auth
from tests.process import ServiceProcess

OPERATIONS = ("/v2/event-subscriptions", "/v2/event-subscriptions/{subscriptionID}",
              "/v2/event-subscriptions/{subscriptionID}/secret")
SCHEMA = dcsa_schema(*OPERATIONS)
SECRET = base64.b64encode(b"contract test secret, 32 bytes!!").decode()
NEW_SECRET = base64.b64encode(b"the contract test's next secret!").decode()


@pytest.fixture(scope="module")
def service(tmp_path_factory, redis_url):
    receiver = CallbackReceiver().start()
    service = ServiceProcess(tmp_path_factory.mktemp("dcsa-subscriptions"), redis_url=redis_url,
                             port_id="dcsa-subs-" + uuid.uuid4().hex[:8],
                             extra_env={"DP_CALLBACK_HOSTS": "127.0.0.1"})
    try:
        yield service.start(), receiver
    finally:
        service.close()
        receiver.stop()


@SCHEMA.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_subscription_routes_answer_as_the_dcsa_document_says(case, service):
    case.call_and_validate(base_url=service[0].base, headers=read_auth(), checks=CHECKS)


def call(operation, expected: int, base: str, **parts):
    response = operation.Case(**parts).call_and_validate(base_url=base, headers=read_auth(), checks=CHECKS)
    assert response.status_code == expected, response.text
    return response


def test_a_subscriptions_whole_life_is_as_the_dcsa_document_says(service):
    base, receiver = service[0].base, service[1]
    root, one = "/v2/event-subscriptions", "/v2/event-subscriptions/{subscriptionID}"
    body = {"callbackUrl": receiver.url("/contract"), "secret": SECRET, "eventType": ["EQUIPMENT", "TRANSPORT"],
            "equipmentEventTypeCode": ["GTIN"], "vesselIMONumber": "9321483"}
    created = call(SCHEMA.find_operation_by_path("POST", root), 201, base, body=body).json()
    sid = {"subscriptionID": created["subscriptionID"]}
    assert "secret" not in created
    assert created["subscriptionID"] in [s["subscriptionID"] for s in
                                         call(SCHEMA.find_operation_by_path("GET", root), 200, base).json()]
    assert call(SCHEMA.find_operation_by_path("GET", one), 200, base, path_parameters=sid).json() == created
    changed = {**sid, "callbackUrl": receiver.url("/contract-2"), "shipmentEventTypeCode": ["DRFT"]}
    assert call(SCHEMA.find_operation_by_path("PUT", one), 200, base, path_parameters=sid,
                body=changed).json() == changed
    call(SCHEMA.find_operation_by_path("PUT", one + "/secret"), 204, base, path_parameters=sid,
         body={"secret": NEW_SECRET})
    call(SCHEMA.find_operation_by_path("DELETE", one), 204, base, path_parameters=sid)
    call(SCHEMA.find_operation_by_path("GET", one), 404, base, path_parameters=sid)
