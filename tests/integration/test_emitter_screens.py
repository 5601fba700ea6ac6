"""The wall emitter works only for the screens attached to its replica: none attached, it builds
no updates; a screen that joins gets the state as it is now, and the updates go on."""

from __future__ import annotations

import time

from dashboard.app import runtime_of, service_of, socketio_of
from tests.helpers import WALL_TOKEN, auth, gate_event, wait_for


def post(client, *events) -> None:
    answer = client.post("/api/v1/events", json=list(events), headers=auth())
    assert answer.status_code == 202, answer.text


def received(sio, name: str) -> list[dict]:
    return [message["args"][0] for message in sio.get_received() if message["name"] == name]


def test_no_screen_attached_means_no_update_built_and_a_joining_screen_gets_the_present(app):
    svc, emitter, partner = service_of(app), runtime_of(app).emitter, app.server.test_client()
    seq_before = emitter.seq
    post(partner, gate_event(1))
    wait_for(lambda: svc.store.state.applied == 1, what="the event applied")
    applied_at = time.time() * 1000
    wait_for(lambda: emitter.latest.get("heartbeat:en", {}).get("sent_at", 0) > applied_at + 100,
             timeout=10, what="a heartbeat after the event")
    assert emitter.seq == seq_before, "updates were built with no screen to send them to"

    screen = app.server.test_client()
    screen.get(f"/?token={WALL_TOKEN}")
    sio = socketio_of(app).test_client(app.server, query_string="lang=en", flask_test_client=screen)
    assert sio.is_connected()
    first = received(sio, "fast")
    assert first and first[-1]["position"] == svc.store.state.last_stream_id

    post(partner, gate_event(2))
    wait_for(lambda: svc.store.state.applied == 2, what="the second event applied")
    later: list[dict] = []
    wait_for(lambda: later.extend(received(sio, "fast")) or any(
        update["position"] == svc.store.state.last_stream_id for update in later), what="an update after it")

    sio.disconnect()
    wait_for(lambda: "fast:en" not in emitter.latest, what="the kept updates dropped with the last screen")
