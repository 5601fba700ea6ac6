"""`/v2/event-subscriptions` (DCSA T&T 2.2) on a real app and a real Redis, with deliveries to a
real HTTP receiver that checks every signature: CRUD, the callback allowlist, order, retries,
parking and replay, the secret's reset."""

from __future__ import annotations

import base64

import pytest

from dashboard.app import create_app, service_of, stop_app
from feeds.dcsa_out import event_uuid
from tests.callback_receiver import CallbackReceiver
from tests.helpers import container_number, gate_event, read_auth, wait_for

ROOT = "/v2/event-subscriptions"
SECRET = base64.b64encode(b"a shared secret of 32 bytes!!!!!").decode()
NEW_SECRET = base64.b64encode(b"another secret, also 32 bytes..!").decode()


@pytest.fixture
def receiver():
    receiver = CallbackReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def app(config):
    app = create_app(config.replace(callback_hosts=("127.0.0.1",), delivery_attempts=3, delivery_retry_ms=50))
    yield app
    stop_app(app)


def subscribe(client, receiver, path="/hook", secret=SECRET, **filters) -> str:
    answer = client.post(ROOT, json={"callbackUrl": receiver.url(path), "secret": secret, **filters},
                         headers=read_auth())
    assert answer.status_code == 201, answer.json
    sid = answer.json["subscriptionID"]
    receiver.secrets[sid] = secret
    return sid


def publish(app, events: list[dict]) -> list[str]:
    """→ the DCSA eventIDs of the events, in the order they went into the log."""
    ids = service_of(app).publisher.publish(events)
    return [event_uuid(e["source"], e["id"], sid) for e, sid in zip(events, ids)]


def box_events(start: int, count: int, boxes: int = 4) -> list[dict]:
    """Gate-ins and gate-outs of a few boxes, interleaved: each box's order matters."""
    return [gate_event(n, id=f"ev-{n}", container=container_number(n % boxes),
                       type="gate.in" if n // boxes % 2 == 0 else "gate.out") for n in range(start, start + count)]


def delivered_ids(receiver, sid) -> list[str]:
    return [e["eventID"] for e in receiver.events(sid)]


def test_a_subscription_is_created_read_listed_changed_and_deleted(client, receiver):
    sid = subscribe(client, receiver, eventType=["EQUIPMENT"], equipmentReference=container_number(1))
    created = client.get(f"{ROOT}/{sid}", headers=read_auth())
    assert created.status_code == 200 and created.headers["API-Version"] == "2.2.0"
    assert created.json == {"subscriptionID": sid, "callbackUrl": receiver.url("/hook"), "eventType": ["EQUIPMENT"],
                            "equipmentReference": container_number(1)}  # never the secret
    assert [s["subscriptionID"] for s in client.get(ROOT, headers=read_auth()).json] == [sid]
    changed = client.put(f"{ROOT}/{sid}", json={"subscriptionID": sid, "callbackUrl": receiver.url("/other"),
                                                 "transportEventTypeCode": ["ARRI"]}, headers=read_auth())
    assert changed.status_code == 200
    assert client.get(f"{ROOT}/{sid}", headers=read_auth()).json == {
        "subscriptionID": sid, "callbackUrl": receiver.url("/other"), "transportEventTypeCode": ["ARRI"]}
    assert client.put(f"{ROOT}/{sid}/secret", json={"secret": NEW_SECRET}, headers=read_auth()).status_code == 204
    assert client.delete(f"{ROOT}/{sid}", headers=read_auth()).status_code == 204
    gone = client.get(f"{ROOT}/{sid}", headers=read_auth())
    assert gone.status_code == 404 and gone.json["errors"][0]["reason"] == "notFound"
    assert client.get(ROOT, headers=read_auth()).json == []


def test_subscriptions_are_behind_the_read_keys(client, receiver):
    assert client.get(ROOT).status_code == 401
    assert client.post(ROOT, json={"callbackUrl": receiver.url(), "secret": SECRET}).status_code == 401
    partner = {"Authorization": "Bearer key-haitian"}
    assert client.get(ROOT, headers=partner).status_code == 403


def test_a_reader_sees_only_the_subscriptions_its_key_made(config, receiver):
    other = {"Authorization": "Bearer key-other-reader"}
    app = create_app(config.replace(callback_hosts=("127.0.0.1",), read_keys=(*config.read_keys, "key-other-reader")))
    try:
        client = app.server.test_client()
        sid = subscribe(client, receiver)
        assert client.get(ROOT, headers=other).json == []
        assert client.get(f"{ROOT}/{sid}", headers=other).status_code == 404
        assert client.delete(f"{ROOT}/{sid}", headers=other).status_code == 404
        assert client.get(f"{ROOT}/{sid}", headers=read_auth()).status_code == 200
    finally:
        stop_app(app)


def test_a_manager_sees_and_changes_every_subscription(client, manager_client, receiver):
    sid = subscribe(client, receiver)
    assert [s["subscriptionID"] for s in manager_client.get(ROOT).json] == [sid]
    assert manager_client.delete(f"{ROOT}/{sid}").status_code == 204
    assert client.get(f"{ROOT}/{sid}", headers=read_auth()).status_code == 404


@pytest.mark.parametrize("url, hosts, why", [
    ("http://10.20.30.40/hook", ("127.0.0.1",), "10.20.30.40 is not an allowed callback host"),
    ("https://hooks.example.org/in", ("127.0.0.1",), "hooks.example.org is not an allowed callback host"),
    ("http://127.0.0.2:9/hook", ("127.0.0.1",), "127.0.0.2 is not an allowed callback host"),
    ("http://localhost:9/hook", ("localhost",), "resolves to 127.0.0.1, a private or local address"),
    ("ftp://127.0.0.1/hook", ("127.0.0.1",), "must be an absolute http:// or https:// address"),
    ("http://user:pw@127.0.0.1/hook", ("127.0.0.1",), "must not carry a user or password"),
    ("http://127.0.0.1/hook", (), "127.0.0.1 is not an allowed callback host"),
])
def test_a_callback_the_operator_did_not_allow_is_refused_with_its_reason(config, url, hosts, why):
    """A listed name that resolves to a local address is refused; only the address listed itself
    opens it (the tests list 127.0.0.1)."""
    app = create_app(config.replace(callback_hosts=hosts))
    try:
        client = app.server.test_client()
        answer = client.post(ROOT, json={"callbackUrl": url, "secret": SECRET}, headers=read_auth())
        assert answer.status_code == 400
        assert [e["reason"] for e in answer.json["errors"]] == ["callbackNotAllowed"]
        assert why in answer.json["errors"][0]["message"]
        assert client.get(ROOT, headers=read_auth()).json == []
    finally:
        stop_app(app)


def test_a_change_to_a_callback_not_allowed_is_refused(client, receiver):
    sid = subscribe(client, receiver)
    answer = client.put(f"{ROOT}/{sid}", json={"callbackUrl": "http://192.168.1.9/hook"}, headers=read_auth())
    assert answer.status_code == 400 and answer.json["errors"][0]["reason"] == "callbackNotAllowed"
    assert client.get(f"{ROOT}/{sid}", headers=read_auth()).json["callbackUrl"] == receiver.url("/hook")


def test_a_bad_subscription_gets_every_reason(client):
    answer = client.post(ROOT, json={"secret": "not base64!", "eventType": ["BOATS"], "vesselIMONumber": 9321483},
                         headers=read_auth())
    assert answer.status_code == 400
    messages = " | ".join(e["message"] for e in answer.json["errors"])
    assert "callbackUrl is required" in messages and "secret is not base64" in messages
    assert "vesselIMONumber must be text" in messages
    short = client.post(ROOT, json={"callbackUrl": "http://127.0.0.1/x", "secret": "c2hvcnQ="}, headers=read_auth())
    assert "secret must decode to 16" in short.json["errors"][0]["message"]
    assert client.get(f"{ROOT}/not-a-uuid", headers=read_auth()).status_code == 400
    put = client.put(f"{ROOT}/00000000-0000-4000-8000-000000000000", json={"callbackUrl": "http://127.0.0.1/x"},
                     headers=read_auth())
    assert put.status_code == 404


def test_every_matching_event_is_delivered_signed_and_in_order(app, client, receiver):
    everything = subscribe(client, receiver, "/all", eventType=["EQUIPMENT"])
    one_box = subscribe(client, receiver, "/box", equipmentReference=container_number(2))
    nothing = subscribe(client, receiver, "/none", eventType=["SHIPMENT"])
    published = []
    for start in range(0, 200, 50):
        published += publish(app, box_events(start, 50))
    wait_for(lambda: len(delivered_ids(receiver, everything)) >= 200, what="200 events delivered")
    wait_for(lambda: len(delivered_ids(receiver, one_box)) >= 50, what="one box's events")
    assert delivered_ids(receiver, everything) == published
    assert delivered_ids(receiver, one_box) == published[2::4]
    assert delivered_ids(receiver, nothing) == [] and receiver.refused == []
    first = next(d for d in receiver.deliveries if d.subscription == everything)
    assert first.headers["Subscription-ID"] == everything and first.headers["Content-Type"] == "application/json"
    # The position moves once the receiver's 2xx is back, a moment after the receiver counted.
    status = wait_for(lambda: (s := client.get(f"{ROOT}/{everything}/deliveries", headers=read_auth()).json)
                      ["delivered"] == 200 and s, what="the deliveries counted")
    assert status["status"] == "active"
    assert {a["outcome"] for a in status["attempts"]} == {"delivered"}


def test_a_failing_callback_is_retried_parked_and_replayed_in_order(app, client, receiver):
    sid = subscribe(client, receiver, "/flaky")
    receiver.failures["/flaky"] = 1
    first = publish(app, box_events(0, 10))
    wait_for(lambda: len(delivered_ids(receiver, sid)) == 10, what="delivery after one retry")
    assert delivered_ids(receiver, sid) == first
    receiver.answers["/flaky"] = 503
    second = publish(app, box_events(10, 10))
    parked = wait_for(lambda: (s := client.get(f"{ROOT}/{sid}/deliveries", headers=read_auth()).json)["status"]
                      == "parked" and s, what="the subscription parked")
    assert parked["failedAttempts"] == 3 and parked["parkedReason"] == "HTTP 503"
    assert [a["outcome"] for a in parked["attempts"][:3]] == ["parked", "failed", "failed"]
    third = publish(app, box_events(20, 10))  # kept in the log while parked
    receiver.answers["/flaky"] = 200
    assert delivered_ids(receiver, sid) == first
    replayed = client.post(f"{ROOT}/{sid}/deliveries/replay", headers=read_auth())
    assert replayed.status_code == 202
    wait_for(lambda: len(delivered_ids(receiver, sid)) == 30, what="the parked events replayed")
    assert delivered_ids(receiver, sid) == first + second + third  # each once, in order
    again = client.post(f"{ROOT}/{sid}/deliveries/replay", headers=read_auth())
    assert again.status_code == 409 and again.json["errors"][0]["reason"] == "notParked"


def test_a_new_secret_signs_the_deliveries_after_it(app, client, receiver):
    sid = subscribe(client, receiver, "/rotating")
    publish(app, box_events(0, 5))
    wait_for(lambda: len(delivered_ids(receiver, sid)) == 5, what="deliveries under the first secret")
    assert client.put(f"{ROOT}/{sid}/secret", json={"secret": NEW_SECRET}, headers=read_auth()).status_code == 204
    receiver.secrets[sid] = NEW_SECRET  # the old secret's signature would now be refused
    publish(app, box_events(5, 5))
    wait_for(lambda: len(delivered_ids(receiver, sid)) == 10, what="deliveries under the new secret")
    assert receiver.refused == []
    assert [d.headers["Notification-Signature"] for d in receiver.deliveries][-1].startswith("sha256=")


def test_a_redirect_is_a_failed_delivery_never_followed(app, client, receiver):
    sid = subscribe(client, receiver, "/moved")
    receiver.answers["/moved"] = 302
    publish(app, box_events(0, 3))
    parked = wait_for(lambda: (s := client.get(f"{ROOT}/{sid}/deliveries", headers=read_auth()).json)["status"]
                      == "parked" and s, what="the subscription parked")
    assert parked["parkedReason"] == "HTTP 302" and parked["delivered"] == 0
    assert {a["status"] for a in parked["attempts"]} == {302}


def test_the_list_comes_in_pages_that_skip_nothing(client, receiver):
    for n in range(5):
        subscribe(client, receiver, f"/page-{n}")
    made = [s["subscriptionID"] for s in client.get(ROOT, headers=read_auth()).json]  # oldest first
    first = client.get(f"{ROOT}?limit=2", headers=read_auth())
    assert [s["subscriptionID"] for s in first.json] == made[:2]
    client.delete(f"{ROOT}/{made[1]}", headers=read_auth())  # the page's last one, gone meanwhile
    second = client.get(first.headers["Next-Page"], headers=read_auth())
    assert [s["subscriptionID"] for s in second.json] == made[2:4]
    third = client.get(second.headers["Next-Page"], headers=read_auth())
    assert [s["subscriptionID"] for s in third.json] == made[4:] and "Next-Page" not in third.headers
    assert client.get(f"{ROOT}?cursor=nonsense", headers=read_auth()).status_code == 400


def test_an_event_its_sender_took_back_before_its_delivery_is_not_sent(app, client, receiver):
    sid = subscribe(client, receiver, "/late")
    receiver.answers["/late"] = 503
    first = publish(app, box_events(0, 1))
    wait_for(lambda: client.get(f"{ROOT}/{sid}/deliveries", headers=read_auth()).json["status"] == "parked",
             what="the subscription parked")
    events = box_events(1, 2)
    kept = publish(app, events)[1:]
    retraction = gate_event(9, id="ev-1-retracted", type="event.retracted", data={"retracted_id": "ev-1"})
    for name in ("container", "direction"):
        retraction.pop(name)
    publish(app, [retraction])
    svc = service_of(app)
    wait_for(lambda: svc.store.state.is_retracted(events[0]["source"], "ev-1"), what="the state knows")
    receiver.answers["/late"] = 204
    assert client.post(f"{ROOT}/{sid}/deliveries/replay", headers=read_auth()).status_code == 202
    wait_for(lambda: len(delivered_ids(receiver, sid)) == 2, what="the events not taken back")
    assert delivered_ids(receiver, sid) == first + kept


def test_a_key_holds_at_most_a_hundred_subscriptions(client, receiver):
    for n in range(100):
        subscribe(client, receiver, f"/many-{n}")
    answer = client.post(ROOT, json={"callbackUrl": receiver.url(), "secret": SECRET}, headers=read_auth())
    assert answer.status_code == 409 and answer.json["errors"][0]["reason"] == "tooManySubscriptions"
