"""The phone page's benchmark: /track for an organisation with 1,000 boxes in port, among the
simulator's port traffic, loaded cold in Debian's Chromium on a throttled phone (goal: ready
≤ 1.5 s), and the server's own answer times for the list and for a search.

    python -m bench.track [--boxes N] [--rounds R]

The state is built in this process: the simulator's traffic (`bench.traffic.port_traffic`, N boxes,
whose events name the demo's parties) plus 1,000 import boxes named for the organisation
`bench-fleet` (a quarter released, some in inspection, some held, the rest awaiting release), then
served by the real app on loopback with the embedded Redis beside it. The browser logs in as the
fleet's member without throttling, then each round is a cold load (cache disabled) of /track with
CDP's `Emulation.setCPUThrottlingRate {rate: 4}` and one of these network profiles:

- `devtools_slow_3g`: Chrome DevTools' "Slow 3G" preset, 2,000 ms request latency (400 ms RTT ×5),
  50,000 B/s down and up;
- `webpagetest_3g_slow`: WebPageTest's "3G Slow" connection, 400 ms round trip, 400 kbps down
  and up (the slow 3G of the field measurements; DevTools' preset multiplies its latency by 5 to
  stand for the handshakes a real first request makes);
- `lighthouse_mobile`: Lighthouse's mobile profile (slow 4G: RTT 150 ms, 1.6 Mbps) as DevTools
  applies it, 562.5 ms request latency (150 ms ×3.75), 1,474.56 kbps down, 675 kbps up.

"Ready" is from the navigation's start to the later of DOMContentLoaded's end and the first
contentful paint (PerformanceNavigationTiming, paint timing), with the first row of the list in
the page: the page is server-rendered, so the rows are there and tappable when it is parsed.
Medians of R rounds (≥ 5); one JSON line per figure.
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
from datetime import datetime, timedelta
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from bench.state import PROFILE
from bench.traffic import port_traffic, traffic_line
from dashboard.app import create_app, service_of
from dashboard.config import Config
from dashboard.state.port import PortState
from feeds.embedded import EmbeddedRedis, free_port
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.helpers import ACCESS_CONFIG, container_number, log_in

ORG, USER, PASSWORD = "bench-fleet", "bench.trucker", "a-long-password-1"
FLEET_BOXES = 1000
SHIP = ("9999993", "TRK01")
PROFILES = {  # name → Network.emulateNetworkConditions
    "devtools_slow_3g": {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    "webpagetest_3g_slow": {"offline": False, "latency": 400, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    "lighthouse_mobile": {"offline": False, "latency": 562.5, "downloadThroughput": 1_474_560 / 8,
                          "uploadThroughput": 675_000 / 8},
}
FCP_RECORDED = "() => performance.getEntriesByName('first-contentful-paint').length > 0"
PHONE = dict(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True)
READY_JS = """() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, response: nav.responseEnd,
            fcp: paint ? paint.startTime : null, bytes: nav.transferSize,
            rows: document.querySelectorAll(".track-row").length};
}"""


def fleet_events(start: str) -> list[dict]:
    """1,000 import boxes for the fleet on one call: a quarter released, every 10th in inspection,
    every 20th held, the rest awaiting release."""
    t0 = datetime.fromisoformat(start)
    imo, voyage = SHIP

    def at(minutes: float) -> str:
        return (t0 + timedelta(minutes=minutes)).isoformat()

    events = [{"id": "trk-berth", "type": "vessel.berthed", "time": at(0), "source": "terminal.haitian",
               "vessel": imo, "voyage": voyage, "data": {"berth": "HT-5", "name": "Bench Trucker"}}]
    for n in range(FLEET_BOXES):
        number, common = container_number(n, owner="TRK"), {"direction": "import", "source": "terminal.haitian"}
        events.append({"id": f"trk-d-{n}", "type": "container.discharged", "time": at(1 + n / 10), "container": number,
                       "vessel": imo, "voyage": voyage, "parties": {"trucking": ORG}, **common})
        step = ("customs.released" if n % 4 == 0 else "customs.inspection_ordered" if n % 10 == 1
                else "customs.hold" if n % 20 == 3 else None)
        if step:
            events.append({"id": f"trk-s-{n}", "type": step, "time": at(120 + n / 10), "container": number, **common})
    return events


def build_state(boxes: int) -> tuple[PortState, dict]:
    started = time.perf_counter()
    events = port_traffic(boxes, seed=1)
    line = traffic_line(events, boxes, time.perf_counter() - started)
    state = PortState(PROFILE)
    for event in events + fleet_events(events[len(events) // 2]["time"]):
        state.apply(event, arrival=0.0)
    return state, line


def serve(state: PortState, redis_url: str):
    """The real app on a free loopback port with the state built; the fleet and its member made."""
    config = Config(redis_url=redis_url, port_id="bench-" + uuid.uuid4().hex[:6], clock="event", **ACCESS_CONFIG)
    app = create_app(config, start=False)
    svc = service_of(app)
    svc.store.state = state
    svc.directory.add_org(ORG, "Bench Fleet", "trucking")
    svc.directory.add_account(USER, ORG, PASSWORD)
    port = free_port()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", server.shutdown


def page_ready(base: str, rounds: int, profile: dict) -> list[dict]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(f"{base}/login?lang=en")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", profile)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        samples = []
        for _ in range(rounds):
            page.goto("about:blank")
            page.goto(f"{base}/track?lang=en", wait_until="load", timeout=120_000)
            page.wait_for_function(FCP_RECORDED, timeout=30_000)  # the paint entry may come just after load
            figures = page.evaluate(READY_JS)
            assert figures["rows"] > 0, "the list has no rows"
            figures["ready"] = max(figures["dcl"], figures["fcp"] or 0)
            samples.append(figures)
        browser.close()
        return samples


def server_times(base: str, rounds: int) -> dict:
    """The server's answer, without the network: the list's first page and searches."""
    session = requests.Session()
    landed = log_in(session, base, user=USER, password=PASSWORD)  # requests follows the redirect
    assert landed.status_code == 200 and landed.url.endswith("/track"), landed.url
    paths = {"track": "/track?lang=en", "track_page_20": "/track?lang=en&page=20",
             "search_box": f"/track?lang=en&q={container_number(500, owner='TRK')}",
             "search_ship_name": "/track?lang=en&q=Bench", "box_page": f"/track/box/{container_number(500, owner='TRK')}?lang=en"}
    figures = {}
    for label, path in paths.items():
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            answer = session.get(base + path, allow_redirects=False, headers={"Accept-Encoding": "gzip"}, timeout=30)
            samples.append((time.perf_counter() - started) * 1000)
            assert answer.status_code in (200, 302), (label, answer.status_code)
        figures[label] = {"ms_median": round(statistics.median(samples), 1), "status": answer.status_code,
                          "bytes_sent": int(answer.headers.get("Content-Length", 0)),  # gzipped when large
                          "bytes_html": len(answer.content)}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boxes", type=int, default=100_000, help="the simulator's boxes around the fleet's")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    state, line = build_state(args.boxes)
    print(json.dumps(line), flush=True)
    visits = sum(len(v) for v in state.boxes.values())
    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp)) as redis_server:
        base, stop = serve(state, redis_server.url)
        try:
            print(json.dumps({"server_ms": server_times(base, args.rounds * 3), "fleet_boxes": FLEET_BOXES,
                              "box_visits_in_state": visits}), flush=True)
            for name, profile in PROFILES.items():
                samples = page_ready(base, max(args.rounds, 5), profile)
                ready = [s["ready"] / 1000 for s in samples]
                print(json.dumps({"profile": name, "cpu_slowdown": 4, "network": profile,
                                  "track_ready_s_median": round(statistics.median(ready), 3), "goal_s": 1.5,
                                  "dcl_s_median": round(statistics.median(s["dcl"] for s in samples) / 1000, 3),
                                  "fcp_s_median": round(statistics.median(s["fcp"] or 0 for s in samples) / 1000, 3),
                                  "load_s_median": round(statistics.median(s["load"] for s in samples) / 1000, 3),
                                  "rounds_s": [round(r, 3) for r in ready], "rows": samples[0]["rows"],
                                  "fleet_boxes": FLEET_BOXES, "box_visits_in_state": visits}), flush=True)
        finally:
            stop()


if __name__ == "__main__":
    main()
