"""The organisations' directory against a real Redis: changes, refusals, read keys, the cascade of
removing an organisation, and other processes following the version counter."""

from __future__ import annotations

import hashlib

import pytest
import redis
from werkzeug.security import check_password_hash

from dashboard.orgs import Account, Directory, DirectoryError, Org
from feeds.keys import PortKeys

PASSWORD = "correct horse battery"


@pytest.fixture
def client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def directory(client, port_id) -> Directory:
    return Directory(client, port_id, check_seconds=0)


def test_an_added_org_reads_back_with_its_identities(directory):
    org = directory.add_org("fleet-x", "Fleet X Trucking", "trucking", sources=["trucking.x", "trucking.x2"])
    assert org == Org("fleet-x", "Fleet X Trucking", "trucking", ("trucking.x", "trucking.x2"))
    assert directory.org("fleet-x") == org and directory.orgs() == [org]
    assert org.identities == {"fleet-x", "trucking.x", "trucking.x2"} and not org.sees_all
    assert directory.add_org("tf", "Task force", "taskforce").sees_all


@pytest.mark.parametrize("org_id, name, kind, sources, problem", [
    ("Fleet", "Fleet", "trucking", (), "bad organisation id"),
    ("-fleet", "Fleet", "trucking", (), "bad organisation id"),
    ("x" * 65, "Fleet", "trucking", (), "bad organisation id"),
    ("fleet", "", "trucking", (), "name"),
    ("fleet", "two\nlines", "trucking", (), "name"),
    ("fleet", "Fleet", "pirate", (), "unknown kind"),
    ("fleet", "Fleet", "trucking", ("Trucking X",), "bad source"),
    ("fleet", "Fleet", "trucking", "trucking.x", "not one string"),
])
def test_add_org_refuses_bad_ids_names_kinds_and_sources(directory, org_id, name, kind, sources, problem):
    with pytest.raises(DirectoryError, match=problem):
        directory.add_org(org_id, name, kind, sources)
    assert directory.orgs() == []


def test_add_org_refuses_a_duplicate_id_and_a_source_another_org_has(directory):
    directory.add_org("fleet-x", "Fleet X", "trucking", ["trucking.x"])
    with pytest.raises(DirectoryError, match="exists already"):
        directory.add_org("fleet-x", "Again", "broker")
    with pytest.raises(DirectoryError, match="already belongs to organisation 'fleet-x'"):
        directory.add_org("fleet-y", "Fleet Y", "trucking", ["trucking.x"])
    assert [org.id for org in directory.orgs()] == ["fleet-x"]


def test_an_account_stores_a_werkzeug_hash_never_the_password(directory, client, port_id):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    account = directory.add_account("li.wei", "fleet-x", PASSWORD)
    assert account.name == "li.wei" and account.org == "fleet-x"
    assert check_password_hash(account.password_hash, PASSWORD)
    assert directory.account("li.wei") == account and directory.accounts("fleet-x") == [account]
    assert PASSWORD.encode() not in client.hget(PortKeys(port_id).accounts, "li.wei")


def test_adding_an_existing_user_again_changes_the_password(directory):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    first = directory.add_account("li.wei", "fleet-x", PASSWORD)
    second = directory.add_account("li.wei", "fleet-x", "another-password")
    assert second.password_hash != first.password_hash
    assert directory.accounts() == [second]
    assert check_password_hash(directory.account("li.wei").password_hash, "another-password")


@pytest.mark.parametrize("name, org, password, problem", [
    ("bad name", "fleet-x", PASSWORD, "user name"),
    ("li.wei", "fleet-x", "short", "at least 8"),
    ("li.wei", "nobody", PASSWORD, "no organisation 'nobody'"),
])
def test_add_account_refuses_bad_names_short_passwords_and_unknown_orgs(directory, name, org, password, problem):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    with pytest.raises(DirectoryError, match=problem):
        directory.add_account(name, org, password)
    assert directory.accounts() == []


def test_remove_account_and_refusal_of_an_unknown_one(directory):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    directory.add_account("li.wei", "fleet-x", PASSWORD)
    directory.remove_account("li.wei")
    assert directory.account("li.wei") is None
    with pytest.raises(DirectoryError, match="no user 'li.wei'"):
        directory.remove_account("li.wei")


def test_a_read_key_finds_its_org_and_is_stored_only_as_its_digest(directory, client, port_id):
    org = directory.add_org("fleet-x", "Fleet X", "trucking")
    key = directory.add_read_key("fleet-x")
    assert len(key) >= 40 and directory.org_for_key(key) == org
    stored = client.hgetall(PortKeys(port_id).org_keys)
    assert stored == {hashlib.sha256(key.encode()).hexdigest().encode(): b"fleet-x"}
    assert directory.org_for_key(key + "x") is None and directory.org_for_key("") is None
    assert directory.key_count("fleet-x") == 1


def test_remove_read_keys_revokes_every_key_of_that_org_only(directory):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    directory.add_org("broker-y", "Broker Y", "broker")
    keys = [directory.add_read_key("fleet-x") for _ in range(2)]
    other = directory.add_read_key("broker-y")
    assert directory.remove_read_keys("fleet-x") == 2
    assert all(directory.org_for_key(key) is None for key in keys)
    assert directory.org_for_key(other).id == "broker-y"
    with pytest.raises(DirectoryError, match="no organisation"):
        directory.add_read_key("nobody")


def test_remove_org_takes_its_accounts_and_keys_with_it(directory):
    directory.add_org("fleet-x", "Fleet X", "trucking")
    directory.add_org("broker-y", "Broker Y", "broker")
    directory.add_account("li.wei", "fleet-x", PASSWORD)
    directory.add_account("wang.fang", "broker-y", PASSWORD)
    key = directory.add_read_key("fleet-x")
    directory.remove_org("fleet-x")
    assert directory.org("fleet-x") is None and directory.org_for_key(key) is None
    assert [a.name for a in directory.accounts()] == ["wang.fang"]
    with pytest.raises(DirectoryError, match="no organisation 'fleet-x'"):
        directory.remove_org("fleet-x")


def test_every_change_bumps_the_version(directory, client, port_id):
    version = PortKeys(port_id).directory_version
    directory.add_org("fleet-x", "Fleet X", "trucking")
    directory.add_account("li.wei", "fleet-x", PASSWORD)
    directory.add_read_key("fleet-x")
    assert int(client.get(version)) == 3
    with pytest.raises(DirectoryError):
        directory.add_org("fleet-x", "Again", "trucking")
    assert int(client.get(version)) == 3, "a refused change must not bump the version"


def test_another_process_sees_a_change_once_the_version_moved(client, port_id):
    writer = Directory(client, port_id, check_seconds=0)
    reader = Directory(client, port_id, check_seconds=3600)
    assert reader.orgs() == []  # the first reading
    writer.add_org("fleet-x", "Fleet X", "trucking")
    assert reader.orgs() == [], "the copy is read again only after check_seconds"
    prompt = Directory(client, port_id, check_seconds=0)
    prompt.orgs()
    writer.add_account("li.wei", "fleet-x", PASSWORD)
    assert prompt.account("li.wei") == Account("li.wei", "fleet-x", writer.account("li.wei").password_hash)


def test_reads_cost_no_redis_round_trip_while_the_version_stands(client, port_id, monkeypatch):
    directory = Directory(client, port_id, check_seconds=3600)
    directory.orgs()
    monkeypatch.setattr(client, "get", lambda *a: pytest.fail("a read went to Redis"))
    monkeypatch.setattr(client, "pipeline", lambda *a, **k: pytest.fail("a read went to Redis"))
    assert directory.org("fleet-x") is None and directory.accounts() == []


def test_the_last_copy_stays_while_redis_is_unreachable(client, port_id, caplog):
    Directory(client, port_id).add_org("fleet-x", "Fleet X", "trucking")
    directory = Directory(client, port_id, check_seconds=0)
    assert directory.org("fleet-x") is not None
    unreachable = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    directory._client = unreachable  # the same process, its Redis gone
    assert directory.org("fleet-x") is not None
    assert "the last copy stays" in caplog.text
