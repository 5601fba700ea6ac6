"""Wall benchmarks in headless Chromium (docs/benchmarks.md).

    python -m bench.wall latency [--samples N] [--walls W]   publish → visible in #ticker, under load
    python -m bench.wall heap [--minutes M]                   browser JS heap with the demo at ×600

`latency`: a real service (`run.py --no-simulator`, its embedded Redis) and a background load of
1,000 declarations a second (counted by the wall, never listed); every half second a marker gate
lift is published and a MutationObserver in the page stamps when its `data-event-id` appears in
`#ticker` (same machine, same clock). Also the service's CPU over 20 s with 1 wall and with W.
`heap`: `performance.memory.usedJSHeapSize` every 30 s while the demo runs at ×600.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import redis
from playwright.sync_api import sync_playwright

from feeds.publisher import Publisher
from tests.e2e.conftest import CHROMIUM_ARGS, open_wall
from tests.helpers import container_number, log_in
from tests.process import ServiceProcess

OBSERVER = """() => { window.__seen = {}; new MutationObserver(() => {
  document.querySelectorAll('#ticker [data-event-id^="probe-"]').forEach(li => {
    const id = li.getAttribute('data-event-id');
    if (!(id in window.__seen)) window.__seen[id] = performance.timeOrigin + performance.now(); });
}).observe(document.body, {childList: true, subtree: true}); }"""


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def background_load(publisher: Publisher, stop: threading.Event, per_second: int = 1000) -> None:
    n = 0
    while not stop.is_set():
        started = time.monotonic()
        for _ in range(20):  # 20 batches a second
            publisher.publish([{"id": f"load-{n + i}", "type": "declaration.filed", "time": now_text(),
                                "source": "customs.xiamen", "data": {"declaration": f"D{n + i}"}}
                               for i in range(per_second // 20)])
            n += per_second // 20
            time.sleep(max(0.0, started + 0.05 * (_ + 1) - time.monotonic()))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_share(pid: int, seconds: float = 20) -> float:
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def latency(samples: int, walls: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        service = ServiceProcess(Path(tmp)).start()
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        stop = threading.Event()
        try:
            publisher = Publisher(redis.Redis.from_url(service.redis_record()["url"]), "xiamen")
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            open_wall(page, service.base)  # the display token, as a wall screen starts
            page.wait_for_selector("#ticker", state="attached")
            page.evaluate(OBSERVER)
            threading.Thread(target=background_load, args=(publisher, stop), daemon=True).start()
            time.sleep(3)
            sent = {}
            for n in range(samples):
                event_id = f"probe-{n}"
                sent[event_id] = time.time() * 1000
                publisher.publish([{"id": event_id, "type": "gate.in", "time": now_text(), "source": "trucking.x",
                                    "container": container_number(n), "direction": "export"}])
                time.sleep(0.5)
            time.sleep(2)
            seen = page.evaluate("window.__seen")
            delays = sorted(seen[i] - sent[i] for i in sent if i in seen)
            cpu_one = cpu_share(service.worker_pid())
            others = [browser.new_page() for _ in range(walls - 1)]
            for other in others:  # each page is a browser context of its own: each opens with the token
                open_wall(other, service.base)
            time.sleep(3)
            cpu_many = cpu_share(service.worker_pid())
        finally:
            stop.set()
            browser.close()
            service.close()
    return {"samples": len(sent), "seen": len(delays), "p50_ms": round(statistics.median(delays), 1),
            "p99_ms": round(delays[min(len(delays) - 1, int(len(delays) * 0.99))], 1), "max_ms": round(delays[-1], 1),
            "goal_p50_ms": 100, "goal_p99_ms": 300, "load_events_per_s": 1000,
            "service_cpu_share_1_wall": round(cpu_one, 3), f"service_cpu_share_{walls}_walls": round(cpu_many, 3)}


def heap(minutes: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        service = ServiceProcess(Path(tmp), args=()).start()
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=CHROMIUM_ARGS + ["--enable-precise-memory-info"])
        try:
            import requests
            manager = requests.Session()  # the demo's commands are a manager's
            log_in(manager, service.base).raise_for_status()
            manager.post(service.base + "/api/v1/demo", json={"action": "speed", "speed": 600},
                         timeout=30).raise_for_status()
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            open_wall(page, service.base)
            page.wait_for_selector("#ticker", state="attached")
            readings, end = [], time.monotonic() + minutes * 60
            while time.monotonic() < end:
                time.sleep(30)
                readings.append(page.evaluate("performance.memory.usedJSHeapSize") / 1e6)
        finally:
            browser.close()
            service.close()
    half = len(readings) // 2
    return {"minutes": minutes, "heap_mb": [round(r, 1) for r in readings],
            "first_half_max_mb": round(max(readings[:half]), 1), "second_half_max_mb": round(max(readings[half:]), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("latency", "heap"))
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--walls", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    print(json.dumps(latency(args.samples, args.walls) if args.what == "latency" else heap(args.minutes)))


if __name__ == "__main__":
    main()
