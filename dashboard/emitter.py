"""Live push to the walls: coalesced, self-contained updates per language room, and a heartbeat.

Every 50 ms the emitter looks at the state's version: when it moved, it builds the fast view
(counters, ticker) once per language and emits it to the room `wall:<lang>`; the slow view
(figures, chain colours, alerts) at most twice a second; a heartbeat with the consumer's health
every 2 s. The work is done once per update, whatever the number of screens. A (re)connecting
screen gets the latest of each at once.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import redis

from flask import request
from flask_socketio import SocketIO, join_room

from dashboard import wallview
from layouts.i18n import LANGS, pick

log = logging.getLogger(__name__)

FAST_SECONDS, SLOW_SECONDS, HEARTBEAT_SECONDS = 0.05, 0.5, 2.0


class WallEmitter:
    def __init__(self, svc, socketio: SocketIO, demo_status=None):
        self.svc = svc
        self.socketio = socketio
        self.demo_status = demo_status or (lambda: None)
        self.latest: dict[str, dict] = {}     # (event, lang) → the last payload sent
        self.seq = 0
        self._trends: dict = {}
        self._trends_at = -1e9
        self._slow_version = -1
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
        """A screen connected (dashboard/sockets.py checked its credential): the latest of each."""
        lang = pick(request.args.get("lang"))
        join_room(f"wall:{lang}")
        for event in ("slow", "fast", "heartbeat"):
            self.socketio.emit(event, self.build(event, lang), to=sid)

    def build(self, event: str, lang: str) -> dict:
        """The latest update of this kind sent to the screens, or a fresh one before the first."""
        payload = self.latest.get(f"{event}:{lang}")
        return payload if payload is not None else self.build_all(event)[lang]

    def build_all(self, event: str) -> dict[str, dict]:
        """One read of the state, worded in every language."""
        if event == "heartbeat":
            beat = self.heartbeat()
            return {lang: beat for lang in LANGS}
        state, now = self.svc.store.state, self.svc.port_now()
        trends = self.trends(now) if event == "slow" else None
        demo = self.demo_status() if event == "fast" else None
        with self.svc.store.lock:
            facts = wallview.fast_facts(state, now, demo) if event == "fast" else wallview.slow_facts(state, now, trends)
            views = {lang: (wallview.fast_view if event == "fast" else wallview.slow_view)(facts, lang) for lang in LANGS}
        self.seq += 1
        stamp = {"seq": self.seq, "sent_at": time.time() * 1000}
        return {lang: {**view, **stamp} for lang, view in views.items()}

    def trends(self, now: float) -> dict:
        """Clearance medians of the last 7 days from the hourly history, read once a minute."""
        if time.monotonic() - self._trends_at > 60:
            zone = self.svc.profile.timezone
            try:
                self._trends = {direction: [(datetime.fromtimestamp(hour, zone), value) for hour, value in
                                            self.svc.history.series(f"clearance_hours.{direction}.median", 7, now)]
                                for direction in ("import", "export")}
            except (redis.RedisError, OSError):
                pass  # keep the last ones: the heartbeat tells the wall that Redis is away
            self._trends_at = time.monotonic()
        return self._trends

    def heartbeat(self) -> dict:
        health = self.svc.consumer.health if self.svc.consumer else None
        return {"sent_at": time.time() * 1000, "redis": self.svc.redis_reachable(),
                "consumer_connected": bool(health and health.connected),
                "consumer_stuck": bool(health and not health.caught_up and health.last_error)}

    def _emit(self, event: str) -> None:
        for lang, payload in self.build_all(event).items():
            self.latest[f"{event}:{lang}"] = payload
            self.socketio.emit(event, payload, to=f"wall:{lang}")

    def _run(self) -> None:
        seen_version, last_fast, last_slow, last_beat = -1, 0.0, 0.0, 0.0
        while not self._stop.wait(FAST_SECONDS):
            try:
                version, moment = self.svc.store.state.version, time.monotonic()
                # while the consumer catches up on a backlog, screens get a slower pace: the CPU
                # (and the state's lock) go to applying the log
                health = self.svc.consumer.health if self.svc.consumer else None
                catching_up = health is not None and not health.caught_up
                fast_every, slow_every = (1.0, 5.0) if catching_up else (0.0, SLOW_SECONDS)
                if version != seen_version and moment - last_fast >= fast_every:
                    seen_version, last_fast = version, moment
                    self._emit("fast")
                if moment - last_slow >= slow_every and (version != self._slow_version or moment - last_slow > 10):
                    self._slow_version, last_slow = version, moment
                    self._emit("slow")
                if moment - last_beat >= HEARTBEAT_SECONDS:
                    last_beat = moment
                    self._emit("heartbeat")
            except Exception:  # a screen update must never stop the emitter
                log.exception("wall update failed")
