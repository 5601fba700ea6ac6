"""Shared fixtures: a real Redis protocol server (embedded valkey-server, or DP_REDIS_URL), one
fresh port namespace per test, and apps built by the factory."""

from __future__ import annotations

import os
import uuid

import pytest

from dashboard.app import create_app, stop_app
from dashboard.config import Config
from feeds.embedded import EmbeddedRedis
from tests.browser import browser, page  # noqa: F401  (fixtures: one browser for the whole run)
from tests.helpers import ACCESS_CONFIG, PARTNER_KEYS, log_in
from tests.notify_receivers import http, smtp  # noqa: F401  (fixtures: the channels' local receivers)
from tests.process import start_service  # noqa: F401  (a fixture for every test)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real server for the whole run; every test writes into its own port namespace."""
    url = os.environ.get("DP_REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("valkey"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def port_id() -> str:
    return "test-" + uuid.uuid4().hex[:12]


@pytest.fixture
def config(redis_url, port_id, tmp_path) -> Config:
    return Config(redis_url=redis_url, port_id=port_id, partner_keys=dict(PARTNER_KEYS),
                  data_dir=tmp_path, snapshot_seconds=3600, **ACCESS_CONFIG)


@pytest.fixture
def app(config):
    app = create_app(config)
    yield app
    stop_app(app)


@pytest.fixture
def client(app):
    return app.server.test_client()


@pytest.fixture
def manager_client(app):
    """A test client with a manager's session."""
    client = app.server.test_client()
    assert log_in(client).status_code == 302
    return client
