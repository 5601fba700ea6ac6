"""The pieces of the subscriptions without a server: the callback allowlist, the secret, the
signature, the retry rules and the window of recent log entries."""

from __future__ import annotations

import base64

import pytest

from feeds.delivery_batches import BATCH_EVENTS, LogWindow, collect
from feeds.delivery_state import RetryRules, after_failure, after_success, backoff, sign
from feeds.subscriptions import CallbackPolicy, check_filters, check_secret
from tests.callback_receiver import signature_of

SECRET = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize("url, allowed", [
    ("http://127.0.0.1:8080/hook", True),
    ("http://[::1]/hook", False),
    ("http://10.1.2.3/in", True),
    ("http://10.2.0.1/in", False),
    ("http://192.0.2.10/in", False),  # public-looking, but not listed
    ("https://a.hooks.example/x", False),  # listed by wildcard, but it does not resolve here
    ("https://other.example/x", False),
    ("gopher://127.0.0.1/", False),
    ("http://127.0.0.1:99999/", False),
])
def test_the_callback_policy_allows_only_what_the_operator_listed(url, allowed):
    policy = CallbackPolicy(["127.0.0.1", "10.1.0.0/16", "*.hooks.example", ""])
    assert (policy.refusal(url) is None) is allowed, policy.refusal(url)


def test_a_listed_name_that_resolves_to_a_local_address_is_refused():
    refusal = CallbackPolicy(["localhost"]).refusal("http://localhost:9/hook")
    assert refusal and "a private or local address" in refusal
    assert CallbackPolicy(["localhost", "127.0.0.1", "::1"]).refusal("http://localhost:9/hook") is None


@pytest.mark.parametrize("secret, problem", [
    (SECRET, None), ("", "secret must decode to 16"), ("c2hvcnQ=", "secret must decode to 16"),
    ("not base64!", "secret is not base64"), (42, "secret must be a base64 string"),
])
def test_a_secret_is_base64_of_16_bytes_or_more(secret, problem):
    found = check_secret(secret)
    assert (found is None) if problem is None else problem in found


def test_filters_are_checked_as_the_subscription_schema_says():
    kept, errors = check_filters({"callbackUrl": "x", "secret": "y", "eventType": ["EQUIPMENT", "TRANSPORT"],
                                  "vesselIMONumber": "9321483"})
    assert kept == {"eventType": ["EQUIPMENT", "TRANSPORT"], "vesselIMONumber": "9321483"} and errors == []
    assert check_filters({"eventType": "EQUIPMENT"})[1][0]["message"] == "eventType must be an array of text"
    assert "not one of" in check_filters({"equipmentEventTypeCode": ["FLY"]})[1][0]["message"]
    assert "not of a subscription" in check_filters({"eventCreatedDateTime:gte": "2026-01-01T00:00:00Z"})[1][0]["message"]


def test_the_signature_is_the_hmac_sha256_of_the_exact_body_with_the_decoded_secret():
    body = b'[{"eventID": "x"}]\n'
    assert sign(body, SECRET) == signature_of(body, SECRET)
    assert sign(body, SECRET) != sign(body.strip(), SECRET)  # every byte counts, whitespace too


def test_retries_back_off_then_park():
    rules = RetryRules(max_attempts=4, retry_seconds=1.0, park_seconds=600)
    waits = [backoff(n, rules) for n in (1, 2, 3, 10)]
    assert 0.5 <= waits[0] <= 1 and 1 <= waits[1] <= 2 and 2 <= waits[2] <= 4 and waits[3] <= 300
    state: dict = {}
    for attempt in range(1, 4):
        state.update(after_failure(state, 1000.0 + attempt, rules))
        assert state["attempts"] == attempt and "parked_at" not in state and state["next_at"] > 1000 + attempt
    assert after_failure(state, 1005.0, rules)["parked_at"] == 1005.0
    assert "parked_at" in after_failure({"attempts": 1, "failing_since": 0.0}, 601.0, rules)  # too long failing
    assert after_success("5-0") == {"cursor": "5-0", "attempts": 0, "failing_since": "", "next_at": 0}


def entry(ms: int, code: str = "GTIN") -> tuple:
    event = {"eventID": f"e{ms}", "eventType": "EQUIPMENT", "equipmentEventTypeCode": code}
    return f"{ms}-0", event, b'{"eventID":"e%d"}' % ms, ("terminal.x", f"id-{ms}")


def test_the_window_serves_whoever_stands_inside_it_and_sends_the_others_to_the_log():
    window = LogWindow("10-0", size=3)
    window.extend([entry(ms) for ms in range(11, 15)])
    assert [e[0] for e in window.after("12-0", 10)] == ["13-0", "14-0"]
    assert window.after("14-0", 10) == [] and window.last == "14-0"
    assert window.after("9-0", 10) is None  # before the window: read the log
    window.extend([entry(ms) for ms in range(15, 18)])  # 7 kept > 2 × 3: cut to the newest 3
    assert window.base == "14-0" and window.after("13-0", 10) is None
    assert [e[0] for e in window.after("14-0", 10)] == ["15-0", "16-0", "17-0"]


def test_a_batch_keeps_the_matching_events_and_ends_where_it_stopped_looking():
    from feeds.dcsa_filters import parse_filters
    filters = parse_filters({"equipmentEventTypeCode": ["GTOT"]})[0]
    entries = [entry(1, "GTIN"), entry(2, "GTOT"), ("3-0", None, None, None), entry(4, "GTIN")]
    batch = collect(entries, filters, "0-0")
    assert [e["eventID"] for e in batch.events] == ["e2"] and batch.end == "4-0"
    assert batch.body() == b'[{"eventID":"e2"}]'
    many = collect([entry(ms, "GTOT") for ms in range(1, BATCH_EVENTS + 10)], filters, "0-0")
    assert len(many.events) == BATCH_EVENTS and many.end == f"{BATCH_EVENTS}-0"
    assert collect([], filters, "7-0").end == "7-0"
    batch.drop({("terminal.x", "id-2")})  # taken back by its sender: not sent, passed over
    assert batch.events == [] and batch.body() == b"[]" and batch.end == "4-0"
