"""Hostile input at the HTTP ingest (`POST /api/v1/events`): hypothesis fuzzes whole requests of
v1 events (valid, broken, duplicate, random JSON, not JSON) with hostile headers and bodies. What
must hold is in `hostile_strategies`' docstring."""

from __future__ import annotations

from collections import Counter

from hypothesis import given

from tests.reliability.hostile_requests import (  # noqa: F401  (fuzz_config: the `config` fixture)
    Draft, assert_still_serves, check_answer, fuzz_config, drafts, post, v1_items, wait_applied)
from tests.reliability.hostile_strategies import V1_URL, fuzz, simple_event


# -- the HTTP ingest -----------------------------------------------------------------------------
def test_v1_ingest_fuzz_answers_every_request_2xx_or_4xx_and_applies_every_valid_event(app, client, tally):
    pool: list[dict] = []  # events accepted so far: sent again, they are duplicates
    expected = Counter()

    @fuzz(max_examples=300)
    @given(draft=drafts(v1_items))
    def one_request(draft: Draft):
        req = draft.request(pool, lambda: simple_event("fresh"))
        response = post(client, V1_URL, req)
        tally.request(response.status_code, len(req.items))
        body = check_answer(response, req)
        if body is None:
            return
        valid = [i for i, item in enumerate(req.items) if item.kind == "valid"]
        dups = [i for i, item in enumerate(req.items) if item.kind == "dup"]
        rejected = [i for i, item in enumerate(req.items) if item.kind == "rejected"]
        assert body["accepted"] == len(valid), f"{body!r}: {len(valid)} valid events sent in {req.describe()}"
        assert body["duplicates"] == len(dups), f"{body!r}: {len(dups)} duplicates sent in {req.describe()}"
        assert [r["index"] for r in body["rejected"]] == rejected, f"{body!r} for {req.describe()}"
        for entry in body["rejected"]:
            assert entry["id"] == req.items[entry["index"]].event_id, entry
        expected["valid"] += len(valid)
        pool.extend(req.items[i].event for i in valid)

    one_request()
    health = wait_applied(app, client, expected["valid"], "valid events of the mix")
    tally.valid_applied = expected["valid"]
    assert health["events_accepted_at_ingest"] == expected["valid"]
    assert_still_serves(client)
    tally.finished = True
