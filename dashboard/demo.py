"""The demo in the service: its commands (HTTP, Redis queue) and its reset.

The simulator itself is handed in by `run.py` (the dashboard never imports the simulator): any
object with `start(scenario, speed)`, `command(action, **args)`, `status`, `scenarios()` and
`stop()`, and optionally `what_if` (simulator/whatif.py: `measures()`, `report()` and
`waterfall(enabled)`, the presenters' what-if over the reconstruction report, all plain data). Demo data never mixes with live data: the demo publishes into its own port namespace
(`dp:{demo}:…`), and a reset clears that namespace alone, with the state that mirrors it.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid

import orjson
import redis
from flask import Blueprint, Response, current_app, request

from dashboard.api.ingest import error_response, json_response
from dashboard.runtime import EXTENSION
from feeds.keys import PortKeys
from feeds.redis_client import STORE_ERRORS

log = logging.getLogger(__name__)
bp = Blueprint("demo", __name__)


def control_key(port_id: str) -> str:
    """List: commands for the running demo, pushed by `run.py simulate` from the shell."""
    return PortKeys(port_id).control


def reset_namespace(svc) -> None:
    """Delete every key of the (demo) namespace and start the state afresh; the other replicas
    follow (PortPulse.follow_resets)."""
    time.sleep(0.3)  # let the consumer take the live messages already on their way
    client = svc.redis
    try:  # the new state starts past every entry of the old log, so none of it can come back
        last_id = client.xinfo_stream(svc.publisher.keys.events)["last-generated-id"]
    except redis.ResponseError:
        last_id = None
    last_id = last_id.decode() if isinstance(last_id, bytes) else last_id
    keys = svc.publisher.keys
    with svc.store.snapshot_lock:  # a snapshot of the old state must not land after this
        # the other replicas follow the reset (PortPulse.follow_resets) when the generation moves
        svc.generation = f"{uuid.uuid4().hex[:12]} {last_id or ''}"
        client.set(keys.generation, svc.generation)
        found = list(client.scan_iter(match=f"dp:{{{svc.config.port_id}}}:*", count=1000))
        keep = {keys.control.encode(), keys.generation.encode()}  # commands queued meanwhile survive
        keep |= {key.encode() for key in keys.directory() + keys.notify()}  # never accounts, watches, channels
        doomed = [key for key in found if key not in keep]
        for start in range(0, len(doomed), 500):
            client.delete(*doomed[start:start + 500])
        svc.reset_state(after_stream_id=last_id)


class DemoControl:
    def __init__(self, svc, make_simulator):
        """`make_simulator(svc, reset_namespace)` builds the simulator that publishes for `svc`."""
        self.svc = svc
        self.simulator = make_simulator(svc, self.reset_namespace)
        self._stop = threading.Event()
        self._listener = threading.Thread(target=self._listen, name="demo-commands", daemon=True)

    def start(self, scenario: str = "normal", speed: float = 60.0) -> None:
        self.simulator.start(scenario=scenario, speed=speed)
        self._listener.start()

    def command(self, action: str, **args) -> dict:
        return dataclasses.asdict(self.simulator.command(action, **args))

    def status(self) -> dict:
        return {**dataclasses.asdict(self.simulator.status),
                "scenarios": [item["name"] for item in self.simulator.scenarios()]}

    def scenarios(self) -> list[dict]:
        return self.simulator.scenarios()

    # -- the presenters' what-if (plain data from the simulator's `what_if`, when it has one) ---
    def measures(self) -> list[dict]:
        """[{id, title: {zh, en}, source}] in the waterfall's order; [] without a what-if."""
        what_if = getattr(self.simulator, "what_if", None)
        return what_if.measures() if what_if else []

    def report(self) -> dict | None:
        """The before/after reconstruction report, or None while there is none."""
        what_if = getattr(self.simulator, "what_if", None)
        return what_if.report() if what_if else None

    def waterfall(self, enabled) -> list[dict] | None:
        """The waterfall's rows for a set of measure ids (the total last), or None without a report."""
        what_if = getattr(self.simulator, "what_if", None)
        return what_if.waterfall(enabled) if what_if else None

    def reset_namespace(self) -> None:
        reset_namespace(self.svc)

    def _listen(self) -> None:
        key = control_key(self.svc.config.port_id)
        while not self._stop.is_set():
            try:
                item = self.svc.redis.blpop([key], timeout=1)
            except STORE_ERRORS:
                self._stop.wait(1)
                continue
            if item:
                self._run_queued(item[1])

    def _run_queued(self, raw: bytes) -> None:
        try:
            command = orjson.loads(raw)
            if not isinstance(command, dict):
                raise ValueError("a command is a JSON object")
            self.command(str(command.pop("action", "")), **command)
        except (ValueError, TypeError, orjson.JSONDecodeError) as exc:
            log.warning("demo command %r refused: %s", raw[:200], exc)

    def stop(self) -> None:
        self._stop.set()
        self.simulator.stop()


def demo_of(app) -> DemoControl | None:
    return app.extensions[EXTENSION].demo


@bp.get("/api/v1/demo")
def demo_status() -> Response:
    demo = demo_of(current_app)
    if demo is None:
        return error_response(404, "no_demo", "this service runs without the demo simulator")
    return json_response(demo.status(), 200)


@bp.post("/api/v1/demo")
def demo_command() -> Response:
    demo = demo_of(current_app)
    if demo is None:
        return error_response(404, "no_demo", "this service runs without the demo simulator")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(400, "bad_command", 'send a JSON object {"action": …} (the actions: docs/simulator.md)')
    args = {k: v for k, v in body.items() if k != "action"}
    try:
        status = demo.command(str(body.get("action", "")), **args)
    except (ValueError, TypeError) as exc:  # an unknown scenario or action, a speed out of range
        return error_response(400, "bad_command", str(exc))
    return json_response(status, 200)
