"""Socket.IO rooms: `wall:<lang>` for the walls (dashboard/emitter.py) and `vessel:<imo>` for
managers with a vessel open. A vessel's room hears "vessel" when that call or one of its boxes
changed (looked at every LIVE_SECONDS), and once a minute anyway, since time in stage moves."""

from __future__ import annotations

import logging
import threading
import time

from flask import request
from flask_socketio import SocketIO, join_room

from dashboard.access import Kind, credential_of, may_open
from dashboard.store import Every
from feeds.identifiers import check_imo

log = logging.getLogger(__name__)

LIVE_SECONDS, ANYWAY_SECONDS = 2.0, 60.0


class VesselRooms:
    def __init__(self, svc, socketio: SocketIO):
        self.svc, self.socketio = svc, socketio
        self.watchers: dict[str, set[str]] = {}  # IMO → sids
        self.sent: dict[str, tuple] = {}  # IMO → (fingerprint, when) of the last notice
        self._lock = threading.Lock()
        self._timer = Every("vessel-rooms", LIVE_SECONDS, self._tick, at_stop=False)

    def start(self) -> "VesselRooms":
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()

    def join(self, imo: str, sid: str) -> None:
        join_room(f"vessel:{imo}")
        with self._lock:
            self.watchers.setdefault(imo, set()).add(sid)

    def leave(self, sid: str) -> None:
        with self._lock:
            for imo in [imo for imo, sids in self.watchers.items() if sid in sids]:
                self.watchers[imo].discard(sid)
                if not self.watchers[imo]:
                    del self.watchers[imo]
                    self.sent.pop(imo, None)

    def fingerprint(self, imo: str) -> tuple | None:
        """What changes when the call or any of its boxes gets an event."""
        state = self.svc.store.state
        with self.svc.store.lock:
            call = state.latest_call(imo)
            if call is None:
                return None
            boxes = state.boxes_of(call)
            return call.key, len(call.timeline), len(boxes), sum(len(box.timeline) for box in boxes)

    def _tick(self) -> None:
        with self._lock:
            watched = list(self.watchers)
        for imo in watched:
            try:
                self._notify_if_changed(imo)
            except Exception:  # one vessel's update must never stop the others
                log.exception("vessel room %s update failed", imo)

    def _notify_if_changed(self, imo: str) -> None:
        """Also notifies once just after a page joined: events between the page's build and its
        joining are then not missed."""
        now, current = time.monotonic(), self.fingerprint(imo)
        with self._lock:
            last, at = self.sent.get(imo, (None, 0.0))
            changed = current != last or now - at >= ANYWAY_SECONDS
            if changed and imo in self.watchers:
                self.sent[imo] = (current, now)
        if changed:
            self.socketio.emit("vessel", {"imo": imo, "at": time.time() * 1000}, to=f"vessel:{imo}")


def register_sockets(socketio: SocketIO, svc, walls, vessels: VesselRooms) -> None:
    """One connect handler for every room: the credential decides which it may join."""

    def on_connect(auth=None):
        credential = credential_of(request, svc)
        wanted = request.args.get("vessel")
        if wanted:
            imo, problem = check_imo(wanted[:32])
            if credential.kind is not Kind.MANAGER or problem:
                return False
            vessels.join(imo, request.sid)
            return None
        if not may_open(credential, "/"):
            return False  # the wall's rooms are for the display token and managers
        walls.join(request.sid)
        return None

    socketio.on_event("connect", on_connect)
    socketio.on_event("disconnect", lambda *args: vessels.leave(request.sid))
