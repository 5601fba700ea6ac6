"""Drill-down benchmarks (docs/benchmarks.md): with 500,000 boxes in state, a vessel page of
5,000 boxes ready in the browser (goal ≤ 1.5 s) and search answers (goal ≤ 100 ms), for the
port's readers and, scoped, for an organisation's read key.

    python -m bench.drilldown [--boxes N] [--rounds R]

The state is built in this process from the simulator's traffic (`bench.traffic.port_traffic`,
N boxes) plus one call of 5,000 boxes, then served by the real app (its Flask server on loopback,
the embedded Redis beside it) to Debian's Chromium. "Ready" is from the start of the navigation
until the box grid shows its first row and the bottleneck table is drawn. Medians of R rounds; one
JSON line per figure (the first: the traffic and how long it took to make).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from bench.traffic import port_traffic, traffic_line
from bench.state import BIG_CALL, PROFILE, big_call_events
from dashboard.app import create_app, service_of
from dashboard.config import Config
from dashboard.state import scoped
from dashboard.state.port import PortState
from feeds.embedded import EmbeddedRedis, free_port
from tests.e2e.conftest import CHROMIUM_ARGS, log_in_page
from simulator.parties import CARGO_OWNERS
from tests.helpers import ACCESS_CONFIG, container_number, read_auth

READY = ('#box-grid .ag-center-cols-container .ag-row[row-index="0"]', "#vessel-bottleneck tbody tr")


def build_state(events: list[dict]) -> PortState:
    state = PortState(PROFILE)
    for event in events + big_call_events(5000, events[len(events) // 2]["time"]):
        state.apply(event, arrival=0.0)
    return state


def serve(state: PortState, redis_url: str):
    """The real app on a free loopback port, its state already built; → (base URL, stop, service)."""
    config = Config(redis_url=redis_url, port_id="bench-" + uuid.uuid4().hex[:6], clock="event", **ACCESS_CONFIG)
    app = create_app(config, start=False)
    service_of(app).store.state = state
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", server.shutdown, service_of(app)


def vessel_page_ready(base: str, rounds: int) -> list[float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        log_in_page(page, base, "/vessels?lang=en")
        samples = []
        for _ in range(rounds + 1):  # the first warms the browser's cache of the page's scripts
            started = time.perf_counter()
            page.goto(f"{base}/vessels/{BIG_CALL[0]}?lang=en", wait_until="commit")
            for selector in READY:
                page.wait_for_selector(selector, timeout=60_000)
            samples.append(time.perf_counter() - started)
            page.goto("about:blank")
        browser.close()
        return samples[1:]


def search_latency(base: str, state: PortState, rounds: int) -> dict:
    box = container_number(4321, owner="BIG")
    call = state.latest_call(BIG_CALL[0])
    named = next(c for c in state.calls.values() if c.name)
    queries = {"container": box, "mistyped_container": box[:10] + str((int(box[10]) + 1) % 10),
               "vessel_name": named.name.split()[0], "imo": call.imo}
    declaration = next(iter(state.declarations), None)  # from the events' `data.declaration`
    if declaration is not None:  # a simulator that names no declaration: no such query to time
        queries["declaration"] = declaration
    figures = {}
    with requests.Session() as session:
        for label, query in queries.items():
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                answer = session.get(f"{base}/api/v1/search", params={"q": query}, headers=read_auth(), timeout=30)
                samples.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200 and (answer.json()["hits"] or answer.json()["suggestion"]), label
            figures[label] = round(statistics.median(samples), 1)
    return figures


def scoped_search_latency(base: str, svc, rounds: int) -> dict:
    """The same search as an organisation's read key sees it (docs/access.md): the cargo owner
    the simulator names on the most boxes; its own box, declaration and ship are found, a box of
    another organisation is answered as unknown."""
    state = svc.store.state
    org = max(CARGO_OWNERS, key=lambda name: len(state.party_index.boxes.get(name, ())))
    svc.directory.add_org(org, org, "consignee")
    headers = {"Authorization": f"Bearer {svc.directory.add_read_key(org)}"}
    mine = scoped.seen_visits  # (state, number, identities) → the visits it sees
    identities = svc.directory.org(org).identities
    declared = {number: declaration for declaration, number in state.declarations.items()}

    def named_call(number: str):
        call = state.call_of(state.boxes[number][-1])
        return call if call is not None and call.name else None

    own = next(n for n in sorted(state.party_index.boxes[org])
               if n in declared and named_call(n) and mine(state, n, identities))
    other = next(n for n in sorted(state.boxes) if not mine(state, n, identities))
    declaration, call = declared[own], named_call(own)
    queries = {"own_container": (own, True), "other_container": (other, False), "own_declaration": (declaration, True),
               "vessel_name": (call.name.split()[0], True), "imo": (call.imo, True)}
    figures = {}
    with requests.Session() as session:
        for label, (query, found) in queries.items():
            samples = []
            for _ in range(rounds):
                started = time.perf_counter()
                answer = session.get(f"{base}/api/v1/search", params={"q": query}, headers=headers, timeout=30)
                samples.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200 and bool(answer.json()["hits"]) == found, (label, answer.json())
            figures[label] = round(statistics.median(samples), 1)
    return {"organisation": org, "its_boxes": len(state.party_index.boxes[org]), **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    started = time.perf_counter()
    events = port_traffic(args.boxes, seed=1)
    print(json.dumps(traffic_line(events, args.boxes, time.perf_counter() - started)), flush=True)
    started = time.perf_counter()
    state = build_state(events)
    del events
    boxes = sum(len(visits) for visits in state.boxes.values())
    print(json.dumps({"state_built_s": round(time.perf_counter() - started, 1), "box_visits": boxes}), flush=True)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp)) as redis_server:
        base, stop, svc = serve(state, redis_server.url)
        try:
            ready = vessel_page_ready(base, args.rounds)
            print(json.dumps({"vessel_page_5000_boxes_ready_s_median": round(statistics.median(ready), 3),
                              "goal_s": 1.5, "rounds_s": [round(s, 3) for s in ready], "box_visits_in_state": boxes}))
            print(json.dumps({"search_ms_median": search_latency(base, state, args.rounds * 3), "goal_ms": 100,
                              "box_visits_in_state": boxes}))
            print(json.dumps({"scoped_search_ms_median": scoped_search_latency(base, svc, args.rounds * 3),
                              "goal_ms": 100, "box_visits_in_state": boxes}))
        finally:
            stop()


if __name__ == "__main__":
    main()
