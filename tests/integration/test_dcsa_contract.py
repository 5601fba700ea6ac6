"""DCSA's own Track & Trace 2.2 document against `GET /v2/events` and `GET /v2/events/{eventID}`:
schemathesis generates requests from it (valid and broken), sends them to a real service over
HTTP whose log holds real data, and checks every answer's status, headers and body against it;
then the same checks on examples built from the events the log really holds."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.dcsa_contract import CHECKS, EVENTS_OPERATIONS, dcsa_schema
from tests.dcsa_contract import dcsa_service  # noqa: F401  (the module's service)
from tests.helpers import read_auth

SCHEMA = dcsa_schema(*EVENTS_OPERATIONS)


@SCHEMA.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_events_routes_answer_as_the_dcsa_document_says(case, dcsa_service):
    service, _ = dcsa_service
    case.call_and_validate(base_url=service.base, headers=read_auth(), checks=CHECKS)


def real_cases(seeded) -> list:
    """Requests naming what the log holds: each kind of event by its id, and filters that match."""
    events, by_id = SCHEMA.find_operation_by_path("GET", "/v2/events"), \
        SCHEMA.find_operation_by_path("GET", "/v2/events/{eventID}")
    equipment, transport = seeded.first(eventType="EQUIPMENT"), seeded.first(eventType="TRANSPORT")
    queries = [{}, {"eventType": "SHIPMENT", "limit": 3}, {"equipmentEventTypeCode": "DISC,GTOT"},
               {"transportEventTypeCode": "ARRI"}, {"shipmentEventTypeCode": "RECE,DRFT"},
               {"equipmentReference": equipment["equipmentReference"]},
               {"vesselIMONumber": "9321483", "sort": "eventCreatedDateTime:DESC"},
               {"transportCallID": transport["transportCall"]["transportCallID"]},
               {"UNLocationCode": "CNXMN", "limit": 5}, {"eventCreatedDateTime": equipment["eventCreatedDateTime"]}]
    cases = [events.Case(query=query) for query in queries]
    kinds = {event["eventType"]: event["eventID"] for event in seeded.events}
    return cases + [by_id.Case(path_parameters={"eventID": event_id}) for event_id in kinds.values()]


def test_answers_about_real_events_are_as_the_dcsa_document_says(dcsa_service):
    service, seeded = dcsa_service
    for case in real_cases(seeded):
        response = case.call_and_validate(base_url=service.base, headers=read_auth(), checks=CHECKS)
        assert response.status_code == 200, (case.path, case.query, response.text)
        assert response.json(), (case.path, case.query)
