"""The pieces of the access layer that need no server: redirects, keys, user lists, the matrix's
rules and the demo's own account."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from dashboard.access import Kind, KeyRing, allowed_kinds, may_open, Credential, safe_next
from dashboard.auth import demo_access
from dashboard.config import Config, ConfigError, parse_users
from tests.helpers import MANAGER_HASH


@pytest.mark.parametrize("target, expected", [
    ("/vessels?delayed=1", "/vessels?delayed=1"), ("/containers/MSKU0000014", "/containers/MSKU0000014"),
    ("//evil.example", "/"), ("/\\evil.example", "/"), ("https://evil.example/x", "/"), ("evil.example", "/"),
    ("javascript:alert(1)", "/"), ("/x\r\nLocation: https://evil.example", "/"), (None, "/"), ("", "/"),
])
def test_safe_next_keeps_redirects_inside_the_site(target, expected):
    assert safe_next(target) == expected


def test_keyring_tells_partner_from_reader_and_knows_no_other_key():
    ring = KeyRing({"terminal.haitian": "k-partner"}, ("k-read",))
    assert ring.lookup("k-partner") == (Kind.PARTNER, "terminal.haitian")
    assert ring.lookup("k-read") == (Kind.READ, "reader-1")
    assert ring.lookup("k-other") is None and ring.lookup("") is None and ring.lookup(None) is None


@pytest.mark.parametrize("path, method, kinds", [
    ("/api/v1/events", "POST", {Kind.PARTNER}), ("/api/v1/kpis", "GET", {Kind.READ, Kind.MANAGER}),
    ("/metrics", "GET", {Kind.READ, Kind.MANAGER}), ("/api/v1/demo", "GET", {Kind.READ, Kind.MANAGER}),
    ("/api/v1/demo", "POST", {Kind.MANAGER}), ("/", "GET", {Kind.WALL, Kind.MANAGER}),
    ("/vessels", "GET", {Kind.MANAGER, Kind.MEMBER}), ("/anything-else", "GET", {Kind.MANAGER}),
    ("/containers/MSKU0000014", "GET", {Kind.MANAGER, Kind.MEMBER}), ("/track", "GET", {Kind.MANAGER, Kind.MEMBER}),
    ("/feeds", "GET", {Kind.MANAGER}), ("/admin", "GET", {Kind.MANAGER}),
    ("/api/v1/vessels", "GET", {Kind.READ, Kind.MANAGER, Kind.MEMBER, Kind.ORG_READ}),
    ("/v2/events", "GET", {Kind.READ, Kind.MANAGER, Kind.MEMBER, Kind.ORG_READ}),
    ("/v2/event-subscriptions", "GET", {Kind.READ, Kind.MANAGER}),
    ("/api/v1/watches", "POST", {Kind.MANAGER, Kind.MEMBER}), ("/api/v1/notices", "GET", {Kind.MANAGER, Kind.MEMBER}),
    ("/api/v1/alerts", "GET", {Kind.READ, Kind.MANAGER}), ("/api/v1/alerts/a1/ack", "POST", {Kind.MANAGER}),
    ("/_dash-update-component", "POST", {Kind.WALL, Kind.MANAGER, Kind.MEMBER}),
])
def test_allowed_kinds_per_route(path, method, kinds):
    assert allowed_kinds(path, method) == kinds


def test_the_wall_token_opens_the_wall_only():
    wall = Credential(Kind.WALL)
    assert may_open(wall, "/") and not may_open(wall, "/vessels") and not may_open(wall, "/demo")


def test_users_come_as_name_hash_pairs_with_comments():
    text = f"# managers\nalice={MANAGER_HASH}\nbob={MANAGER_HASH}  # night shift\n"
    assert parse_users(text) == {"alice": MANAGER_HASH, "bob": MANAGER_HASH}
    assert parse_users(f"alice={MANAGER_HASH},bob={MANAGER_HASH}") == {"alice": MANAGER_HASH, "bob": MANAGER_HASH}


@pytest.mark.parametrize("text, problem", [("alice", "is not name=hash"), ("alice=plaintext", "not werkzeug's"),
                                           ("=scrypt:1$2$3", "is not name=hash")])
def test_users_that_cannot_be_read_name_the_problem(text, problem):
    with pytest.raises(ConfigError, match=problem):
        parse_users(text)


def test_users_file_joins_dp_users(tmp_path):
    users_file = tmp_path / "users"
    users_file.write_text(f"carol={MANAGER_HASH}\n")
    config = Config.from_env({"DP_USERS": f"alice={MANAGER_HASH}", "DP_USERS_FILE": str(users_file),
                              "DP_READ_KEYS": "r1, r2", "DP_WALL_TOKEN": "t"})
    assert set(config.users) == {"alice", "carol"} and config.read_keys == ("r1", "r2") and config.wall_token == "t"


def test_a_missing_users_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="DP_USERS_FILE: cannot read"):
        Config.from_env({"DP_USERS_FILE": str(tmp_path / "nope")})


def test_demo_access_is_made_once_and_kept(tmp_path):
    first = demo_access(tmp_path)
    assert demo_access(tmp_path) == first and len(first["wall_token"]) >= 24 and len(first["password"]) >= 12
    assert (tmp_path / "demo-access.json").stat().st_mode & 0o077 == 0


def test_run_gives_the_demo_its_account_unless_users_are_configured(tmp_path):
    from run import with_demo_access

    demo = with_demo_access(Config(data_dir=tmp_path))
    access = demo_access(tmp_path)
    assert check_password_hash(demo.users["demo"], access["password"]) and demo.wall_token == access["wall_token"]
    configured = with_demo_access(Config(data_dir=tmp_path, users={"alice": MANAGER_HASH}, wall_token="mine"))
    assert configured.users == {"alice": MANAGER_HASH} and configured.wall_token == "mine"


def test_make_run_prints_the_wall_and_login_urls_of_the_demo(tmp_path, capsys):
    from run import print_urls, with_demo_access

    config = with_demo_access(Config(data_dir=tmp_path, demo=True, http_port=8050))
    print_urls(config, "demo: normal at ×60")
    access, shown = demo_access(tmp_path), capsys.readouterr().out
    assert f"http://127.0.0.1:8050/?token={access['wall_token']}" in shown
    assert f"http://127.0.0.1:8050/login  (user demo, password {access['password']})" in shown
    print_urls(Config(data_dir=tmp_path, demo=True, users={"alice": MANAGER_HASH}, wall_token="own"), "demo")
    assert "password" not in capsys.readouterr().out  # configured accounts are never printed
