"""An organisation's people and read key see the cargo it is a party of and nothing else, on every
route: pages (through the page router), the read API, the CSV, search and its suggestions, socket
rooms, the DCSA publisher; an unknown and a forbidden box answer alike (docs/access.md)."""

from __future__ import annotations

import re

import pytest
from stdnum import imo as stdnum_imo

from dashboard.app import service_of, socketio_of
from tests import drill_scenario
from tests.helpers import csrf_token, log_in, wait_for
from tests.integration import org_scenario as orgs

ORGS = tuple(orgs.ORGS)
UNKNOWN_BOX = drill_scenario.box(999_999)  # valid, never sent


@pytest.fixture
def org_app(app, client):
    svc = service_of(app)
    keys = orgs.add_orgs(svc.directory)
    orgs.publish(client.post)
    state = svc.store.state
    wait_for(lambda: all(state.boxes.get(n) for n in orgs.expected_boxes("tf")), what="the scenario applied")
    return app, keys


def member(app, org: str):
    client = app.server.test_client()
    assert log_in(client, user=orgs.user(org), password=orgs.PASSWORD).status_code == 302
    return client


def key_of(keys, org: str) -> dict:
    return {"Authorization": f"Bearer {keys[org]}"}


def every_box() -> set[str]:
    return orgs.expected_boxes("tf")


@pytest.mark.parametrize("org", ORGS)
def test_container_api_answers_only_the_organisations_boxes(org_app, org):
    app, keys = org_app
    client, headers = app.server.test_client(), key_of(keys, org)
    seen = {number for number in every_box()
            if client.get(f"/api/v1/containers/{number}", headers=headers).status_code == 200}
    assert seen == orgs.expected_boxes(org)


@pytest.mark.parametrize("org", ORGS)
def test_a_forbidden_box_answers_exactly_as_an_unknown_one(org_app, org):
    app, keys = org_app
    client, headers = app.server.test_client(), key_of(keys, org)
    unknown = client.get(f"/api/v1/containers/{UNKNOWN_BOX}", headers=headers)
    for number in every_box() - orgs.expected_boxes(org):
        forbidden = client.get(f"/api/v1/containers/{number}", headers=headers)
        assert forbidden.status_code == unknown.status_code == 404
        assert forbidden.json == {**unknown.json, "message": unknown.json["message"].replace(UNKNOWN_BOX, number)}


@pytest.mark.parametrize("org", ORGS)
def test_vessel_list_and_vessel_api_show_only_the_organisations_calls_and_boxes(org_app, org):
    app, keys = org_app
    client, headers = app.server.test_client(), key_of(keys, org)
    listed = {row["imo"] for row in client.get("/api/v1/vessels", headers=headers).json["vessels"]}
    assert listed == orgs.expected_vessels(org)
    for imo in (drill_scenario.EMMA, orgs.OTHER_SHIP):
        answer = client.get(f"/api/v1/vessels/{imo}", headers=headers)
        if imo not in orgs.expected_vessels(org):
            assert answer.status_code == 404 and answer.json["error"] == "unknown_vessel"
            continue
        boxes = {row["number"] for row in answer.json["boxes"]}
        assert boxes <= orgs.expected_boxes(org)
        assert boxes == {n for n in orgs.expected_boxes(org) if state_call(app, n) == imo}


def state_call(app, number: str) -> str | None:
    state = service_of(app).store.state
    call = state.call_of(state.boxes[number][-1])
    return call.imo if call else None


def test_a_party_of_some_boxes_sees_the_calls_schedule_but_not_the_others_boxes(org_app):
    app, keys = org_app
    view = app.server.test_client().get(f"/api/v1/vessels/{drill_scenario.EMMA}", headers=key_of(keys, "acme")).json
    assert view["name"] == drill_scenario.EMMA_NAME and view["berthed"] is not None
    assert {row["number"] for row in view["boxes"]} == set(orgs.ACME_BOXES)
    own_delay = sum(row["delay_hours"] for row in view["boxes"] if row["late"])
    assert (view["bottleneck"] or {"total_delay_hours": 0})["total_delay_hours"] == pytest.approx(own_delay)


@pytest.mark.parametrize("org", ORGS)
def test_search_finds_only_what_the_organisation_sees_and_its_suggestions_do_not_tell(org_app, org):
    app, keys = org_app
    client, headers = app.server.test_client(), key_of(keys, org)
    for number in every_box():
        hits = client.get(f"/api/v1/search?q={number}", headers=headers).json["hits"]
        assert bool(hits) == (number in orgs.expected_boxes(org)), number
        mistyped = number[:-1] + str((int(number[-1]) + 1) % 10)
        suggestion = client.get(f"/api/v1/search?q={mistyped}", headers=headers).json["suggestion"]
        assert suggestion is None or suggestion["known"] == (suggestion["number"] in orgs.expected_boxes(org))
    ships = client.get(f"/api/v1/search?q={drill_scenario.EMMA_NAME[:4]}", headers=headers).json["hits"]
    assert bool(ships) == (drill_scenario.EMMA in orgs.expected_vessels(org))
    declaration = client.get("/api/v1/search?q=DEC-P0", headers=headers).json["hits"]
    assert bool(declaration) == (orgs.ACME_BOXES[0] in orgs.expected_boxes(org))


@pytest.mark.parametrize("org", ("acme", "trux", "nobody"))
def test_the_vessels_csv_holds_only_the_members_boxes(org_app, org):
    app, _ = org_app
    answer = member(app, org).get(f"/vessels/{drill_scenario.EMMA}/boxes.csv")
    if drill_scenario.EMMA not in orgs.expected_vessels(org):
        assert answer.status_code == 404
        return
    rows = answer.data.decode("utf-8-sig").splitlines()[1:]
    assert {row.split(",")[0] for row in rows} == {n for n in orgs.expected_boxes(org) if state_call(app, n) == drill_scenario.EMMA}


@pytest.mark.parametrize("org", ORGS)
def test_dcsa_events_are_only_those_about_the_organisations_cargo(org_app, org):
    app, keys = org_app
    client, headers = app.server.test_client(), key_of(keys, org)
    events, url = [], "/v2/events?limit=100"
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.json
        events += answer.json
        url = answer.headers.get("Next-Page", "").replace("http://localhost", "") or None
    boxes = {event["equipmentReference"] for event in events if event.get("equipmentReference")}
    assert boxes <= orgs.expected_boxes(org)
    if org in ("acme", "tf"):
        assert set(orgs.ACME_BOXES) <= boxes


def page_router(client, path: str) -> str:
    """What the page router draws at `path`, as the page's script asks for it."""
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": path},
                       {"id": "url", "property": "search", "value": "?lang=en"}],
            "changedPropIds": ["url.pathname"], "state": []}
    answer = client.post("/_dash-update-component", json=body, headers={"Origin": "http://localhost"})
    assert answer.status_code == 200, answer.text
    return answer.text


def test_a_members_pages_show_its_boxes_and_not_the_others(org_app):
    app, _ = org_app
    client = member(app, "acme")
    assert orgs.ACME_BOXES[0] in page_router(client, f"/containers/{orgs.ACME_BOXES[0]}")
    forbidden = page_router(client, f"/containers/{drill_scenario.box(1)}")
    unknown = page_router(client, f"/containers/{UNKNOWN_BOX}")
    assert forbidden.replace(drill_scenario.box(1), "X") == unknown.replace(UNKNOWN_BOX, "X")
    vessel = page_router(client, f"/vessels/{drill_scenario.EMMA}")
    assert orgs.ACME_BOXES[1] in vessel and drill_scenario.box(1) not in vessel
    listing = page_router(client, "/vessels")
    assert drill_scenario.EMMA_NAME in listing and orgs.OTHER_SHIP not in listing
    assert "/feeds" not in listing and "/demo" not in listing  # the navigation offers its pages only


@pytest.mark.parametrize(("path", "expected"), [("/", 302), ("/feeds", 302), ("/demo", 302), ("/admin", 302),
                                                ("/api/v1/kpis", 403), ("/api/v1/feeds", 403), ("/metrics", 403),
                                                ("/vessels", 200), (f"/containers/{UNKNOWN_BOX}", 200)])
def test_a_member_opens_its_cargos_pages_and_not_the_ports(org_app, path, expected):
    app, _ = org_app
    assert member(app, "acme").get(path).status_code == expected


@pytest.mark.parametrize(("path", "expected"), [("/api/v1/kpis", 403), ("/api/v1/feeds", 403), ("/metrics", 403),
                                                ("/api/v1/demo", 403), ("/v2/event-subscriptions", 403),
                                                ("/api/v1/vessels", 200), ("/v2/events", 200), ("/vessels", 302)])
def test_an_organisations_read_key_opens_its_cargos_api_and_not_the_ports(org_app, path, expected):
    app, keys = org_app
    assert app.server.test_client().get(path, headers=key_of(keys, "acme")).status_code == expected


def test_a_member_may_not_call_the_feeds_or_demo_callbacks(org_app):
    app, _ = org_app
    client = member(app, "acme")
    body = {"output": "demo-status.children", "outputs": {"id": "demo-status", "property": "children"},
            "inputs": [], "changedPropIds": [], "state": []}
    answer = client.post("/_dash-update-component", json=body, headers={"Origin": "http://localhost"})
    assert answer.status_code == 403


def test_the_task_force_sees_the_whole_port_as_a_manager_does(org_app):
    app, keys = org_app
    client = member(app, "tf")
    assert client.get("/").status_code == 200 and client.get("/feeds").status_code == 200
    assert app.server.test_client().get("/api/v1/kpis", headers=key_of(keys, "tf")).status_code == 200


def test_socket_rooms_follow_what_a_member_sees(org_app):
    app, _ = org_app
    socketio = socketio_of(app)

    def joins(org: str, query: str) -> bool:
        client = socketio.test_client(app.server, query_string=query, flask_test_client=member(app, org))
        try:
            return client.is_connected()
        finally:
            if client.is_connected():
                client.disconnect()

    assert joins("acme", f"vessel={drill_scenario.EMMA}")
    assert not joins("acme", f"vessel={orgs.OTHER_SHIP}")
    assert joins("blue", f"vessel={orgs.OTHER_SHIP}")
    assert joins("acme", "page=vessels")
    assert not joins("acme", "page=feeds")
    assert not joins("acme", "")  # the wall's room


def test_removing_an_account_or_its_organisation_ends_its_sessions(org_app):
    app, keys = org_app
    svc = service_of(app)
    client = member(app, "acme")
    assert client.get("/vessels").status_code == 200
    svc.directory.remove_account(orgs.user("acme"))
    wait_for(lambda: client.get("/vessels").status_code == 302, what="the removed account's session ended")
    other = member(app, "blue")
    svc.directory.remove_org("blue")
    wait_for(lambda: other.get("/vessels").status_code == 302, what="the removed organisation's session ended")
    wait_for(lambda: app.server.test_client().get("/api/v1/vessels", headers=key_of(keys, "blue")).status_code == 401,
             what="the removed organisation's key refused")


def test_logging_in_as_a_member_keeps_the_csrf_and_same_origin_locks(org_app):
    app, _ = org_app
    client = app.server.test_client()
    token = csrf_token(client.get("/login").text)
    answer = client.post("/login", data={"username": orgs.user("acme"), "password": "wrong-password",
                                         "csrf_token": token, "next": "/"})
    assert answer.status_code == 401
    client = member(app, "acme")
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"}, "inputs": [], "state": []}
    assert client.post("/_dash-update-component", json=body, headers={"Origin": "http://evil.example"}).status_code == 403


FORBIDDEN_TO_ACME = (drill_scenario.box(1), drill_scenario.box(30), orgs.BLUE_ON_OTHER_SHIP, orgs.OTHER_SHIP)
UNKNOWN_IMO = "900002" + stdnum_imo.calc_check_digit("900002")
SKIPPED_PREFIXES = ("/assets/", "/_dash-component-suites/", "/static/", "/api/v1/openapi.yaml")  # static files


def unknown_like(value: str) -> str:
    return UNKNOWN_IMO if value.isdigit() else UNKNOWN_BOX


def probe_urls(app, value: str) -> list[str]:
    """Every GET route of the service, its variables filled with `value`, which is also the
    search query."""
    urls = []
    for rule in app.server.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(SKIPPED_PREFIXES):
            continue
        try:
            path = rule.build({name: value for name in rule.arguments}, append_unknown=False)[1]
        except Exception:  # a converter that refuses the value: nothing to probe with it
            continue
        urls.append(f"{path}?q={value}")
    return sorted(set(urls))


def answer_as_seen(client, url: str, headers: dict, value: str) -> tuple:
    """Status, where it leads and the body, with the asked-for value written X and every other
    number 0 (times and counters move between two requests)."""
    answer = client.get(url, headers=headers)
    body = re.sub(rb"\d+", b"0", answer.get_data().replace(value.encode(), b"X"))
    return answer.status_code, answer.headers.get("Location", "").replace(value, "X"), body


@pytest.mark.parametrize("caller", ("member", "org_key"))
def test_every_route_answers_a_forbidden_box_or_ship_as_an_unknown_one(org_app, caller):
    """Whatever the route (those added later too): asked about a box or ship its organisation is
    not a party of, a member or an org key gets exactly what it gets for one that does not exist."""
    app, keys = org_app
    client = member(app, "acme") if caller == "member" else app.server.test_client()
    headers = {} if caller == "member" else key_of(keys, "acme")
    differ, probed = {}, 0
    for value in FORBIDDEN_TO_ACME:
        unknown = unknown_like(value)
        for url in probe_urls(app, value):
            probed += 1
            seen = answer_as_seen(client, url, headers, value)
            unknown_seen = answer_as_seen(client, url.replace(value, unknown), headers, unknown)
            if seen != unknown_seen:
                differ[url] = (seen[:2], unknown_seen[:2])
    assert differ == {}
    assert probed > 40  # the probe reached the routes


def test_no_page_shows_a_member_what_its_organisation_is_not_party_of(org_app):
    app, _ = org_app
    client = member(app, "acme")
    paths = ["/vessels", f"/vessels/{drill_scenario.EMMA}", f"/vessels/{orgs.OTHER_SHIP}",
             *(f"/containers/{value}" for value in FORBIDDEN_TO_ACME[:3]), "/feeds", "/demo", "/admin", "/"]
    leaks = {path: [v for v in FORBIDDEN_TO_ACME if v in page_router(client, path) and v not in path] for path in paths}
    assert {path: shown for path, shown in leaks.items() if shown} == {}
