"""Watching from the phone page (/track, docs/notifications.md): a box's Watch / Stop watching and
the "all of my organisation's boxes" toggle are plain forms with a CSRF token that answer 303 back
to the page; a box the member may not see answers as an unknown one; the notices strip shows the
member's latest notices, escaped, and the one a release of a watched box raises."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from dashboard.app import service_of
from dashboard.notify.live import live_notices
from tests import drill_scenario
from tests.helpers import auth, csrf_token, wait_for
from tests.integration import org_scenario as orgs
from tests.integration.test_track import FLEET, UNKNOWN_BOX, member, track_app, without_token  # noqa: F401  (track_app: a fixture)

WATCHED_ROW = re.compile(r'<a href="/track/box/(\w+)\?lang=en"><span class="num">\w+</span><span class="watch-mark"')
NOTICE = re.compile(r'<li><a href="([^"]+)"><time datetime="[^"]+">[^<]+</time> <span>([^<]*)</span></a></li>')
EVIL = "https://evil.example"


def token_of(client, path: str = "/track?lang=en") -> str:
    return csrf_token(client.get(path).text)


def watches_of(client) -> list[dict]:
    return client.get("/api/v1/watches").json["watches"]


def watch(client, number: str, action: str = "watch", **headers):
    token = token_of(client, f"/track/box/{number}?lang=en")
    return client.post(f"/track/box/{number}/{action}?lang=en", data={"csrf_token": token}, headers=headers)


def test_watch_by_form_answers_303_to_the_box_and_the_page_says_it_is_watched(track_app):
    client = member(track_app, "fleet")
    answer = watch(client, FLEET[5])
    assert answer.status_code == 303 and answer.headers["Location"] == f"/track/box/{FLEET[5]}?lang=en"
    assert watches_of(client) == [{"kind": "box", "key": FLEET[5]}]
    page = client.get(f"/track/box/{FLEET[5]}?lang=en").text
    assert "Watching: you'll be told when it is released, inspected, ready for pickup." in html.unescape(page)
    assert f'action="/track/box/{FLEET[5]}/unwatch?lang=en"' in page and ">Stop watching</button>" in page
    assert WATCHED_ROW.findall(client.get("/track?lang=en").text) == [FLEET[5]]  # the star on its row only


def test_stop_watching_by_form_removes_the_watch_and_offers_watch_again(track_app):
    client = member(track_app, "fleet")
    watch(client, FLEET[5])
    answer = watch(client, FLEET[5], "unwatch")
    assert answer.status_code == 303 and answer.headers["Location"] == f"/track/box/{FLEET[5]}?lang=en"
    assert watches_of(client) == []
    page = client.get(f"/track/box/{FLEET[5]}?lang=en").text
    assert f'action="/track/box/{FLEET[5]}/watch?lang=en"' in page and ">Watch</button>" in page
    assert WATCHED_ROW.findall(client.get("/track?lang=en").text) == []


def test_a_watch_form_without_its_csrf_token_is_refused_with_400_and_changes_nothing(track_app):
    client = member(track_app, "fleet")
    answer = client.post(f"/track/box/{FLEET[5]}/watch?lang=en", data={})
    forged = client.post(f"/track/box/{FLEET[5]}/watch?lang=en", data={"csrf_token": "not-the-token"})
    assert answer.status_code == forged.status_code == 400 and "This form has expired" in answer.text
    assert client.post("/track/org/watch", data={}).status_code == 400
    assert watches_of(client) == []


def test_a_watch_form_posted_from_another_site_is_refused_with_403_and_changes_nothing(track_app):
    client = member(track_app, "fleet")
    assert watch(client, FLEET[5], Origin=EVIL).status_code == 403
    token = token_of(client)
    assert client.post("/track/org/watch", data={"csrf_token": token}, headers={"Origin": EVIL}).status_code == 403
    assert watches_of(client) == []


def test_watching_a_box_the_member_may_not_see_answers_the_same_404_as_an_unknown_box(track_app):
    client = member(track_app, "fleet")
    forbidden, unknown = watch(client, orgs.ACME_BOXES[0]), watch(client, UNKNOWN_BOX)
    assert forbidden.status_code == unknown.status_code == 404
    assert without_token(forbidden.text).replace(orgs.ACME_BOXES[0], "X") == \
        without_token(unknown.text).replace(UNKNOWN_BOX, "X")
    assert without_token(forbidden.text) == without_token(client.get(f"/track/box/{orgs.ACME_BOXES[0]}?lang=en").text)
    assert watch(client, "NOT-A-NUMBER").status_code == 404
    assert watches_of(client) == []


def test_the_org_toggle_watches_all_of_the_organisations_boxes_and_stops(track_app):
    client = member(track_app, "fleet")
    page = client.get("/track?lang=en").text
    assert 'action="/track/org/watch?lang=en"' in page and "Watch all of my organisation's boxes" in html.unescape(page)
    answer = client.post("/track/org/watch?lang=en", data={"csrf_token": token_of(client)})
    assert answer.status_code == 303 and answer.headers["Location"] == "/track?lang=en"
    assert watches_of(client) == [{"kind": "org", "key": "*"}]
    page = client.get("/track?lang=en").text
    assert set(WATCHED_ROW.findall(page)) == {FLEET[n] for n in range(1, 6)}  # every row of its boxes
    assert 'action="/track/org/unwatch?lang=en"' in page
    assert "Watching, with all of your organisation" in client.get(f"/track/box/{FLEET[1]}?lang=en").text
    assert client.post("/track/org/unwatch?lang=en", data={"csrf_token": token_of(client)}).status_code == 303
    assert watches_of(client) == [] and WATCHED_ROW.findall(client.get("/track?lang=en").text) == []


def test_a_manager_sees_no_org_toggle_it_would_tell_nothing(manager_client, track_app):
    assert "/track/org/watch" not in manager_client.get("/track?lang=en").text


def notice(n: int, title: str, link: str = "/track/box/X") -> dict:
    return {"id": f"n-{n}", "kind": "released", "at": f"2026-12-02T0{n}:00:00Z", "link": link,
            "title": {"zh": title, "en": title}, "text": {"zh": "", "en": ""}, "subject": {"kind": "box", "key": "X"}}


def test_the_notices_strip_shows_the_latest_five_newest_first_escaped(track_app):
    live = live_notices(service_of(track_app))
    for n in range(1, 8):
        live.add(orgs.user("fleet"), notice(n, f"<b>box {n}</b> & co"))
    live.add(orgs.user("fleet"), notice(8, "elsewhere", link="//evil.example/x"))
    for path in ("/track?lang=en", f"/track/box/{FLEET[1]}?lang=en"):
        page = member(track_app, "fleet").get(path).text
        shown = NOTICE.findall(page)
        escaped = [f"&lt;b&gt;box {n}&lt;/b&gt; &amp; co" for n in (7, 6, 5, 4)]
        assert [title for _, title in shown] == ["elsewhere", *escaped]
        assert shown[0][0] == "/track?lang=en" and shown[1][0] == "/track/box/X?lang=en"  # this site's pages only
        assert "<b>box" not in page and 'aria-live="polite"' in page
        newest = live.after(orgs.user("fleet"), None, 1)[0]["seq"]
        assert f'data-after="{newest}"' in page


def test_another_members_notices_never_show_and_none_says_so(track_app):
    live_notices(service_of(track_app)).add(orgs.user("fleet"), notice(1, "for fleet only"))
    page = member(track_app, "bigco").get("/track?lang=en").text
    assert "for fleet only" not in page and "No notices yet" in page


def test_the_release_of_a_box_watched_by_form_appears_in_the_strip(track_app, client):
    li = member(track_app, "fleet")
    assert watch(li, FLEET[5]).status_code == 303
    release = {"id": "flt-rel-5", "type": "customs.released", "container": FLEET[5], "direction": "import",
               "time": (drill_scenario.t0() + timedelta(hours=12)).isoformat(), "source": "terminal.haitian"}
    assert client.post("/api/v1/events", json=[release], headers=auth("terminal.haitian")).status_code == 202
    wait_for(lambda: len(li.get("/api/v1/notices").json["notices"]) == 2, timeout=30, what="released, ready for pickup")
    titles = [title for _, title in NOTICE.findall(li.get(f"/track/box/{FLEET[5]}?lang=en").text)]
    assert f"Box {FLEET[5]} released" in titles and f"Box {FLEET[5]} ready for pickup" in titles
