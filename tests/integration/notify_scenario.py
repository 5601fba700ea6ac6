"""The notification tests' port: two organisations, their channels on local receivers, and the
events of an import box (discharged, then released) sent through the real ingest API."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from types import SimpleNamespace

from dashboard.notify.channels import ChannelStore
from feeds.subscriptions import CallbackPolicy
from tests import drill_scenario
from tests.helpers import auth, container_number, log_in, wait_for

PASSWORD = "a-long-password-1"
WEBHOOK_SECRET = base64.b64encode(b"the notify test's own secret 32b").decode()
DING_SECRET = "SEC-dingtalk-robot-secret"
EMMA, VOYAGE = drill_scenario.EMMA, "N1"
FLEET_BOX, OTHER_BOX = container_number(11, owner="FLT"), container_number(12, owner="OTH")


def at(hours: float) -> str:
    return (drill_scenario.t0() + timedelta(hours=hours)).isoformat()


def add_people(directory) -> None:
    directory.add_org("fleet", "Fleet", "trucking")
    directory.add_account("li", "fleet", PASSWORD)
    directory.add_org("other", "Other", "trucking")
    directory.add_account("wu", "other", PASSWORD)


def add_channels(svc, http, smtp_to: str = "ops@fleet.example", digest_minutes: int = 0, org: str = "fleet",
                 kinds=("webhook", "wecom", "dingtalk", "email")) -> dict[str, dict]:
    store = ChannelStore(svc.redis, svc.config.port_id, CallbackPolicy(("127.0.0.1",)))
    given = {
        "webhook": {"kind": "webhook", "url": http.url(f"/{org}/hook"), "secret": WEBHOOK_SECRET},
        "wecom": {"kind": "wecom", "url": http.url(f"/{org}/cgi-bin/webhook/send?key=wecom-key-123")},
        "dingtalk": {"kind": "dingtalk", "url": http.url(f"/{org}/robot/send?access_token=ding-token"),
                     "secret": DING_SECRET, "lang": "en"},
        "email": {"kind": "email", "to": smtp_to},
    }
    return {kind: store.add(org, {**given[kind], "digest_minutes": digest_minutes}) for kind in kinds}


def member(app, user: str):
    client = app.server.test_client()
    assert log_in(client, user=user, password=PASSWORD).status_code == 302
    return client


def post(client, events: list[dict], source: str) -> None:
    answer = client.post("/api/v1/events", json=events, headers=auth(source))
    assert answer.status_code == 202 and answer.json["rejected"] == [], answer.json


def discharge(number: str, n: int, parties: dict, hours: float = 1) -> dict:
    return {"id": f"disc-{n}", "type": "container.discharged", "time": at(hours), "source": "terminal.haitian",
            "container": number, "direction": "import", "vessel": EMMA, "voyage": VOYAGE, "parties": parties}


def release(number: str, n: int, hours: float = 2) -> dict:
    return {"id": f"rel-{n}", "type": "customs.released", "time": at(hours), "source": "customs.xiamen",
            "container": number, "direction": "import", "data": {"declaration": f"DEC-{n}"}}


def applied(app, count: int) -> None:
    svc = app.server.extensions["portpulse"].svc
    wait_for(lambda: svc.store.state.applied >= count, what=f"{count} events applied")


def webhook_signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(base64.b64decode(secret), body, hashlib.sha256).hexdigest()


def dingtalk_sign(timestamp: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def notice_ids(received) -> list[str]:
    return [r.headers.get("X-PortPulse-Notice") for r in received]


def add_channels_on(client, port_id: str, http, **options) -> dict[str, dict]:
    """add_channels for a service run as a process (tests/process.py): only its Redis and port id."""
    stand_in = SimpleNamespace(redis=client, config=SimpleNamespace(port_id=port_id))
    return add_channels(stand_in, http, **options)
