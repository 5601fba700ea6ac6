"""What the tests of the set (`run.py stack`, dashboard/stack.py) share: nginx (a missing one
fails the test with the way to install it; it never skips), the workers' environment, and
checking that no process is left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dashboard.stack_nginx import nginx_binary
from dashboard.stack_procs import StackError, alive
from tests.helpers import ACCESS_ENV, PARTNER_KEYS, wait_for


@pytest.fixture
def nginx() -> str:
    try:
        return nginx_binary()
    except StackError as exc:
        pytest.fail(f"{exc} (.ci/ensure-nginx)")


def stack_env(data_dir: Path, port_id: str, **extra: str) -> dict:
    """A clean `DP_*` environment: the tests' partner keys and access, this test's folder and port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")}
    env.update({"DP_DATA_DIR": str(data_dir), "DP_PORT_ID": port_id, "DP_SNAPSHOT_SECONDS": "2",
                "DP_PARTNER_KEYS": ",".join(f"{s}={k}" for s, k in PARTNER_KEYS.items()), **ACCESS_ENV, **extra})
    return env


def assert_all_gone(pids: set[int], timeout: float = 15.0) -> None:
    wait_for(lambda: not [pid for pid in pids if alive(pid)], timeout=timeout, interval=0.1,
             what=f"every process of the set to end: still running {[pid for pid in pids if alive(pid)]}")
