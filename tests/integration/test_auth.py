"""Managers' login: passwords, CSRF, redirects that stay inside the site, sessions that end, and
guessing slowed down; the wall token and the signing key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.app import create_app, stop_app
from dashboard.auth import LOGIN_LIMIT, RENEW_SECONDS, stored_secret_key
from tests.helpers import MANAGER, MANAGER_PASSWORD, csrf_token, log_in
from tests.process import ROOT


def login_form(client) -> dict:
    return {"username": MANAGER, "password": MANAGER_PASSWORD, "csrf_token": csrf_token(client.get("/login").text)}


def test_login_opens_manager_pages_and_lands_on_next(client):
    answer = log_in(client, next_path="/feeds")
    assert answer.status_code == 302 and answer.headers["Location"] == "/feeds"
    assert client.get("/feeds").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_401(client):
    wrong = log_in(client, password="not-it")
    unknown = log_in(client, user="nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert client.get("/vessels").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    answer = client.post("/login", data={"username": MANAGER, "password": MANAGER_PASSWORD})
    assert answer.status_code == 400
    assert client.get("/vessels").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "evil.example", "/%0d%0aSet-Cookie:x=1", ""])
def test_next_never_leads_outside_the_site(client, target):
    answer = log_in(client, next_path=target)
    location = answer.headers["Location"]
    assert answer.status_code == 302
    assert location.startswith("/") and not location.startswith(("//", "/\\")) and "evil" not in location.split("?")[0][:2]
    assert "\r" not in location and "\n" not in location


def test_login_starts_a_new_session_so_a_planted_cookie_gains_nothing(app, client):
    client.get("/login")
    planted = client.get_cookie("portpulse").value  # what an attacker could have planted
    log_in(client)
    assert client.get_cookie("portpulse").value != planted
    victim_copy = app.server.test_client()
    victim_copy.set_cookie("portpulse", planted)
    assert victim_copy.get("/vessels").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client):
    answer = log_in(client)
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_session_cookie_is_signed_again_once_a_day_not_on_every_answer(client):
    log_in(client)
    client.get("/vessels")  # the first answer after the login renews it
    assert "Set-Cookie" not in client.get("/vessels").headers
    with client.session_transaction() as kept:
        kept["renewed"] = kept["renewed"] - RENEW_SECONDS - 1  # a day has passed
    renewed = client.get("/vessels")
    assert renewed.status_code == 200 and "Set-Cookie" in renewed.headers
    assert "Set-Cookie" not in client.get("/vessels").headers


def test_logout_ends_the_session_and_needs_its_csrf_token(client):
    log_in(client)
    assert client.post("/logout", data={}).status_code == 400  # no token: a forged logout does nothing
    client.get("/logout")  # a link or an image cannot log anyone out either
    assert client.get("/vessels").status_code == 200
    token = csrf_token(client.get("/login").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/vessels").status_code == 302


def test_a_changed_password_ends_the_sessions_it_opened(app, config, client):
    log_in(client)
    cookie = client.get_cookie("portpulse").value
    changed = create_app(config.replace(users={MANAGER: generate_password_hash("a-new-password")}), start=False)
    other = changed.server.test_client()
    other.set_cookie("portpulse", cookie)
    assert other.get("/vessels").status_code == 302


def test_failed_logins_are_limited_per_address_with_retry_after(client):
    allowed = int(LOGIN_LIMIT.split()[0])
    form = login_form(client)
    answers = [client.post("/login", data={**form, "password": "guess"}).status_code for _ in range(allowed + 1)]
    assert answers == [401] * allowed + [429]
    limited = client.post("/login", data=form)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_successful_logins_do_not_count_towards_the_limit(client):
    allowed = int(LOGIN_LIMIT.split()[0])
    assert [log_in(client).status_code for _ in range(allowed + 2)] == [302] * (allowed + 2)


def test_a_session_write_from_another_site_is_refused(manager_client):
    request = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
               "inputs": [{"id": "url", "property": "pathname", "value": "/feeds"}],
               "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": []}
    foreign = manager_client.post("/_dash-update-component", json=request, headers={"Origin": "http://evil.example"})
    own = manager_client.post("/_dash-update-component", json=request, headers={"Origin": "http://localhost"})
    assert foreign.status_code == 403 and own.status_code == 200


def test_signing_key_is_made_once_readable_by_its_owner_only(tmp_path):
    key = stored_secret_key(tmp_path)
    assert len(key) == 64 and stored_secret_key(tmp_path) == key
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_sessions_survive_a_restart_with_the_generated_key(config, tmp_path):
    unsigned = config.replace(secret_key=None, data_dir=tmp_path / "data")
    first = create_app(unsigned, start=False)
    client = first.server.test_client()
    log_in(client)
    cookie = client.get_cookie("portpulse").value
    second = create_app(unsigned, start=False).server.test_client()
    second.set_cookie("portpulse", cookie)
    assert second.get("/vessels").status_code == 200


def run_add_user(name: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), "add-user", name], input=stdin,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "DP_USERS": ""})


def test_add_user_prints_a_line_for_dp_users_that_verifies():
    done = run_add_user("harbour.master", "correct horse battery\n")
    assert done.returncode == 0, done.stderr
    name, _, hashed = done.stdout.strip().partition("=")
    assert name == "harbour.master" and check_password_hash(hashed, "correct horse battery")
    assert "correct horse" not in done.stdout


@pytest.mark.parametrize("name, password, problem", [("bad name", "long enough pw\n", "a name is"),
                                                     ("ok", "short\n", "at least 8")])
def test_add_user_refuses_bad_names_and_short_passwords(name, password, problem):
    done = run_add_user(name, password)
    assert done.returncode == 2 and problem in done.stderr and done.stdout == ""


def test_behind_a_trusted_proxy_failed_logins_are_limited_per_forwarded_client_address(config):
    """Behind nginx every request comes from nginx's address: with DP_TRUSTED_PROXIES the limit
    counts the client's own (X-Forwarded-For), so one guesser does not lock everyone out."""
    app = create_app(config.replace(trusted_proxies=1))
    try:
        client = app.server.test_client()
        allowed, form = int(LOGIN_LIMIT.split()[0]), login_form(client)

        def attempt(address: str) -> int:
            return client.post("/login", data={**form, "password": "guess"},
                               headers={"X-Forwarded-For": address}).status_code
        assert [attempt("203.0.113.7") for _ in range(allowed + 1)] == [401] * allowed + [429]
        assert attempt("198.51.100.9") == 401  # another client behind the same proxy
    finally:
        stop_app(app)
