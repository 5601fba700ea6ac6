"""Live push to the walls: coalesced, self-contained updates per language room, and a heartbeat.

Every 50 ms the emitter looks at the state's version: when it moved, it builds the fast view
(counters, ticker) and emits it to the room `wall:<lang>`; the slow view (figures, chain colours,
alerts) at most twice a second; a heartbeat every 2 s. The work is done once per update,
whatever the number of screens: plain values are copied under the state's lock, and the wording,
the figures and the JSON are made outside it. A (re)connecting screen gets the latest of each.

A process is never eternal: every payload names the process that made it (`epoch`, new at every
start) and its `seq`, and carries the log position and port time of its data; the heartbeat
names the latest seq sent and where the state and the log stand. A screen judges freshness from
these, so a restart or a move to another replica can delay it but never freeze it (assets/wall.js).

A replica with no wall screen attached (behind nginx each screen sticks to one replica) builds no
updates at all, only heartbeats: its cores go to readers and to applying the log.

While the state is behind the log (a backlog after a restart, or a feed faster than it applies),
applying comes first: the walls get one full update a second, and are told how far behind it is.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import datetime


from flask import request
from flask_socketio import SocketIO, join_room

from dashboard import wallview
from dashboard.alerts.marks import AlertMarks
from feeds.redis_client import STORE_ERRORS
from layouts.i18n import LANGS, pick

log = logging.getLogger(__name__)

FAST_SECONDS, SLOW_SECONDS, HEARTBEAT_SECONDS = 0.05, 0.5, 2.0
BEHIND_SECONDS = 1.0      # the state this far behind the log's head: the walls give way
POSITION_SECONDS = 0.5    # how often the log's head is looked at
CATCH_UP_EVERY = 1.0      # one full update a second while catching up


class WallEmitter:
    def __init__(self, svc, socketio: SocketIO, demo_status=None):
        self.svc = svc
        self.socketio = socketio
        self.demo_status = demo_status or (lambda: None)
        self.epoch = uuid.uuid4().hex[:12]  # this process's identity: screens start afresh on a new one
        self.latest: dict[str, dict] = {}     # (event, lang) → the last payload sent
        self.seq = 0
        self.sent_seq = {"fast": 0, "slow": 0}
        self._seq_lock = threading.Lock()     # the emitter thread and a joining screen both build
        self.screens: set[str] = set()        # sids of the wall screens attached here
        self._screens_lock = threading.Lock()
        self._position: dict = {"applied": "0-0", "head": None, "behind_seconds": None}
        self._position_at = -1e9
        self.figures = wallview.KeptFigures()
        self.alert_marks = AlertMarks(svc.alerts)  # the delays' and stuck boxes' alert states, kept 1 s
        self._trends: dict = {}
        self._trends_at = -1e9
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wall-emitter", daemon=True)

    def start(self) -> "WallEmitter":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def join(self, sid: str) -> None:
        """A screen connected (dashboard/sockets.py checked its credential): the latest of each,
        and a heartbeat that says where the service stands now."""
        lang = pick(request.args.get("lang"))
        join_room(f"wall:{lang}")
        with self._screens_lock:
            self.screens.add(sid)
        for event in ("slow", "fast"):
            self.socketio.emit(event, self.build(event, lang), to=sid)
        self.socketio.emit("heartbeat", self.heartbeat(fresh=True), to=sid)

    def leave(self, sid: str) -> None:
        """A socket went away; with the last screen gone, the kept updates go too (a screen that
        joins later gets fresh ones, not those of when the emitter stopped building)."""
        with self._screens_lock:
            self.screens.discard(sid)
            if not self.screens:
                self.latest = {key: payload for key, payload in self.latest.items() if key.startswith("heartbeat")}

    def build(self, event: str, lang: str) -> dict:
        """The latest update of this kind sent to the screens, or a fresh one before the first."""
        payload = self.latest.get(f"{event}:{lang}")
        return payload if payload is not None else self.build_all(event)[lang]

    def build_all(self, event: str) -> dict[str, dict]:
        """One read of the state (plain values, under its lock), worded in every language outside it."""
        if event == "heartbeat":
            beat = self.heartbeat()
            return {lang: beat for lang in LANGS}
        state, now = self.svc.store.state, self.svc.port_now()
        if event == "fast":
            demo = self.demo_status()
            with self.svc.store.lock:
                facts, position = wallview.fast_facts(state, now, demo), state.last_stream_id
            views = {lang: wallview.fast_view(facts, lang) for lang in LANGS}
        else:
            trends = self.trends(now)
            with self.svc.store.lock:
                facts, position = wallview.slow_facts(state, now), state.last_stream_id
            facts["alert_marks"] = self.alert_marks.by_key()
            shared = self.figures(facts, trends)
            views = {lang: {**wallview.slow_view(facts, lang), **shared} for lang in LANGS}
        stamp = self._stamp(event, position, now)
        return {lang: {**view, **stamp} for lang, view in views.items()}

    def _stamp(self, event: str, position: str, now: float) -> dict:
        with self._seq_lock:
            self.seq += 1
            return {"epoch": self.epoch, "seq": self.seq, "sent_at": time.time() * 1000,
                    "position": position, "port_ms": now * 1000}

    def trends(self, now: float) -> dict:
        """Clearance means of the last 7 days from the hourly history, read once a minute."""
        if time.monotonic() - self._trends_at > 60:
            zone = self.svc.profile.timezone
            try:
                self._trends = {direction: [(datetime.fromtimestamp(hour, zone), value) for hour, value in
                                            self.svc.history.series(f"clearance_hours.{direction}.mean", 7, now)]
                                for direction in ("import", "export")}
            except STORE_ERRORS:
                pass  # keep the last ones: the heartbeat tells the wall that Redis is away
            self._trends_at = time.monotonic()
        return self._trends

    def position(self, fresh: bool = False) -> dict:
        """Where the state stands in the log (dashboard/service.py), looked at every half second."""
        if fresh or time.monotonic() - self._position_at >= POSITION_SECONDS:
            self._position = self.svc.log_position()
            self._position_at = time.monotonic()
        return self._position

    def catching_up(self) -> bool:
        health = self.svc.consumer.health if self.svc.consumer else None
        behind = self.position()["behind_seconds"]
        return (health is not None and not health.caught_up) or (behind is not None and behind >= BEHIND_SECONDS)

    def heartbeat(self, fresh: bool = False) -> dict:
        health = self.svc.consumer.health if self.svc.consumer else None
        position = self.position(fresh)
        return {"sent_at": time.time() * 1000, "epoch": self.epoch,
                "fast_seq": self.sent_seq["fast"], "slow_seq": self.sent_seq["slow"],
                "position": self.svc.store.state.last_stream_id, "port_ms": self.svc.port_now() * 1000,
                "behind_seconds": position["behind_seconds"], "catching_up": self.catching_up(),
                "redis": self.svc.redis_reachable(),
                "consumer_connected": bool(health and health.connected),
                "consumer_stuck": bool(health and not health.caught_up and health.last_error)}

    def _emit(self, event: str) -> None:
        for lang, payload in self.build_all(event).items():
            self.latest[f"{event}:{lang}"] = payload
            self.socketio.emit(event, payload, to=f"wall:{lang}")
            if event != "heartbeat":  # what every screen in the rooms got (not a joining screen's own)
                self.sent_seq[event] = payload["seq"]

    def _run(self) -> None:
        seen_version, slow_version, last_slow, last_beat = None, None, 0.0, 0.0
        while not self._stop.wait(FAST_SECONDS):
            try:
                # an entry that changes nothing (a bad one) still moves the log position the screens show
                state, moment = self.svc.store.state, time.monotonic()
                version = (state.version, state.last_stream_id)
                if not self.screens:
                    seen_version = slow_version = None  # a screen that joins gets fresh ones at once
                elif self.catching_up():  # applying the log comes first: one full update a second
                    if version != seen_version and moment - last_slow >= CATCH_UP_EVERY:
                        seen_version = slow_version = version
                        last_slow = moment
                        self._emit("slow")
                        self._emit("fast")
                else:
                    if version != seen_version:
                        seen_version = version
                        self._emit("fast")
                    # an alert acknowledged or resolved changes the slow update as an event does
                    slow_now = (version, self.alert_marks.version())
                    if moment - last_slow >= SLOW_SECONDS and (slow_now != slow_version or moment - last_slow > 10):
                        slow_version, last_slow = slow_now, moment
                        self._emit("slow")
                if moment - last_beat >= HEARTBEAT_SECONDS:
                    last_beat = moment
                    self._emit("heartbeat")
            except Exception:  # a screen update must never stop the emitter
                log.exception("wall update failed")
