"""/track, the phone page: a member sees exactly its boxes in port, those needing action first, in
pages of 50; the search leads straight to a box; a box is a parcel's timeline; a box the member may
not see answers exactly as an unknown one; zh/en; gzip; who may open it (docs/access.md)."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import pytest

from dashboard.app import service_of
from dashboard.config import Config
from dashboard.track import PER_PAGE
from tests import drill_scenario
from tests.helpers import auth, container_number, log_in, read_auth, wait_for
from tests.integration import org_scenario as orgs

TRACK_ORGS = {"fleet": "trucking", "bigco": "consignee"}
FLEET = {n: container_number(n, owner="FLT") for n in range(1, 7)}
# fleet's boxes in the page's order: ready (released at +6 h, then +10 h), inspection, held, the rest
FLEET_ORDER = [FLEET[1], FLEET[2], FLEET[3], FLEET[4], FLEET[5]]  # FLEET[6] has gone out of the gate
BIG_BOXES = [container_number(n, owner="BGC") for n in range(1, 121)]
UNKNOWN_BOX = drill_scenario.box(999_999)
ROW = re.compile(r'class="track-row action-(\w+)"><a href="/track/box/(\w+)')


def track_events() -> list[dict]:
    start = drill_scenario.t0()

    def at(hours: float) -> str:
        return (start + timedelta(hours=hours)).isoformat()

    emma = {"vessel": drill_scenario.EMMA, "voyage": drill_scenario.EMMA_VOYAGE}
    events = []

    def box_event(ident: str, kind: str, hours: float, number: str, **extra) -> None:
        events.append({"id": ident, "type": kind, "time": at(hours), "container": number, "direction": "import",
                       "source": "terminal.haitian", **extra})

    for n, number in FLEET.items():
        box_event(f"flt-disc-{n}", "container.discharged", 5, number, **emma, parties={"trucking": "fleet"})
    box_event("flt-decl-1", "declaration.filed", 5.5, FLEET[1], data={"declaration": "DEC-FLT1"})
    box_event("flt-rel-1", "customs.released", 6, FLEET[1])
    box_event("flt-rel-2", "customs.released", 10, FLEET[2])
    box_event("flt-insp-3", "customs.inspection_ordered", 7, FLEET[3], data={"mode": "physical"})
    box_event("flt-hold-4", "customs.hold", 8, FLEET[4])
    box_event("flt-rel-6", "customs.released", 6, FLEET[6])
    box_event("flt-out-6", "gate.out", 9, FLEET[6])
    for n, number in enumerate(BIG_BOXES):
        box_event(f"bgc-disc-{n}", "container.discharged", 5 + n / 100, number, **emma, parties={"consignee": "bigco"})
    return events


@pytest.fixture
def track_app(app, client):
    svc = service_of(app)
    orgs.add_orgs(svc.directory)
    for org, kind in TRACK_ORGS.items():
        svc.directory.add_org(org, org.title(), kind)
        svc.directory.add_account(orgs.user(org), org, orgs.PASSWORD)
    orgs.publish(client.post)
    answer = client.post("/api/v1/events", json=track_events(), headers=auth("terminal.haitian"))
    assert answer.status_code == 202 and answer.json["rejected"] == [], answer.json
    state = svc.store.state
    wait_for(lambda: all(state.boxes.get(n) for n in [*orgs.expected_boxes("tf"), *FLEET.values(), *BIG_BOXES])
             and state.boxes[FLEET[6]][-1].stage == "gated_out", what="the scenario applied")
    return app


def member(app, org: str):
    client = app.server.test_client()
    assert log_in(client, user=orgs.user(org), password=orgs.PASSWORD, next_path="/track").status_code == 302
    return client


def rows(html: str) -> list[tuple[str, str]]:
    return ROW.findall(html)


def in_port(app, numbers) -> set[str]:
    state = service_of(app).store.state
    return {n for n in numbers if state.boxes.get(n) and state.boxes[n][-1].in_port}


def without_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)


def test_a_member_sees_its_boxes_in_port_ready_for_pickup_then_inspection_then_held_first(track_app):
    page = member(track_app, "fleet").get("/track?lang=en")
    assert page.status_code == 200
    assert [number for _, number in rows(page.text)] == FLEET_ORDER
    assert [action for action, _ in rows(page.text)] == ["ready", "ready", "inspection", "held", "other"]
    counts = dict(re.findall(r'class="count count-(\w+)"><b>(\d+)</b>', page.text))
    assert counts == {"ready": "2", "inspection": "1", "held": "1"}
    assert drill_scenario.EMMA_NAME in page.text


@pytest.mark.parametrize("org", ["acme", "blue", "trux", "nobody", "bigco"])
def test_each_member_sees_exactly_its_organisations_boxes_in_port(track_app, org):
    expected = in_port(track_app, BIG_BOXES if org == "bigco" else orgs.expected_boxes(org))
    client, shown, page = member(track_app, org), set(), 1
    while True:
        html = client.get(f"/track?lang=en&page={page}").text
        shown |= {number for _, number in rows(html)}
        if 'rel="next"' not in html:
            break
        page += 1
    assert shown == expected


def test_a_thousand_boxes_are_not_sent_at_once_but_fifty_a_page_with_a_more_link(track_app):
    client = member(track_app, "bigco")
    first, last = client.get("/track?lang=en").text, client.get("/track?lang=en&page=3").text
    assert len(rows(first)) == PER_PAGE and 'href="/track?lang=en&amp;page=2"' in first
    assert len(rows(last)) == len(BIG_BOXES) - 2 * PER_PAGE and 'rel="next"' not in last
    assert [n for _, n in rows(first)] == BIG_BOXES[:PER_PAGE]  # the longest in its stage first


def test_the_live_fragment_is_the_list_alone(track_app):
    client = member(track_app, "fleet")
    fragment = client.get("/track?fragment=1&page=1&lang=en")
    assert fragment.status_code == 200 and "<html" not in fragment.text and "csrf_token" not in fragment.text
    assert [number for _, number in rows(fragment.text)] == FLEET_ORDER


@pytest.mark.parametrize("query", [FLEET[1], FLEET[1].lower(), "DEC-FLT1"])
def test_a_search_with_one_answer_leads_straight_to_the_boxs_page(track_app, query):
    answer = member(track_app, "fleet").get(f"/track?lang=en&q={query}")
    assert answer.status_code == 302 and answer.headers["Location"] == f"/track/box/{FLEET[1]}?lang=en"


def test_a_search_for_a_box_the_member_may_not_see_finds_nothing_as_for_an_unknown_one(track_app):
    client = member(track_app, "fleet")
    forbidden = client.get(f"/track?lang=en&q={orgs.ACME_BOXES[0]}")
    unknown = client.get(f"/track?lang=en&q={UNKNOWN_BOX}")
    assert forbidden.status_code == unknown.status_code == 200
    assert "Nothing found" in forbidden.text and f"/track/box/{orgs.ACME_BOXES[0]}" not in forbidden.text
    assert without_token(forbidden.text).replace(orgs.ACME_BOXES[0], "X") == without_token(unknown.text).replace(UNKNOWN_BOX, "X")


def test_a_box_page_is_its_parcel_timeline_with_the_next_step_and_its_ship(track_app):
    page = member(track_app, "fleet").get(f"/track/box/{FLEET[1]}?lang=en")
    assert page.status_code == 200
    steps = re.findall(r'<li class="step (\w+)"[^>]*><span class="what">([^<]+)</span>', page.text)
    assert steps == [("done", "Discharged"), ("done", "Released by customs"), ("current", "Ready for pickup"),
                     ("pending", "Gated out")]
    assert "Next: Gate out, owned by trucking" in page.text
    assert "Emma Maersk 051E" in page.text and "berth HT-1" in page.text


def test_a_held_box_shows_the_hold_and_no_release(track_app):
    page = member(track_app, "fleet").get(f"/track/box/{FLEET[4]}?lang=en")
    steps = re.findall(r'<li class="step (\w+)"[^>]*><span class="what">([^<]+)</span>', page.text)
    assert ("current", "Held by customs") in steps and ("pending", "Released by customs") in steps


def test_a_box_the_member_may_not_see_answers_exactly_as_an_unknown_box(track_app):
    client = member(track_app, "fleet")
    forbidden = client.get(f"/track/box/{orgs.ACME_BOXES[0]}?lang=en")
    unknown = client.get(f"/track/box/{UNKNOWN_BOX}?lang=en")
    assert forbidden.status_code == unknown.status_code == 404
    assert without_token(forbidden.text).replace(orgs.ACME_BOXES[0], "X") == without_token(unknown.text).replace(UNKNOWN_BOX, "X")


def test_the_page_speaks_chinese_by_default_and_english_when_asked_with_a_switch(track_app):
    client = member(track_app, "fleet")
    chinese, english = client.get("/track").text, client.get("/track?lang=en").text
    assert '<html lang="zh-CN">' in chinese and "我的箱子" in chinese and 'href="/track?lang=en"' in chinese
    assert '<html lang="en">' in english and "My boxes" in english and 'href="/track?lang=zh"' in english
    assert '<meta name="viewport"' in english and 'action="/logout"' in english and 'name="csrf_token"' in english


def test_the_answer_is_gzipped_when_the_phone_accepts_it_and_never_cached(track_app):
    client = member(track_app, "bigco")
    plain = client.get("/track?lang=en")
    packed = client.get("/track?lang=en", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert without_token(gzip.decompress(packed.data).decode()) == without_token(plain.text)
    assert len(packed.data) < len(plain.data) / 3
    assert plain.headers["Cache-Control"] == packed.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/track", f"/track/box/{FLEET[1]}"])
def test_anonymous_is_sent_to_the_login_and_a_read_key_is_refused(track_app, path):
    anonymous = track_app.server.test_client().get(path)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/login?next=")
    reader = track_app.server.test_client().get(path, headers=read_auth())
    assert reader.status_code == 302 and reader.headers["Location"].startswith("/login?next=")
    assert FLEET[1] not in reader.text.replace("%2F", "/").split("next=")[0]


def test_a_member_lands_on_its_boxes_after_logging_in_and_a_manager_on_the_vessels(track_app):
    landing = log_in(track_app.server.test_client(), user=orgs.user("fleet"), password=orgs.PASSWORD)
    assert landing.status_code == 302 and landing.headers["Location"] == "/track"
    assert log_in(track_app.server.test_client()).headers["Location"] == "/vessels"
    task_force = log_in(track_app.server.test_client(), user=orgs.user("tf"), password=orgs.PASSWORD)
    assert task_force.headers["Location"] == "/vessels"


def test_a_members_manager_pages_keep_working(track_app):
    assert member(track_app, "fleet").get("/vessels").status_code == 200


def test_a_manager_sees_the_boxes_needing_action_port_wide(manager_client, track_app):
    page = manager_client.get("/track?lang=en").text
    shown = dict((number, action) for action, number in rows(page))
    assert "Boxes needing action, port-wide" in page
    assert {FLEET[1], FLEET[2], *(drill_scenario.box(n) for n in drill_scenario.ON_TIME)} <= {
        n for n, action in shown.items() if action == "ready"}
    assert set(shown.values()) <= {"ready", "inspection", "held"}


def test_the_demo_makes_its_organisations_and_trucker_once_and_the_trucker_lands_on_track(app, tmp_path, capsys):
    from dashboard.auth import demo_access
    from dashboard.demo_orgs import TRUCKER, ensure_demo_orgs
    from run import print_urls, with_demo_access
    from simulator.parties import DEMO_ORGS, DEMO_TRUCKER_ORG

    directory, access = service_of(app).directory, demo_access(tmp_path)
    assert set(ensure_demo_orgs(directory, access["trucker_password"])) == {*DEMO_ORGS, TRUCKER}
    assert ensure_demo_orgs(directory, access["trucker_password"]) == []  # made once
    assert directory.account(TRUCKER).org == DEMO_TRUCKER_ORG
    assert demo_access(tmp_path)["trucker_password"] == access["trucker_password"]
    landing = log_in(app.server.test_client(), user=TRUCKER, password=access["trucker_password"])
    assert landing.status_code == 302 and landing.headers["Location"] == "/track"
    print_urls(with_demo_access(Config(data_dir=tmp_path, demo=True, http_port=8050)), "demo")
    assert f"a trucker's phone: http://127.0.0.1:8050/track  (user trucker, password {access['trucker_password']})" \
        in capsys.readouterr().out
