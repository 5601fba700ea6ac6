"""Socket.IO rooms: `wall:<lang>` for the walls (dashboard/emitter.py); for managers,
`vessel:<imo>` with a vessel open and `page:vessels` / `page:feeds` / `page:alerts` with those
lists open (an organisation's members: the vessel list and the vessels they see; the notices
carry no data). A room hears "refresh" when what its page shows changed (looked at every
LIVE_SECONDS; a vessel's room when that call or one of its boxes changed, the alerts' when an
alert did, a list's when the state did, at most every PAGE_SECONDS), and once a minute anyway,
since times in stage move and rejects arrive."""

from __future__ import annotations

import logging
import threading
import time

from flask import request
from flask_socketio import SocketIO, join_room

from dashboard.access import Kind, credential_of, may_open
from dashboard.state.scoped import seen_calls
from dashboard.store import Every
from feeds.identifiers import check_imo

log = logging.getLogger(__name__)

LIVE_SECONDS, PAGE_SECONDS, ANYWAY_SECONDS = 2.0, 10.0, 60.0
PAGES = ("vessels", "feeds", "alerts")  # the list pages with a room of their own


class ManagerRooms:
    def __init__(self, svc, socketio: SocketIO):
        self.svc, self.socketio = svc, socketio
        self.watchers: dict[str, set[str]] = {}  # room → sids
        self.sent: dict[str, tuple] = {}  # room → (fingerprint, when) of the last notice
        self._lock = threading.Lock()
        self._timer = Every("manager-rooms", LIVE_SECONDS, self._tick, at_stop=False)

    def start(self) -> "ManagerRooms":
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.stop()

    def join(self, room: str, sid: str) -> None:
        join_room(room)
        with self._lock:
            self.watchers.setdefault(room, set()).add(sid)

    def leave(self, sid: str) -> None:
        with self._lock:
            for room in [room for room, sids in self.watchers.items() if sid in sids]:
                self.watchers[room].discard(sid)
                if not self.watchers[room]:
                    del self.watchers[room]
                    self.sent.pop(room, None)

    def fingerprint(self, room: str) -> tuple | int | None:
        """What changes when the room's page would show something else: for a vessel, an event
        of the call or of any of its boxes; for a list, any event."""
        state = self.svc.store.state
        if room == "page:alerts":  # the alerts change with people's acknowledgements, not events
            return self.svc.alerts.version()
        if room.startswith("page:"):
            return state.version
        imo = room.partition(":")[2]
        with self.svc.store.lock:
            call = state.latest_call(imo)
            if call is None:
                return None
            boxes = state.boxes_of(call)
            return call.key, len(call.timeline), len(boxes), sum(len(box.timeline) for box in boxes)

    def _tick(self) -> None:
        with self._lock:
            watched = list(self.watchers)
        for room in watched:
            try:
                self._notify_if_changed(room)
            except Exception:  # one room's update must never stop the others
                log.exception("room %s update failed", room)

    def _notify_if_changed(self, room: str) -> None:
        """Also notifies once just after a page joined: events between the page's build and its
        joining are then not missed."""
        now, current = time.monotonic(), self.fingerprint(room)
        gap = PAGE_SECONDS if room.startswith("page:") else 0.0
        with self._lock:
            last, at = self.sent.get(room, (None, -ANYWAY_SECONDS))
            changed = (current != last and now - at >= gap) or now - at >= ANYWAY_SECONDS
            if changed and room in self.watchers:
                self.sent[room] = (current, now)
        if changed:
            self.socketio.emit("refresh", {"room": room, "at": time.time() * 1000}, to=room)


def manager_room(args) -> str | None:
    """The room a manager's page asks for (`?vessel=<imo>` or `?page=vessels|feeds`), if valid."""
    if args.get("vessel"):
        imo, problem = check_imo(args["vessel"][:32])
        return None if problem else f"vessel:{imo}"
    return f"page:{args['page']}" if args.get("page") in PAGES else None


def may_join(svc, credential, room: str) -> bool:
    """Managers join any room; an organisation's member the vessel list and the vessels it sees
    (a vessel it does not see is refused exactly as an unknown one)."""
    if credential.kind is Kind.MANAGER:
        return True
    if credential.kind is not Kind.MEMBER or room in ("page:feeds", "page:alerts"):
        return False
    if room == "page:vessels":
        return True
    with svc.store.lock:
        return bool(seen_calls(svc.store.state, room.partition(":")[2], credential.identities))


def register_sockets(socketio: SocketIO, svc, walls, managers: ManagerRooms) -> None:
    """One connect handler for every room: the credential decides which it may join."""

    def on_connect(auth=None):
        credential = credential_of(request, svc)
        if request.args.get("vessel") or request.args.get("page"):
            room = manager_room(request.args)
            if room is None or not may_join(svc, credential, room):
                return False
            managers.join(room, request.sid)
            return None
        if not may_open(credential, "/"):
            return False  # the wall's rooms are for the display token and managers
        walls.join(request.sid)
        return None

    socketio.on_event("connect", on_connect)
    def on_disconnect(*args):
        managers.leave(request.sid)
        walls.leave(request.sid)

    socketio.on_event("disconnect", on_disconnect)
