"""The task force's admin page, /admin: managers add organisations, users and read keys through
its forms (CSRF, same-site); nobody else opens it; a demo reset keeps what it made."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash

from dashboard.app import service_of
from dashboard.demo import reset_namespace
from tests.helpers import READ_KEY, WALL_TOKEN, csrf_token

PASSWORD = "correct horse battery"


def post(client, path: str, lang: str = "en", **fields):
    """A form of the page, sent with the page's own CSRF token."""
    token = csrf_token(client.get("/admin").text)
    return client.post(path, data={"csrf_token": token, "lang": lang, **fields})


def follow(client, answer):
    assert answer.status_code == 303, answer.text[:500]
    return client.get(answer.headers["Location"])


def test_a_manager_adds_an_org_a_user_and_a_read_key(app, manager_client):
    directory = service_of(app).directory
    added = post(manager_client, "/admin/orgs", id="fleet-x", name="Fleet X", kind="trucking",
                 sources="trucking.x, trucking.x2")
    assert added.headers["Location"] == "/admin?lang=en"
    page = follow(manager_client, added)
    assert "Organisation fleet-x added" in page.text and "trucking.x, trucking.x2" in page.text
    assert directory.org("fleet-x").sources == ("trucking.x", "trucking.x2")

    user = follow(manager_client, post(manager_client, "/admin/users", name="li.wei", org="fleet-x",
                                       password=PASSWORD))
    assert "User li.wei saved" in user.text and "li.wei" in user.text
    assert check_password_hash(directory.account("li.wei").password_hash, PASSWORD)

    made = post(manager_client, "/admin/keys", org="fleet-x")
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    key = re.search(r"<code>([A-Za-z0-9_-]{40,})</code>", made.text).group(1)
    assert directory.org_for_key(key).id == "fleet-x"
    assert key not in manager_client.get("/admin").text, "a read key is shown once"


def test_the_page_lists_orgs_with_users_and_key_counts_in_both_languages(app, manager_client):
    directory = service_of(app).directory
    directory.add_org("fleet-x", "Fleet <X>", "trucking", ["trucking.x"])
    directory.add_account("li.wei", "fleet-x", PASSWORD)
    directory.add_read_key("fleet-x")
    zh = manager_client.get("/admin?lang=zh")
    en = manager_client.get("/admin?lang=en")
    assert zh.status_code == en.status_code == 200
    assert "组织与账户" in zh.text and "车队" in zh.text
    assert "organisations and accounts" in en.text and "<td>1</td>" in en.text and "li.wei" in en.text
    assert "Fleet &lt;X&gt;" in en.text and "Fleet <X>" not in en.text, "values are escaped"


def test_removing_users_keys_and_orgs_through_the_forms(app, manager_client):
    directory = service_of(app).directory
    directory.add_org("fleet-x", "Fleet X", "trucking")
    directory.add_account("li.wei", "fleet-x", PASSWORD)
    key = directory.add_read_key("fleet-x")
    removed_user = follow(manager_client, post(manager_client, "/admin/users/remove", name="li.wei"))
    revoked = follow(manager_client, post(manager_client, "/admin/keys/remove", org="fleet-x"))
    assert "User li.wei removed" in removed_user.text and "1 read keys of fleet-x revoked" in revoked.text
    assert directory.account("li.wei") is None and directory.org_for_key(key) is None
    unconfirmed = post(manager_client, "/admin/orgs/remove", org="fleet-x")
    assert unconfirmed.status_code == 400 and directory.org("fleet-x") is not None
    follow(manager_client, post(manager_client, "/admin/orgs/remove", org="fleet-x", confirm="1"))
    assert directory.orgs() == []


def test_a_refused_change_re_renders_the_page_with_the_reason_and_400(app, manager_client):
    refused = post(manager_client, "/admin/users", name="li.wei", org="nobody", password=PASSWORD)
    assert refused.status_code == 400 and "Not done: no organisation &#39;nobody&#39;" in refused.text
    bad_kind = post(manager_client, "/admin/orgs", id="x", name="X", kind="pirate")
    assert bad_kind.status_code == 400 and "unknown kind" in bad_kind.text
    assert service_of(app).directory.orgs() == []


def test_a_post_without_the_csrf_token_is_refused_with_400(app, manager_client):
    answer = manager_client.post("/admin/orgs", data={"id": "fleet-x", "name": "Fleet X", "kind": "trucking",
                                                         "lang": "en"})
    assert answer.status_code == 400 and "expired" in answer.text
    assert service_of(app).directory.orgs() == []


def test_a_cross_origin_post_is_refused_with_403(app, manager_client):
    token = csrf_token(manager_client.get("/admin").text)
    answer = manager_client.post("/admin/orgs", data={"csrf_token": token, "id": "fleet-x", "name": "Fleet X",
                                                      "kind": "trucking"},
                                 headers={"Origin": "http://evil.example"})
    assert answer.status_code == 403
    assert service_of(app).directory.orgs() == []


@pytest.mark.parametrize("who", ["anonymous", "reader", "wall"])
def test_anyone_but_a_manager_is_sent_to_the_login(client, who):
    headers = {"Authorization": f"Bearer {READ_KEY}"} if who == "reader" else {}
    if who == "wall":
        client.get(f"/?token={WALL_TOKEN}")
    for method, path in (("get", "/admin"), ("post", "/admin/orgs"), ("post", "/admin/keys")):
        answer = getattr(client, method)(path, headers=headers, data={"org": "x"})
        assert answer.status_code == 302 and answer.headers["Location"].startswith("/login?next="), (method, path)


def test_a_demo_reset_keeps_orgs_accounts_and_keys(app):
    svc = service_of(app)
    svc.directory.add_org("fleet-x", "Fleet X", "trucking")
    svc.directory.add_account("li.wei", "fleet-x", PASSWORD)
    key = svc.directory.add_read_key("fleet-x")
    svc.redis.set(svc.publisher.keys.snapshot, b"old")  # some of the port's data
    reset_namespace(svc)
    assert svc.redis.get(svc.publisher.keys.snapshot) is None, "the reset did not run"
    again = type(svc.directory)(svc.redis, svc.config.port_id)  # read afresh from Redis
    assert again.org("fleet-x") is not None and again.account("li.wei") is not None
    assert again.org_for_key(key).id == "fleet-x"
