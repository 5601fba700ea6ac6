"""Event model v1's `parties` field, {role: organisation id} (docs/events.md, "Parties"): every bad
entry is its own reason, and good events beside a bad one are accepted as they are."""

from __future__ import annotations

import pytest

from feeds.events import MAX_PARTIES, PARTY_ROLES, validate_event
from tests.unit.test_events import box, ev, fields_of


def test_accepts_parties_naming_every_role_and_keeps_them_unchanged():
    parties = {role: f"org-{index}.x" for index, role in enumerate(PARTY_ROLES)}
    event, problems = validate_event(box("gate.out", parties=parties))
    assert problems == [] and event["parties"] == parties


@pytest.mark.parametrize("parties", [{}, None], ids=["empty-object", "null"])
def test_accepts_empty_or_null_parties_as_naming_nobody(parties):
    event, problems = validate_event(box("gate.out", parties=parties))
    assert problems == [] and event is not None


@pytest.mark.parametrize("organisation", ["acme", "trucking.x", "a", "0-9_x.y", "a" * 64])
def test_accepts_organisation_ids_of_the_source_syntax(organisation):
    assert validate_event(box("gate.out", parties={"consignee": organisation}))[1] == []


@pytest.mark.parametrize("organisation", ["Acme", "-acme", ".acme", "a" * 65, "ac me", "", "acmé", 7, None,
                                          ["acme"], {"id": "acme"}])
def test_rejects_an_organisation_id_not_of_the_syntax_naming_its_role(organisation):
    event, problems = validate_event(box("gate.out", parties={"trucking": organisation}))
    assert event is None
    assert fields_of(problems) == ["parties.trucking"]
    assert problems[0]["problem"].startswith("must be an organisation id")


def test_rejects_an_unknown_role_listing_the_known_ones():
    event, problems = validate_event(box("gate.out", parties={"driver": "acme"}))
    assert event is None
    assert problems == [{"field": "parties.driver", "problem": "unknown role; known: " + ", ".join(PARTY_ROLES)}]


def test_every_bad_party_entry_is_its_own_reason_beside_the_other_fields_problems():
    parties = {"driver": "acme", "trucking": "Truck Co", "broker": 5, "consignee": "acme"}
    event, problems = validate_event(box("gate.out", direction="sideways", parties=parties))
    assert event is None
    assert fields_of(problems) == ["direction", "parties.driver", "parties.trucking", "parties.broker"]


@pytest.mark.parametrize("parties", ["acme", ["consignee", "acme"], 3, True], ids=["text", "list", "number", "bool"])
def test_rejects_parties_that_are_not_an_object_with_one_reason(parties):
    event, problems = validate_event(box("gate.out", parties=parties))
    assert event is None
    assert problems == [{"field": "parties", "problem": "must be an object {role: organisation id}"}]


def test_rejects_more_than_the_maximum_of_party_entries_with_one_reason():
    parties = {f"role{n}": "acme" for n in range(MAX_PARTIES + 1)}
    event, problems = validate_event(box("gate.out", parties=parties))
    assert event is None
    assert problems == [{"field": "parties", "problem": f"more than {MAX_PARTIES} entries"}]


def test_a_good_event_beside_one_with_bad_parties_is_accepted_as_it_is():
    good = box("gate.out", parties={"consignee": "acme"})
    bad = box("gate.out", id="evt-2", parties={"consignee": "ACME"})
    results = [validate_event(raw) for raw in (good, bad)]
    assert results[0][1] == [] and results[0][0]["parties"] == {"consignee": "acme"}
    assert fields_of(results[1][1]) == ["parties.consignee"]


def test_rejects_parties_on_a_retraction_but_allows_an_empty_object():
    retraction = ev("event.retracted", data={"retracted_id": "evt-0"})
    event, problems = validate_event({**retraction, "parties": {"consignee": "acme"}})
    assert event is None and fields_of(problems) == ["parties"]
    assert validate_event({**retraction, "parties": {}})[1] == []
