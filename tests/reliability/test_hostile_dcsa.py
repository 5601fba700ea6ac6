"""Hostile input at the DCSA route (`POST /api/v1/dcsa/events`): hypothesis fuzzes whole requests
of DCSA events (valid, broken, random DCSA-shaped, in and out of the `{metadata, payload}`
envelope, random JSON, not JSON). What must hold is in `hostile_strategies`' docstring."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from feeds import dcsa as dcsa_model
from feeds import events as model
from tests.reliability.hostile_requests import (  # noqa: F401  (fuzz_config: the `config` fixture)
    Draft, Item, assert_still_serves, check_answer, fuzz_config, drafts, poison_items, post, wait_applied)
from tests.reliability.hostile_strategies import (
    BAD_TIMES_ANYWHERE, CHARS, DCSA_URL, JSON_VALUES, KEYS, NAME_TEXT, NON_NULL_NON_STRINGS, NON_STRINGS, TEXT,
    bad_times, containers, dumps, fuzz, huge_text, imos, other_text, simple_dcsa_event, unique_ids, valid_times)


# -- the DCSA route ------------------------------------------------------------------------------
@st.composite
def dcsa_location(draw):
    return draw(st.one_of(st.fixed_dictionaries({"UNLocationCode": st.sampled_from(["CNXMN", "USNYC", "??"])},
                                                optional={"locationName": TEXT, "latitude": JSON_VALUES}),
                          st.dictionaries(KEYS, JSON_VALUES, min_size=1, max_size=4)))


@st.composite
def dcsa_vessel_call(draw, code: str, vessel: bool = True, mode: str | None = "VESSEL") -> dict:
    call = {}
    if mode is not None and (mode != "VESSEL" or draw(st.booleans())):
        call["modeOfTransport"] = mode
    if vessel:
        number = draw(imos()).strip()
        as_int = number.isdigit() and number[0] != "0" and draw(st.booleans())
        call["vessel"] = {"vesselIMONumber": int(number) if as_int else number}
        if draw(st.booleans()):
            call["vessel"]["name"] = draw(st.text(CHARS, min_size=1, max_size=60))
    for name in ("carrierImportVoyageNumber", "carrierExportVoyageNumber", "carrierVoyageNumber"):
        if draw(st.integers(0, 2)) == 0:
            call[name] = draw(st.text(CHARS, min_size=1, max_size=32))
    if draw(st.booleans()):
        call["location"] = draw(dcsa_location())
    return call


DCSA_TEMPLATES = ["transport-vessel", "transport-other", "equipment", "equipment-document", "shipment"]


@st.composite
def valid_dcsa(draw) -> tuple[dict, str]:
    """A DCSA event that maps to a valid v1 event, flat (the envelope is put on later)."""
    template = draw(st.sampled_from(DCSA_TEMPLATES))
    flat = {"eventID": draw(unique_ids()), "eventClassifierCode": draw(st.sampled_from(["ACT", "EST", "PLN"])),
            "eventDateTime": draw(valid_times("ingest"))}
    if template.startswith("transport"):
        flat["eventType"] = "TRANSPORT"
        code = flat["transportEventTypeCode"] = draw(st.sampled_from(["ARRI", "DEPA"]))
        mode = "VESSEL" if template == "transport-vessel" else draw(st.sampled_from(dcsa_model.OTHER_MODES))
        flat["transportCall"] = draw(dcsa_vessel_call(code, vessel=mode == "VESSEL", mode=mode))
    elif template == "equipment":
        flat["eventType"] = "EQUIPMENT"
        code = flat["equipmentEventTypeCode"] = draw(st.sampled_from(sorted(dcsa_model.EQUIPMENT)))
        flat["equipmentReference"] = draw(containers())
        needs_vessel = dcsa_model.EQUIPMENT[code][0] in model.NEEDS_VESSEL
        if needs_vessel or draw(st.booleans()):
            flat["transportCall"] = draw(dcsa_vessel_call(code, vessel=True))
    elif template == "equipment-document":
        flat["eventType"] = "EQUIPMENT"
        flat["equipmentEventTypeCode"] = draw(st.sampled_from(sorted(dcsa_model.EQUIPMENT_AS_DOCUMENT)))
        if draw(st.booleans()):
            flat["equipmentReference"] = draw(st.one_of(containers(), st.text(CHARS, max_size=100)))
    else:
        flat["eventType"] = "SHIPMENT"
        flat["shipmentEventTypeCode"] = draw(st.one_of(st.sampled_from(["RECE", "ISSU", "APPR", "CONF"]),
                                                       st.text(CHARS, min_size=1, max_size=200)))
        if draw(st.booleans()):
            flat["documentTypeCode"] = draw(st.one_of(st.sampled_from(["BKG", "TRD"]), st.text(CHARS, max_size=200)))
        if draw(st.booleans()):
            flat[draw(st.sampled_from(["documentReference", "documentID"]))] = draw(st.text(CHARS, min_size=1, max_size=200))
    if draw(st.booleans()) and not template.startswith("transport"):
        flat["eventLocation"] = draw(dcsa_location())
    if draw(st.integers(0, 3)) == 0:  # the type said only by its code field
        del flat["eventType"]
    if draw(st.integers(0, 3)) == 0:
        flat["eventCreatedDateTime"] = draw(st.one_of(valid_times("log"), JSON_VALUES))
    return flat, template


@st.composite
def broken_dcsa(draw) -> tuple[dict, str]:
    """A valid DCSA event with one thing wrong that no mapping can repair."""
    flat, template = draw(valid_dcsa())
    flat.setdefault("eventType", {"transport-vessel": "TRANSPORT", "transport-other": "TRANSPORT",
                                  "equipment": "EQUIPMENT", "equipment-document": "EQUIPMENT",
                                  "shipment": "SHIPMENT"}[template])
    common = ["classifier", "eventType", "eventID", "eventDateTime"]
    own = {"transport-vessel": ["transportCode", "transportCall", "mode", "imo", "voyage", "eta-name"],
           "transport-other": ["transportCode", "transportCall", "mode"],
           "equipment": ["equipmentCode", "reference"] + (
               ["no-vessel"] if template == "equipment"
               and dcsa_model.EQUIPMENT[flat["equipmentEventTypeCode"]][0] in model.NEEDS_VESSEL else []),
           "equipment-document": ["equipmentCode"],
           "shipment": ["shipmentCode", "documentType"]}[template]
    what = draw(st.sampled_from(common + own))
    call = flat.get("transportCall")
    if what == "classifier":
        if draw(st.booleans()):
            del flat["eventClassifierCode"]
        else:
            flat["eventClassifierCode"] = draw(st.one_of(NON_STRINGS, other_text(dcsa_model.CLASSIFIERS),
                                                         st.sampled_from(["act", "ACTUAL", "actual"])))
    elif what == "eventType":
        # not "": an empty type is no type, and the code field then says it
        flat["eventType"] = draw(st.one_of(other_text(dcsa_model.EVENT_TYPES).filter(bool),
                                           st.sampled_from(["transport", "EQUIP"])))
    elif what == "eventID":
        if draw(st.booleans()):
            del flat["eventID"]
        else:
            flat["eventID"] = draw(st.one_of(NON_STRINGS, st.just("")))
    elif what == "eventDateTime":
        if draw(st.booleans()):
            del flat["eventDateTime"]
        else:
            flat["eventDateTime"] = draw(bad_times("ingest"))
    elif what == "transportCode":
        flat["transportEventTypeCode"] = draw(st.one_of(NON_STRINGS, other_text({"ARRI", "DEPA"})))
    elif what == "transportCall":
        flat["transportCall"] = draw(st.one_of(st.none(), NON_NULL_NON_STRINGS.filter(lambda v: not isinstance(v, dict)),
                                               NAME_TEXT))
    elif what == "mode":
        call["modeOfTransport"] = draw(st.one_of(NON_STRINGS, other_text(("VESSEL",) + dcsa_model.OTHER_MODES)))
    elif what == "imo":
        vessel = call["vessel"]
        vessel["vesselIMONumber"] = draw(st.one_of(imos(valid=False), st.sampled_from(["", 0, None, "IMO", "123"]),
                                                   huge_text(33, 5000)))
    elif what == "voyage":
        for name in ("carrierImportVoyageNumber", "carrierExportVoyageNumber", "carrierVoyageNumber"):
            call.pop(name, None)
        call["carrierVoyageNumber"] = draw(huge_text(33, 5000))
    elif what == "eta-name":  # a vessel's name is text of at most 200 characters on an ETA
        flat["eventClassifierCode"] = draw(st.sampled_from(["EST", "PLN"]))
        call["vessel"]["name"] = draw(st.one_of(huge_text(model.MAX_TEXT + 1, 5000),
                                                NON_NULL_NON_STRINGS.filter(bool)))
    elif what == "equipmentCode":
        known = set(dcsa_model.EQUIPMENT) | dcsa_model.EQUIPMENT_AS_DOCUMENT
        flat["equipmentEventTypeCode"] = draw(st.one_of(NON_STRINGS, other_text(known)))
    elif what == "reference":
        flat["equipmentReference"] = draw(st.one_of(containers(valid=False), NON_STRINGS, st.just(""),
                                                     huge_text(33, 5000)))
    elif what == "no-vessel":
        flat.pop("transportCall", None)
    elif what == "shipmentCode":
        flat["shipmentEventTypeCode"] = draw(st.one_of(NON_STRINGS, st.just("")))
    elif what == "documentType":
        flat["documentTypeCode"] = draw(st.one_of(huge_text(model.MAX_TEXT + 1, 5000), NON_NULL_NON_STRINGS))
    return flat, f"{template}/{what}"


@st.composite
def random_dcsa(draw) -> dict:
    """DCSA-shaped objects with random codes and types: the right names, anything as values."""
    codes = st.one_of(st.sampled_from(sorted(set(dcsa_model.EQUIPMENT) | dcsa_model.EQUIPMENT_AS_DOCUMENT
                                             | {"ARRI", "DEPA", "RECE", "", "arri"})), JSON_VALUES)
    call = st.one_of(st.fixed_dictionaries({}, optional={
        "modeOfTransport": st.one_of(st.sampled_from(["VESSEL", "RAIL", "TRUCK", "BARGE", "SHIP"]), JSON_VALUES),
        "vessel": st.one_of(st.fixed_dictionaries({}, optional={"vesselIMONumber": st.one_of(imos(), imos(False), JSON_VALUES),
                                                                "name": JSON_VALUES}), JSON_VALUES),
        "carrierImportVoyageNumber": JSON_VALUES, "carrierExportVoyageNumber": JSON_VALUES,
        "carrierVoyageNumber": JSON_VALUES, "location": JSON_VALUES}), JSON_VALUES)
    flat = draw(st.fixed_dictionaries({}, optional={
        "eventID": st.one_of(NAME_TEXT, JSON_VALUES),
        "eventType": st.one_of(st.sampled_from(dcsa_model.EVENT_TYPES + ("", "transport")), JSON_VALUES),
        "eventClassifierCode": st.one_of(st.sampled_from(["ACT", "EST", "PLN", "act"]), JSON_VALUES),
        "eventDateTime": st.one_of(valid_times("ingest"), BAD_TIMES_ANYWHERE),
        "transportEventTypeCode": codes, "equipmentEventTypeCode": codes, "shipmentEventTypeCode": codes,
        "transportCall": call, "equipmentReference": st.one_of(containers(), containers(False), JSON_VALUES),
        "documentReference": JSON_VALUES, "documentID": JSON_VALUES, "documentTypeCode": JSON_VALUES,
        "eventLocation": JSON_VALUES}))
    if draw(st.booleans()):
        flat.update(draw(st.dictionaries(KEYS, JSON_VALUES, max_size=3)))
    return flat


@st.composite
def envelope(draw, flat: dict):
    """The `{metadata, payload}` envelope: the fields split between the two."""
    metadata, payload = {}, {}
    for key, value in flat.items():
        (metadata if draw(st.booleans()) else payload)[key] = value
    return {"metadata": metadata, "payload": payload}


@st.composite
def dcsa_items(draw, source: str) -> Item:
    choice = draw(st.integers(0, 99))
    if choice < 40:
        flat, template = draw(valid_dcsa())
        raw = draw(envelope(flat)) if draw(st.integers(0, 2)) == 0 else flat
        return Item(dumps(raw), "valid", template, raw, event_id=flat["eventID"])
    if choice < 70:
        flat, what = draw(broken_dcsa())
        raw = draw(envelope(flat)) if draw(st.integers(0, 2)) == 0 else flat
        return Item(dumps(raw), "rejected", what, raw, event_id=dcsa_model.event_id(raw))
    if choice < 75:
        return Item(b"", "dup", "earlier request", pick=draw(st.integers(0, 2**31)))
    if choice < 92:
        flat = draw(random_dcsa())
        shape = draw(st.integers(0, 5))
        raw = draw(envelope(flat)) if shape == 0 else {"metadata": draw(JSON_VALUES), "payload": flat} if shape == 1 else flat
        return Item(dumps(raw), "unknown", "random DCSA", raw, event_id=dcsa_model.event_id(raw))
    if choice < 98:
        value = draw(JSON_VALUES)
        return Item(dumps(value), "rejected" if not isinstance(value, dict) else "unknown", "random JSON",
                    is_object=isinstance(value, dict))
    return draw(poison_items(source))


def test_dcsa_fuzz_answers_every_request_2xx_or_4xx_and_applies_every_valid_event(app, client, tally):
    pool: list[dict] = []
    expected = Counter()

    @fuzz(max_examples=250)
    @given(draft=drafts(dcsa_items))
    def one_request(draft: Draft):
        req = draft.request(pool, simple_dcsa_event)
        response = post(client, DCSA_URL, req)
        tally.request(response.status_code, len(req.items))
        body = check_answer(response, req)
        if body is None:
            return
        rejected = {r["index"]: r for r in body["rejected"]}
        valid = [i for i, item in enumerate(req.items) if item.kind == "valid"]
        for i, item in enumerate(req.items):
            if item.kind in ("valid", "dup"):
                assert i not in rejected, f"valid DCSA event [{i}] ({item.what}) rejected: {rejected[i]} in {req.describe()}"
            if item.kind == "rejected":
                assert i in rejected, f"broken DCSA event [{i}] ({item.what}) not rejected: {item.raw[:300]!r}"
            if i in rejected:
                assert rejected[i]["id"] == item.event_id, rejected[i]
        dups = sum(1 for item in req.items if item.kind == "dup")
        assert body["accepted"] >= len(valid), f"{body!r}: {len(valid)} valid DCSA events in {req.describe()}"
        assert body["duplicates"] >= dups, f"{body!r}: {dups} duplicates in {req.describe()}"
        expected["accepted"] += body["accepted"]
        expected["valid"] += len(valid)
        pool.extend(req.items[i].event for i in valid)

    one_request()
    wait_applied(app, client, expected["accepted"], "accepted DCSA events")
    tally.valid_applied = expected["accepted"]
    assert expected["valid"] > 0
    assert_still_serves(client)
    tally.finished = True
