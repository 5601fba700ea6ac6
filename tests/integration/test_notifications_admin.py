"""The task force manages organisations' notification channels: the admin page's section and the
`run.py add-channel / remove-channel / list-channels` commands. Secrets are never shown back."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis

from dashboard.app import service_of
from dashboard.notify.channels import ChannelStore
from dashboard.notify.outbox import Outbox
from tests.helpers import csrf_token
from tests.integration.notify_scenario import WEBHOOK_SECRET
from tests.process import ROOT

ROBOT = "http://127.0.0.1:9/cgi-bin/webhook/send?key=robot-key-abcdef"  # no DNS in the tests


def post(client, path: str, **fields):
    token = csrf_token(client.get("/admin").text)
    return client.post(path, data={"csrf_token": token, "lang": "en", **fields})


@pytest.fixture
def app(config):
    from dashboard.app import create_app, stop_app
    app = create_app(config.replace(callback_hosts=("127.0.0.1",)))
    service_of(app).directory.add_org("fleet", "Fleet", "trucking")
    yield app
    stop_app(app)


def test_a_manager_adds_and_removes_a_channel_and_sees_the_delivery_log(app, manager_client):
    added = post(manager_client, "/admin/channels", org="fleet", kind="webhook", url="http://127.0.0.1:9/hook",
                 secret=WEBHOOK_SECRET, digest_minutes="5", channel_lang="en")
    assert added.status_code == 303, added.text[:300]
    (channel,) = ChannelStore(service_of(app).redis, service_of(app).config.port_id, None).of("fleet")
    assert channel["digest_minutes"] == 5 and channel["lang"] == "en"
    Outbox(service_of(app).redis, service_of(app).config.port_id).retry(
        {"id": "x", "org": "fleet", "channel": channel["id"], "notice": "n-1"}, {"next_at": 0},
        {"at": "2026-12-02T01:00:00Z", "channel": channel["id"], "notice": "n-1", "outcome": "failed",
         "status": 500, "error": "HTTP 500"})
    page = manager_client.get("/admin?lang=en").text
    assert channel["id"] in page and "http://127.0.0.1:9/hook" in page and "HTTP 500" in page
    assert WEBHOOK_SECRET not in page
    removed = post(manager_client, "/admin/channels/remove", org="fleet", channel=channel["id"])
    assert removed.status_code == 303
    assert ChannelStore(service_of(app).redis, service_of(app).config.port_id, None).of("fleet") == []


def test_the_admin_page_refuses_a_channel_outside_the_allowed_hosts(app, manager_client):
    refused = post(manager_client, "/admin/channels", org="fleet", kind="wecom",
                   url="https://hooks.elsewhere.example/x")
    assert refused.status_code == 400 and "not an allowed callback host" in refused.text
    robot = post(manager_client, "/admin/channels", org="fleet", kind="wecom", url=ROBOT)
    assert robot.status_code == 303
    page = manager_client.get("/admin?lang=en").text
    assert "robot-key-abcdef" not in page and "cdef" in page  # the robot's key: its last 4 only


@pytest.fixture
def run(redis_url, port_id, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")}
    env.update(DP_DATA_DIR=str(tmp_path), DP_CALLBACK_HOSTS="127.0.0.1")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, str(ROOT / "run.py"), *args, "--redis-url", redis_url,
                               "--port-id", port_id], env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    return run


def test_the_channel_commands_add_list_and_remove(run, redis_url, port_id):
    assert run("add-org", "fleet", "--name", "Fleet", "--kind", "trucking").returncode == 0
    added = run("add-channel", "--org", "fleet", "--kind", "webhook", "--url", "http://127.0.0.1:9/hook",
                "--secret", WEBHOOK_SECRET, "--digest-minutes", "10", "--lang", "en")
    assert added.returncode == 0, added.stderr
    channel_id = added.stdout.strip()
    listed = run("list-channels", "--org", "fleet")
    assert channel_id in listed.stdout and "digest: 10 min" in listed.stdout
    assert WEBHOOK_SECRET not in listed.stdout and "…" + WEBHOOK_SECRET[-4:] in listed.stdout
    refused = run("add-channel", "--org", "fleet", "--kind", "webhook", "--url", "http://10.9.9.9/x",
                  "--secret", WEBHOOK_SECRET)
    assert refused.returncode == 2 and "not an allowed callback host" in refused.stderr
    unknown = run("add-channel", "--org", "nobody", "--kind", "email", "--to", "a@b.example")
    assert unknown.returncode == 2 and "no organisation 'nobody'" in unknown.stderr
    assert run("remove-channel", "--org", "fleet", channel_id).returncode == 0
    client = redis.Redis.from_url(redis_url)
    assert ChannelStore(client, port_id, None).of("fleet") == []
    again = run("remove-channel", "--org", "fleet", channel_id)
    assert again.returncode == 2 and "has no channel" in again.stderr
