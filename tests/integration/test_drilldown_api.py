"""The drill-down's data over HTTP: a delayed vessel's bottleneck and boxes (figures worked out in
tests/drill_scenario.py), search, feeds, and the CSV export against the API."""

from __future__ import annotations

import csv
import io

import pytest

from dashboard.app import service_of
from tests import drill_scenario as scenario
from tests.helpers import auth, read_auth, wait_for


@pytest.fixture
def drilled(app, client, manager_client):
    scenario.publish(client.post)
    svc = service_of(app)
    total = sum(len(batch) for batch in scenario.events().values())
    wait_for(lambda: svc.store.state.applied >= total, what="the scenario applied")
    return manager_client


def test_delayed_vessel_is_listed_with_its_reasons(drilled, client):
    rows = client.get("/api/v1/vessels?delayed=1", headers=read_auth()).json["vessels"]
    emma = [row for row in rows if row["imo"] == scenario.EMMA]
    assert len(emma) == 1 and emma[0]["delay_reasons"] == ["berthed_late", "boxes_late"]
    assert emma[0]["progress"] == {"discharged": 40, "to_discharge": 40, "loaded": 0, "to_load": 0}


def test_bottleneck_attributes_delay_hours_to_stage_and_party(drilled, client):
    view = client.get(f"/api/v1/vessels/{scenario.EMMA}", headers=read_auth()).json
    # the wall clock moved on since T0 (rounded to the minute): each late box gains that much
    stages = [(s["stage"], s["party"], s["delay_hours"]) for s in view["bottleneck"]["stages"]]
    assert stages == [("awaiting_release", "customs", pytest.approx(132.0, abs=12 * 0.1)),
                      ("in_inspection", "inspection", pytest.approx(40.0, abs=4 * 0.1))]
    assert view["bottleneck"]["total_delay_hours"] == pytest.approx(172.0, abs=16 * 0.1)


def test_box_table_puts_late_boxes_first_with_sla_and_party(drilled, client):
    boxes = client.get(f"/api/v1/vessels/{scenario.EMMA}", headers=read_auth()).json["boxes"]
    assert len(boxes) == 40
    first = boxes[:12]
    assert {b["number"] for b in first} == {scenario.box(n) for n in scenario.LATE_RELEASE}
    assert all(b["sla"] == "late" and b["waiting_on"] == "customs" and b["hours_in_stage"] == pytest.approx(35.0, abs=0.02)
               for b in first)
    by_number = {b["number"]: b for b in boxes}
    assert by_number[scenario.box(37)]["sla"] == "ok" and by_number[scenario.box(37)]["stage"] == "awaiting_pickup"
    assert by_number[scenario.box(1)]["sla"] is None and by_number[scenario.box(1)]["stage"] == "gated_out"


def test_csv_export_matches_the_api_and_opens_in_excel(drilled, client):
    api = client.get(f"/api/v1/vessels/{scenario.EMMA}", headers=read_auth()).json["boxes"]
    answer = drilled.get(f"/vessels/{scenario.EMMA}/boxes.csv?lang=en")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"] == f'attachment; filename="{scenario.EMMA}-{scenario.EMMA_VOYAGE}-boxes.csv"'
    raw = answer.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark: Excel would garble Chinese text"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["Box"] for r in rows] == [b["number"] for b in api]
    assert [r["Since"] for r in rows] == [b["since"] for b in api]
    assert [float(r["Delay (h)"] or 0) for r in rows] == [round(b["delay_hours"], 1) for b in api]


def test_csv_export_in_chinese_keeps_chinese_text(drilled):
    text = drilled.get(f"/vessels/{scenario.EMMA}/boxes.csv?lang=zh").get_data().decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.startswith("箱号,进出口,环节") and "待放行" in first and "海关" in first


@pytest.mark.parametrize("query, kind, href", [
    (scenario.box(5), "container", f"/containers/{scenario.box(5)}"),
    (scenario.box(5).lower()[:4] + " " + scenario.box(5)[4:], "container", f"/containers/{scenario.box(5)}"),
    ("emma", "vessel", f"/vessels/{scenario.EMMA}"),
    (f"IMO {scenario.EMMA}", "vessel", f"/vessels/{scenario.EMMA}"),
    ("DEC-0033", "declaration", f"/containers/{scenario.box(33)}"),
])
def test_search_finds_boxes_vessels_and_declarations(drilled, client, query, kind, href):
    result = client.get("/api/v1/search", query_string={"q": query}, headers=read_auth()).json
    assert [(hit["kind"], hit["href"]) for hit in result["hits"]] == [(kind, href)]


def test_search_offers_the_right_number_for_a_wrong_check_digit(drilled, client):
    right = scenario.box(5)
    wrong = right[:10] + str((int(right[10]) + 1) % 10)
    result = client.get("/api/v1/search", query_string={"q": wrong}, headers=read_auth()).json
    assert result["hits"] == [] and result["suggestion"] == {"number": right, "known": True, "href": f"/containers/{right}"}


def test_container_view_says_what_is_next_and_who_owns_it(drilled, client):
    view = client.get(f"/api/v1/containers/{scenario.box(33)}", headers=read_auth()).json
    assert view["stage"] == "in_inspection" and view["next"] == {"type": "inspection.completed", "owner": "inspection"}
    assert view["vessel_name"] == scenario.EMMA_NAME and view["sla"] == "late"


def test_feeds_list_every_partner_and_the_latest_rejects_with_reasons(drilled, client):
    bad = {"id": "bad-1", "type": "gate.in", "time": "yesterday", "source": "trucking.x", "container": "ABCU1234567",
           "direction": "import"}
    assert client.post("/api/v1/events", json=[bad], headers=auth("trucking.x")).status_code == 202
    report = client.get("/api/v1/feeds", headers=read_auth()).json
    partners = {p["source"]: p for p in report["partners"]}
    assert set(partners) == {"terminal.haitian", "customs.xiamen", "trucking.x"}
    assert partners["trucking.x"]["rejects"] == 1 and partners["customs.xiamen"]["events"] == 40 + 24 + 4  # declarations, releases, inspections
    latest = report["latest_rejects"][0]
    assert latest["source"] == "trucking.x" and '"bad-1"' in latest["raw"]
    assert {reason["field"] for reason in latest["reasons"]} >= {"time", "container"}
