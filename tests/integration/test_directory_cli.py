"""The directory's commands of run.py, run as a person runs them (a child process, the password on
standard input), against a real Redis."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import redis
from werkzeug.security import check_password_hash

from dashboard.orgs import Directory
from tests.process import ROOT

PASSWORD = "correct horse battery"


@pytest.fixture
def run(redis_url, port_id, tmp_path):
    """`run("add-org", ...)` → the finished process; the port's Redis given with --redis-url."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DP_")}
    env["DP_DATA_DIR"] = str(tmp_path)

    def run(*args: str, stdin: str = "", redis_given: bool = True) -> subprocess.CompletedProcess:
        where = ["--redis-url", redis_url, "--port-id", port_id] if redis_given else []
        return subprocess.run([sys.executable, str(ROOT / "run.py"), *args, *where], input=stdin, env=env,
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
    return run


@pytest.fixture
def directory(redis_url, port_id) -> Directory:
    return Directory(redis.Redis.from_url(redis_url), port_id, check_seconds=0)


def test_add_org_user_and_key_then_list_them(run, directory):
    added = run("add-org", "fleet-x", "--name", "Fleet X", "--kind", "trucking", "--source", "trucking.x",
                "--source", "trucking.x2")
    assert added.returncode == 0, added.stderr
    user = run("add-user", "li.wei", "--org", "fleet-x", stdin=PASSWORD + "\n")
    assert user.returncode == 0, user.stderr
    key = run("add-key", "--org", "fleet-x")
    assert key.returncode == 0, key.stderr
    printed_key = key.stdout.strip()

    assert directory.org("fleet-x").sources == ("trucking.x", "trucking.x2")
    assert check_password_hash(directory.account("li.wei").password_hash, PASSWORD)
    assert directory.org_for_key(printed_key).id == "fleet-x"
    listing = run("list-orgs")
    assert listing.returncode == 0
    assert "fleet-x" in listing.stdout and "trucking.x, trucking.x2" in listing.stdout
    assert "li.wei" in listing.stdout and "read keys: 1" in listing.stdout
    assert printed_key not in listing.stdout and PASSWORD not in user.stdout + listing.stdout


def test_remove_user_and_remove_org_cascade(run, directory):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    directory.add_account("li.wei", "fleet-x", PASSWORD)
    directory.add_account("zhao.min", "fleet-x", PASSWORD)
    assert run("remove-user", "li.wei").returncode == 0
    assert [a.name for a in directory.accounts()] == ["zhao.min"]
    assert run("remove-org", "fleet-x").returncode == 0
    assert directory.orgs() == [] and directory.accounts() == []


@pytest.mark.parametrize("args, stdin, problem", [
    (("add-org", "Bad Id", "--name", "X", "--kind", "broker"), "", "bad organisation id"),
    (("add-user", "li.wei", "--org", "nobody"), PASSWORD + "\n", "no organisation 'nobody'"),
    (("add-key", "--org", "nobody"), "", "no organisation 'nobody'"),
    (("remove-user", "nobody"), "", "no user 'nobody'"),
    (("remove-org", "nobody"), "", "no organisation 'nobody'"),
])
def test_refused_changes_say_why_on_stderr_and_exit_2(run, args, stdin, problem):
    done = run(*args, stdin=stdin)
    assert done.returncode == 2 and problem in done.stderr and done.stdout == ""


def test_add_user_with_org_refuses_a_short_password(run, directory):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    done = run("add-user", "li.wei", "--org", "fleet-x", stdin="short\n")
    assert done.returncode == 2 and "at least 8" in done.stderr
    assert directory.account("li.wei") is None


def test_add_user_without_org_still_prints_a_dp_users_line(run):
    done = run("add-user", "harbour.master", stdin=PASSWORD + "\n", redis_given=False)
    assert done.returncode == 0, done.stderr
    name, _, hashed = done.stdout.strip().partition("=")
    assert name == "harbour.master" and check_password_hash(hashed, PASSWORD)


def test_without_a_running_redis_the_commands_say_so_and_exit_2(run):
    done = run("list-orgs", redis_given=False)  # DP_DATA_DIR holds no embedded server
    assert done.returncode == 2 and "no Redis" in done.stderr
