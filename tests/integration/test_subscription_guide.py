"""docs/partners.md, "Subscribe to the port's events", run as written: the curl that subscribes,
against a real service, then a real event delivered to a real receiver; and the Python that checks
a signature, which must print True and agree with what the port signs."""

from __future__ import annotations

import ast
import base64
import json
import os
import re

import requests

from feeds.delivery_state import sign
from tests.callback_receiver import CallbackReceiver
from tests.helpers import READ_KEY, auth, gate_event, wait_for
from tests.integration.test_partner_guide import GUIDE, SUBSCRIBE, examples, run

SECRET = base64.b64encode(b"the guide's subscriber's secret!").decode()


def section() -> list[tuple[str, str]]:
    return examples(GUIDE.read_text().split(SUBSCRIBE)[1])


def test_the_subscription_section_has_its_two_examples():
    assert [lang for lang, _ in section()] == ["sh", "python"]


def test_the_signature_example_prints_true_and_signs_as_the_port_does():
    _, code = section()[1]
    assert run("python", code, dict(os.environ)).strip() == "True"
    body = ast.literal_eval(re.search(r"^body = (\(.*?\))$", code, re.S | re.M).group(1))  # its own bytes
    header, secret = re.search(r'"(sha256=[0-9a-f]{64})",\s*"([^"]+)"', code).groups()
    assert sign(body, secret) == header


def test_the_subscribe_example_gets_the_port_s_events_pushed(tmp_path, redis_url, port_id, start_service):
    receiver = CallbackReceiver().start()
    try:
        service = start_service(tmp_path, redis_url=redis_url, port_id=port_id,
                                extra_env={"DP_CALLBACK_HOSTS": "127.0.0.1"})
        env = {**os.environ, "PORT_PULSE": service.base, "READ_KEY": READ_KEY,
               "CALLBACK_URL": receiver.url("/port-events"), "SECRET": SECRET}
        created = json.loads(run("sh", section()[0][1], env))
        assert created["equipmentEventTypeCode"] == ["DISC", "GTOT"] and "secret" not in created
        receiver.secrets[created["subscriptionID"]] = SECRET
        events = [gate_event(1, id="guide-in"), gate_event(2, id="guide-out", type="gate.out")]
        assert requests.post(service.base + "/api/v1/events", json=events, headers=auth(), timeout=10).status_code == 202
        got = wait_for(lambda: receiver.events(created["subscriptionID"]), what="the gate-out pushed")
        assert [e["equipmentEventTypeCode"] for e in got] == ["GTOT"] and receiver.refused == []
    finally:
        receiver.stop()
