"""The access matrix: every route × {anonymous, wall token, partner key, read key, manager} gets
the answer docs/access.md gives; and the socket rooms follow the same rules."""

from __future__ import annotations

import pytest

from dashboard.app import service_of, socketio_of
from tests import drill_scenario
from tests.helpers import PARTNER_KEYS, READ_KEY, WALL_TOKEN, gate_event, log_in, wait_for

CALLERS = ("anonymous", "wall", "partner", "read", "manager")
EMMA_BOX = drill_scenario.box(1)

PAGE = {"anonymous": 302, "wall": 302, "partner": 302, "read": 302, "manager": 200}
WALL = {**PAGE, "wall": 200}
READ_API = {"anonymous": 401, "wall": 403, "partner": 403, "read": 200, "manager": 200}
# (method, path) → status per caller
MATRIX = {
    ("GET", "/"): WALL,
    ("GET", "/vessels"): PAGE,
    ("GET", "/vessels?delayed=1"): PAGE,
    ("GET", f"/vessels/{drill_scenario.EMMA}"): PAGE,
    ("GET", f"/vessels/{drill_scenario.EMMA}/boxes.csv"): PAGE,
    ("GET", f"/containers/{EMMA_BOX}"): PAGE,
    ("GET", "/feeds"): PAGE,
    ("GET", "/demo"): PAGE,
    ("GET", "/api/v1/kpis"): READ_API,
    # no hour recorded yet: past the access check, the route itself answers 400 (unknown metric)
    ("GET", "/api/v1/kpis/history?metric=clearance_hours.import.median&days=1"): {**READ_API, "read": 400, "manager": 400},
    ("GET", "/api/v1/vessels"): READ_API,
    ("GET", f"/api/v1/vessels/{drill_scenario.EMMA}"): READ_API,
    ("GET", f"/api/v1/containers/{EMMA_BOX}"): READ_API,
    ("GET", "/api/v1/search?q=Emma"): READ_API,
    ("GET", "/api/v1/feeds"): READ_API,
    ("GET", "/api/v1/demo"): {**READ_API, "read": 404, "manager": 404},  # this service has no demo
    ("POST", "/api/v1/demo"): {**READ_API, "read": 403, "manager": 404},
    ("GET", "/metrics"): READ_API,
    ("POST", "/api/v1/events"): {"anonymous": 401, "wall": 403, "partner": 202, "read": 403, "manager": 403},
    ("GET", "/healthz"): dict.fromkeys(CALLERS, 200),
    ("GET", "/login"): dict.fromkeys(CALLERS, 200),
}


@pytest.fixture
def scenario_app(app, client):
    drill_scenario.publish(client.post)
    svc = service_of(app)
    wait_for(lambda: svc.store.state.latest_call(drill_scenario.EMMA) and svc.store.state.boxes.get(EMMA_BOX),
             what="the scenario applied")
    return app


def caller(app, kind: str):
    """A test client holding one kind of credential, and the headers it sends."""
    client = app.server.test_client()
    headers = {}
    if kind == "wall":
        assert client.get(f"/?token={WALL_TOKEN}").status_code == 302
    elif kind == "partner":
        headers = {"Authorization": f"Bearer {PARTNER_KEYS['trucking.x']}"}
    elif kind == "read":
        headers = {"Authorization": f"Bearer {READ_KEY}"}
    elif kind == "manager":
        assert log_in(client).status_code == 302
    return client, headers


@pytest.mark.parametrize("kind", CALLERS)
def test_access_matrix_gives_each_credential_its_status(scenario_app, kind):
    client, headers = caller(scenario_app, kind)
    wrong = {}
    for (method, path), expected in MATRIX.items():
        body = {"json": gate_event(7)} if path == "/api/v1/events" else {"json": {"action": "pause"}} if method == "POST" else {}
        answer = client.open(path, method=method, headers=headers, **body)
        if answer.status_code != expected[kind]:
            wrong[f"{method} {path}"] = (answer.status_code, expected[kind])
    assert wrong == {}, f"{kind}: (got, expected) per route"


def test_a_page_without_credential_redirects_to_login_with_next(client):
    answer = client.get("/vessels?delayed=1")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=%2Fvessels%3Fdelayed%3D1"


def test_api_without_credential_answers_401_with_bearer_challenge(client):
    answer = client.get("/api/v1/vessels")
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.json["error"] == "unauthorized"


def test_an_unknown_key_is_401_not_403(client):
    answer = client.get("/api/v1/kpis", headers={"Authorization": "Bearer not-a-key"})
    assert answer.status_code == 401 and "unknown key" in answer.json["message"]


def test_wall_token_is_taken_out_of_the_address_and_kept_in_the_cookie(client):
    answer = client.get(f"/?token={WALL_TOKEN}&lang=en&rotate=30")
    assert answer.status_code == 302 and answer.headers["Location"] == "/?lang=en&rotate=30"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and WALL_TOKEN not in cookie
    assert client.get("/").status_code == 200


def test_a_wrong_wall_token_opens_nothing(client):
    answer = client.get("/?token=guess")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_wall_token_may_not_call_other_callbacks(app):
    client, _ = caller(app, "wall")
    demo_button = {"output": "demo-status.children", "outputs": {"id": "demo-status", "property": "children"},
                   "inputs": [], "changedPropIds": []}
    answer = client.post("/_dash-update-component", json=demo_button)
    assert answer.status_code == 403


def test_wall_token_asking_the_router_for_a_manager_page_gets_not_allowed(app):
    client, _ = caller(app, "wall")
    request = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
               "inputs": [{"id": "url", "property": "pathname", "value": "/feeds"}],
               "state": [{"id": "url", "property": "search", "value": "?lang=en"}], "changedPropIds": ["url.pathname"]}
    answer = client.post("/_dash-update-component", json=request)
    assert answer.status_code == 200
    assert "Not allowed" in answer.get_data(as_text=True) and "feeds-grid" not in answer.get_data(as_text=True)


def test_socket_rooms_follow_the_matrix(scenario_app):
    socketio = socketio_of(scenario_app)
    connected = {}
    for kind in CALLERS:
        client, headers = caller(scenario_app, kind)
        for room, query in (("wall", "lang=en"), ("vessel", f"vessel={drill_scenario.EMMA}"), ("feeds", "page=feeds")):
            sio = socketio.test_client(scenario_app.server, query_string=query, headers=headers, flask_test_client=client)
            connected[(kind, room)] = sio.is_connected()
            if sio.is_connected():
                sio.disconnect()
    managers_only = {(kind, room): kind == "manager" for kind in CALLERS for room in ("vessel", "feeds")}
    assert connected == {("anonymous", "wall"): False, ("wall", "wall"): True, ("partner", "wall"): False,
                         ("read", "wall"): False, ("manager", "wall"): True, **managers_only}
