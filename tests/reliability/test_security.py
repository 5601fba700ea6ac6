"""No one in where they do not belong: paths that climb out of the site, secrets in logs and error
answers, and every free-text field the pages show, in a real browser. (The access matrix, login
limits, session fixation, CSRF and open redirects: tests/integration/test_access.py and
test_auth.py.)"""

from __future__ import annotations

import requests

from tests.drill_scenario import EMMA
from tests.e2e.conftest import log_in_page
from tests.helpers import (MANAGER_PASSWORD, PARTNER_KEYS, READ_KEY, SECRET_KEY, WALL_TOKEN, auth, log_in,
                           read_auth, wait_for)

CLIMBS = ["/assets/../../../../etc/passwd", "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
          "/assets/..%2f..%2f..%2f..%2fetc%2fpasswd", "/_dash-component-suites/dash/../../../../etc/passwd",
          "/_dash-component-suites/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/static/../../../../etc/passwd",
          f"/vessels/..%2f..%2f..%2fetc%2fpasswd/boxes.csv", "/vessels/../../etc/passwd/boxes.csv",
          "/api/v1/containers/..%2f..%2fetc%2fpasswd", "/api/v1/openapi.yaml/../../../../etc/passwd",
          "/assets/../run.py", "/assets/../data/secret_key", "/assets/../../data/demo-access.json"]
PROBE = "<img src=x onerror=alert(document.domain)>"


def test_no_path_climbs_out_of_the_site(tmp_path, redis_url, port_id, start_service):
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id)
    manager = requests.Session()
    log_in(manager, service.base)
    for path in CLIMBS:
        for session in (requests.Session(), manager):
            answer = session.get(service.base + path, headers=read_auth() if "/api/" in path else {}, timeout=10,
                                 allow_redirects=False)
            body = answer.text
            assert "root:x:0:0" not in body and "def main(" not in body and SECRET_KEY not in body, path
            assert answer.status_code in (200, 302, 400, 401, 403, 404), (path, answer.status_code)


def test_secrets_never_reach_the_log_or_an_error_answer(tmp_path, redis_url, port_id, start_service):
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id)
    tried_password, stray_key = "hunter2-not-the-password", "leaked-key-0123456789"
    session = requests.Session()
    assert log_in(session, service.base, password=tried_password).status_code == 401
    assert log_in(session, service.base).status_code == 200
    requests.get(f"{service.base}/?token={WALL_TOKEN}", timeout=10)
    requests.get(f"{service.base}/?token=wrong-{WALL_TOKEN}", timeout=10)
    answers = [requests.post(service.base + "/api/v1/events", json=[{"id": 1}], headers=auth(), timeout=10),
               requests.get(service.base + "/api/v1/kpis", headers={"Authorization": f"Bearer {stray_key}"}, timeout=10),
               requests.get(service.base + "/api/v1/kpis", headers=auth(), timeout=10),
               requests.get(service.base + "/api/v1/nope", headers=read_auth(), timeout=10)]
    secrets = [MANAGER_PASSWORD, tried_password, WALL_TOKEN, READ_KEY, SECRET_KEY, stray_key, *PARTNER_KEYS.values()]
    log = service.log_path.read_text(errors="replace")
    assert "failed login" in log  # the log does say what happened, without the secrets
    for secret in secrets:
        assert secret not in log, "a secret is in the service's log"
        for answer in answers:
            assert secret not in answer.text, f"a secret is echoed in a {answer.status_code} answer"


def test_free_text_from_partners_is_shown_as_text_on_every_page(tmp_path, redis_url, port_id, start_service, page):
    """Names, terminals, berths, reasons, rejected inputs and the search words: all shown as
    text; nothing runs, no element is injected."""
    service = start_service(tmp_path, redis_url=redis_url, port_id=port_id)
    vessel = {"vessel": EMMA, "voyage": PROBE[:30], "source": "terminal.haitian"}
    events = [{**vessel, "id": "x-eta", "type": "vessel.eta", "time": "2026-11-27T01:00:00+08:00", "classifier": "estimated",
               "data": {"eta": "2026-11-27T02:00:00+08:00", "name": PROBE, "terminal": PROBE, "berth": PROBE}},
              {**vessel, "id": "x-berth", "type": "vessel.berthed", "time": "2026-11-27T03:00:00+08:00",
               "data": {"terminal": PROBE, "berth": PROBE}},
              {"id": PROBE, "type": "gate.in", "time": "2026-11-27T04:00:00+08:00", "source": "terminal.haitian",
               "container": "NOT" + PROBE, "direction": "export"}]
    assert requests.post(service.base + "/api/v1/events", json=events, headers=auth("terminal.haitian"), timeout=10).status_code == 202
    wait_for(lambda: service.health()["events_applied"] == 2, what="the vessel events applied")
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in_page(page, service.base, f"/vessels/{EMMA}?lang=en")
    page.locator("#vessel-header h1").wait_for()
    assert page.locator("#vessel-header h1").inner_text() == PROBE
    assert PROBE in page.locator("#vessel-header").inner_text()  # terminal and berth
    for path in ("/vessels?lang=en", "/feeds?lang=en"):
        page.goto(service.base + path)
        page.locator("#vessel-grid, #feeds-rejects").first.wait_for()
    wait_for(lambda: PROBE in page.locator("#feeds-rejects").inner_text(), what="the rejected input shown")
    words = f"{PROBE} zz"  # matches no name: the answer echoes the words
    page.fill("#search", words)
    page.press("#search", "Enter")
    wait_for(lambda: words in page.locator("#search-results").inner_text(), what="the search words echoed")
    assert page.locator("#page img").count() == 0 and dialogs == []
