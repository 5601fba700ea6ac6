"""The wall across restarts of the service: a new process counts its updates from 0 again, and the
same page (never reloaded) must take them, say honestly how fresh it is while it waits, and never
show LIVE over data it does not have.

A page-side sampler records every 100 ms what the screen shows (the LIVE badge's class and text,
the banner, the markers in the ticker); the rules are checked on those samples afterwards:
- LIVE is never shown while a marker published more than 10 s earlier is missing from the page;
- LIVE is never shown while the service is down (its socket cannot be up);
- a marker published while the service was down is on the page within 10 s of the new process
  answering /healthz;
- while a restarted service works through a backlog the badge says "catching up" (amber, no red
  banner), and LIVE comes back once it has caught up.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from datetime import datetime, timezone

import pytest
import redis
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from feeds.publisher import Publisher
from layouts import ids
from layouts.i18n import text
from tests.e2e.conftest import open_wall as open_wall_with_token, screenshot
from tests.helpers import auth, container_number, wait_for

pytestmark = pytest.mark.e2e

FRESH_SECONDS = 10        # a marker older than this must be on the page whenever LIVE is shown
DELIVERY_SECONDS = 10     # service answering /healthz → the marker on the same page
SOCKET_GRACE_MS = 1000    # the process has exited: the page knows within this
DOWN_SAMPLED_MS = 1000    # and then stays down at least this long, sampled all the while
SEQ_WELL_INTO_HUNDREDS = 300
BACKLOG_EVENTS = 450_000  # catching up outlasts the page's reconnection (at most 3 s: layouts/wall.py)
CATCH_UP_SECONDS = 45
ENV = {"DP_PARTNER_RATE_LIMIT": "100000 per minute"}  # the feed below is one partner's 20 requests a second

SAMPLER = """() => {
  window.__samePage = window.__samePage || Math.random().toString(36).slice(2);
  window.__samples = [];
  clearInterval(window.__sampler);
  window.__sampler = setInterval(() => {
    const badge = document.getElementById('%(badge)s'), banner = document.getElementById('%(banner)s');
    const markers = Array.from(document.querySelectorAll('#%(ticker)s [data-event-id^="marker-"]'))
      .map((li) => li.getAttribute('data-event-id'));
    window.__samples.push({t: Date.now(), cls: badge.className, text: badge.textContent,
                           banner: banner.hidden ? null : banner.textContent, markers: markers});
  }, 100);
  return window.__samePage;
}""" % {"badge": ids.LIVE_BADGE, "banner": ids.STALE_BANNER, "ticker": ids.TICKER}

# a server that is away refuses the socket's attempts: the browser logs each; nothing else may show
CONNECTION_REFUSED = re.compile(r"^Failed to load resource: net::ERR_CONNECTION_REFUSED$|"
                                r"^WebSocket connection to 'ws://127\.0\.0\.1:\d+/socket\.io/")


def now_text() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def now_ms() -> float:
    return time.time() * 1000


def live(sample: dict) -> bool:
    """Anything not marked stale or catching up counts as LIVE."""
    classes = sample["cls"].split()
    return "is-stale" not in classes and "is-catching-up" not in classes


def badge_state(page) -> dict:
    return page.evaluate(f"""(() => {{ const b = document.getElementById('{ids.LIVE_BADGE}');
        return {{cls: b.className, text: b.textContent}}; }})()""")


def wall_is_live(page) -> bool:
    return live(badge_state(page)) and page.evaluate(f"document.getElementById('{ids.STALE_BANNER}').hidden")


def shown(page) -> dict:
    return page.evaluate("window.__wallShown || {}")


class Feed:
    """A partner sending small batches of gate lifts as fast as the wall takes updates (~20 a second)."""

    def __init__(self, base: str):
        self.base, self.sent, self.errors = base, 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Feed":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        session = requests.Session()
        while not self._stop.wait(0.05):
            batch = [{"id": f"feed-{self.sent + i}", "type": "gate.in", "time": now_text(), "source": "trucking.x",
                      "container": container_number(self.sent + i), "direction": "export",
                      "data": {"gate": "HT-G1"}} for i in range(3)]
            try:
                response = session.post(self.base + "/api/v1/events", json=batch, headers=auth(), timeout=10)
            except requests.RequestException as exc:
                self.errors.append(repr(exc))
                continue
            if response.status_code != 202:
                self.errors.append(f"{response.status_code} {response.text[:200]}")
            self.sent += len(batch)


class Frames:
    """What the service sent the page over its websocket (updates and heartbeats): the epochs, and
    the latest fast update's seq in the current one."""

    def __init__(self, page):
        self.epoch, self.seq, self.epochs, self.beat = None, 0, [], None
        page.on("websocket", lambda ws: ws.on("framereceived", self.received))

    def received(self, frame) -> None:
        if not isinstance(frame, str) or not frame.startswith(('42["fast",', '42["heartbeat",')):
            return
        kind, payload = json.loads(frame[2:])
        if payload.get("epoch") != self.epoch:
            self.epoch, self.seq = payload.get("epoch"), 0
            self.epochs.append(self.epoch)
        self.seq = max(self.seq, payload.get("seq" if kind == "fast" else "fast_seq") or 0)
        if kind == "heartbeat":
            self.beat = payload


def diagnosis(page, frames: Frames) -> str:
    return (f"badge {badge_state(page)}, the page shows {shown(page)}, the service sent {frames.epochs}, "
            f"last heartbeat {frames.beat}")


def feed_until_seq(page, frames: Frames, base: str, seq: int, timeout: float) -> int:
    """Several minutes' worth of a busy port's updates, in as many seconds as it takes; → the seq
    the process reached."""
    deadline = time.monotonic() + timeout
    with Feed(base) as feed:
        while frames.seq < seq and time.monotonic() < deadline:
            page.wait_for_timeout(200)  # Playwright hands over the frames while it is called
    assert frames.seq >= seq, f"the service sent {frames.seq} updates in {timeout} s, not {seq}"
    assert not feed.errors, feed.errors[:3]
    last = f"feed-{feed.sent - 1}"
    page.wait_for_selector(f'#{ids.TICKER} [data-event-id="{last}"]', state="attached", timeout=10_000)
    return frames.seq


def marker(name: str) -> dict:
    return {"id": f"marker-{name}", "type": "gate.in", "time": now_text(), "source": "trucking.x",
            "container": container_number(900_000 + len(name)), "direction": "import", "data": {"gate": "HT-G2"}}


def open_wall(page, base: str) -> None:
    open_wall_with_token(page, base, "lang=en")
    page.wait_for_selector(f"#{ids.LIVE_BADGE}", state="attached")
    page.wait_for_selector(f"#{ids.TICKER}", state="attached")


def marker_shown(page, event_id: str, seconds: float) -> bool:
    try:
        page.wait_for_selector(f'#{ids.TICKER} [data-event-id="{event_id}"]', state="attached", timeout=seconds * 1000)
    except PlaywrightTimeout:
        return False
    return True


def wait_live(page, timeout: float, what: str) -> None:
    wait_for(lambda: wall_is_live(page), timeout=timeout, interval=0.1, what=what)


def start_sampling(page) -> str:
    return page.evaluate(SAMPLER)


def samples_of(page, token: str) -> list[dict]:
    assert page.evaluate("window.__samePage") == token, "the page was reloaded"
    return page.evaluate("clearInterval(window.__sampler), window.__samples")


def assert_never_live_over_missing_markers(samples: list[dict], published: dict[str, float]) -> None:
    for sample in samples:
        if not live(sample):
            continue
        overdue = [m for m, at in published.items() if sample["t"] - at > FRESH_SECONDS * 1000 and m not in sample["markers"]]
        assert not overdue, (f"LIVE shown at {sample['t']:.0f} ({sample['text']!r}) while {overdue} published "
                             f"more than {FRESH_SECONDS} s earlier were missing from the page")


def assert_not_live_while_down(samples: list[dict], down_from: float, down_to: float) -> None:
    during = [s for s in samples if down_from + SOCKET_GRACE_MS <= s["t"] <= down_to]
    assert during, "no samples while the service was down"
    shown_live = [s for s in during if live(s)]
    assert not shown_live, f"LIVE shown while the service was down: {shown_live[:2]}"
    assert all(s["banner"] for s in during), "the stale banner was not up the whole time the service was down"


def unexpected_console_errors(page) -> list[str]:
    return [e for e in page.console_errors if not CONNECTION_REFUSED.search(e)]


@pytest.fixture
def services(tmp_path, redis_url, port_id, start_service):
    """Services on one Redis and port namespace (the log, the snapshot): one after the other."""
    def start(**kwargs):
        return start_service(tmp_path, redis_url=redis_url, port_id=port_id, extra_env=ENV, **kwargs)
    publisher = Publisher(redis.Redis.from_url(redis_url), port_id)
    return start, publisher


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_a_restarted_service_reaches_the_same_page_and_live_never_covers_missing_data(services, page, how):
    start, publisher = services
    first = start()
    frames = Frames(page)
    open_wall(page, first.base)
    wait_live(page, 15, "a fresh wall to show LIVE")
    seq_before = feed_until_seq(page, frames, first.base, SEQ_WELL_INTO_HUNDREDS, timeout=45)
    wait_live(page, 10, "LIVE after the feed")
    token = start_sampling(page)

    first.signal(how)
    down_at = now_ms()
    name = {signal.SIGTERM: "sigterm", signal.SIGKILL: "kill9"}[how]
    event = marker(name)
    published_at = now_ms()
    assert publisher.publish([event])[0], "the marker was not appended to the log"
    # down long enough to see the page while it is: a new process can answer in under a second
    page.wait_for_timeout(max(0, down_at + SOCKET_GRACE_MS + DOWN_SAMPLED_MS - now_ms()))
    second = start(http_port=first.http_port)
    up_at = now_ms()
    delivered = marker_shown(page, event["id"], DELIVERY_SECONDS)
    delivered_at = now_ms()
    if delivered:
        wait_live(page, 10, "LIVE once the restarted service's data is shown")
    else:
        screenshot(page, f"wall-restart-{name}-marker-missing")
    samples = samples_of(page, token)

    print(f"{how.name}: seq {seq_before} before; marker on the page {(delivered_at - up_at) / 1000:.1f} s after "
          f"/healthz answered, {(delivered_at - published_at) / 1000:.1f} s after it was published")
    assert_not_live_while_down(samples, down_at, up_at)
    assert_never_live_over_missing_markers(samples, {event["id"]: published_at})
    assert delivered and delivered_at - up_at <= DELIVERY_SECONDS * 1000, (
        f"the marker published while the service was down ({how.name}) did not reach the same page within "
        f"{DELIVERY_SECONDS} s of the new process answering /healthz; {diagnosis(page, frames)}; "
        f"its log: {second.log()}")
    deadline = time.monotonic() + 5
    while len(frames.epochs) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)  # the new process's heartbeats, over the websocket
    assert len(frames.epochs) == 2 and frames.seq < seq_before, \
        f"the new process should count its updates from 0 again (or the test proves nothing): {frames.epochs}, " \
        f"{frames.seq} after {seq_before}"
    assert unexpected_console_errors(page) == []
    assert second.health()["consumer"]["caught_up"]


def test_a_restarted_service_with_a_backlog_shows_catching_up_then_live(services, page):
    start, publisher = services
    first = start()
    frames = Frames(page)
    open_wall(page, first.base)
    wait_live(page, 15, "a fresh wall to show LIVE")
    feed_until_seq(page, frames, first.base, 100, timeout=20)
    token = start_sampling(page)

    first.signal(signal.SIGTERM)
    down_at = now_ms()
    stamp = now_text()
    for start_at in range(0, BACKLOG_EVENTS, 5000):  # another ingest worker kept taking events
        publisher.publish([{"id": f"decl-{i}", "type": "declaration.filed", "time": stamp, "source": "customs.xiamen",
                            "data": {"declaration": f"D{i:07d}"}}
                           for i in range(start_at, min(BACKLOG_EVENTS, start_at + 5000))])
    event = marker("after-backlog")
    published_at = now_ms()
    assert publisher.publish([event])[0]
    second = start(http_port=first.http_port)
    up_at = now_ms()
    catching_up = text("badge_catching_up", "en").split("{n}")
    pattern = re.compile(re.escape(catching_up[0]) + r"\d+" + re.escape(catching_up[1]))
    delivered = marker_shown(page, event["id"], CATCH_UP_SECONDS)
    if delivered:
        wait_live(page, 10, "LIVE once the backlog is applied and the marker shown")
    samples = samples_of(page, token)
    assert delivered, (f"the marker published after a backlog of {BACKLOG_EVENTS} events did not reach the page "
                       f"within {CATCH_UP_SECONDS} s; the service: {second.health()['consumer']}, "
                       f"{second.health()['last_stream_id']}; {diagnosis(page, frames)}; its log: {second.log()}")

    reconnected = [s for s in samples if s["t"] > up_at and "is-catching-up" in s["cls"].split()]
    assert reconnected, "the badge never said catching up while the restarted service worked through its backlog"
    counting = [s for s in reconnected if pattern.fullmatch(s["text"])]
    assert counting, f"the catching-up badge did not say how far behind it is: {reconnected[0]['text']!r}"
    assert all(s["banner"] is None for s in counting), "catching up is not a failure: no red banner"
    first_marker = next(s["t"] for s in samples if event["id"] in s["markers"])
    print(f"backlog: catching up shown {len(reconnected) / 10:.1f} s ({counting[0]['text']!r} … "
          f"{counting[-1]['text']!r}); marker shown {(first_marker - up_at) / 1000:.1f} s after /healthz answered")
    early_live = [s for s in samples if up_at <= s["t"] < first_marker and live(s)]
    assert not early_live, f"LIVE shown before the backlog and the marker were applied: {early_live[:2]}"
    assert second.health()["consumer"]["caught_up"]
    assert_not_live_while_down(samples, down_at, up_at)
    assert_never_live_over_missing_markers(samples, {event["id"]: published_at})
    assert unexpected_console_errors(page) == []


def test_a_page_that_missed_updates_asks_for_the_full_state_and_shows_it(services, page):
    """An update lost on the way (here: the socket frame carrying it is dropped) while the heartbeat
    says it was sent: the page reconnects for the full state, without a reload, before any banner."""
    start, _ = services
    service = start()
    event, lost = marker("lost"), []

    def route(ws):  # the wall's socket, through a proxy that loses the first update with the marker
        server = ws.connect_to_server()

        def from_server(message):
            if not lost and isinstance(message, str) and message.startswith('42["fast"') and event["id"] in message:
                lost.append(message)
                return
            ws.send(message)
        server.on_message(from_server)
        ws.on_message(server.send)

    page.route_web_socket(re.compile(r"/socket\.io/"), route)
    open_wall(page, service.base)
    wait_live(page, 15, "a fresh wall to show LIVE")
    token = start_sampling(page)
    response = requests.post(service.base + "/api/v1/events", json=event, headers=auth(), timeout=10)
    assert response.status_code == 202
    published_at = now_ms()
    deadline = time.monotonic() + 10
    while not lost and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # the routed socket's messages move while Playwright is called
    assert lost, "the update with the marker did not come over the websocket (the test proves nothing)"
    page.wait_for_selector(f'#{ids.TICKER} [data-event-id="{event["id"]}"]', state="attached", timeout=15_000)
    delivered_at = now_ms()
    wait_live(page, 10, "LIVE once the full state is shown")
    samples = samples_of(page, token)
    assert delivered_at - published_at <= FRESH_SECONDS * 1000, "the page did not get the full state in time"
    assert any("is-syncing" in s["cls"].split() for s in samples), "the badge never said it was syncing"
    assert not any(s["banner"] for s in samples), "a page that resynced in time shows no red banner"
    assert_never_live_over_missing_markers(samples, {event["id"]: published_at})
    assert unexpected_console_errors(page) == []
