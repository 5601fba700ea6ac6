"""The notification worker (docs/notifications.md): one process of all replicas at a time, the
holder of the `notify` lease (dashboard/lease.py), as the DCSA deliverer.

Two threads:
- the reader follows the event log after its own cursor (kept in Redis, so a restart or another
  replica carries on where it stopped), waits until this replica's state has applied each entry,
  turns the entries into milestones, and enqueues one live notice per watcher and one delivery
  per channel of the watchers' organisations (each at most once: dashboard/notify/outbox.py).
  On a timer it looks for vessels newly delayed.
- the sender claims due deliveries from the outbox and sends them on a small pool: a 2xx (and
  a robot's `errcode` 0) takes one out; a failure is retried with the DCSA deliveries' backoff
  (feeds/delivery_state.py) until it is given up after `notify_attempts` tries.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import orjson
import requests

from dashboard.notify.audience import plan_milestone
from dashboard.notify.channels import ChannelStore
from dashboard.notify.live import LiveNotices
from dashboard.notify.metrics import NotifyMetrics
from dashboard.notify.milestones import delayed_milestone, milestones
from dashboard.notify.outbox import Outbox, attempt_record
from dashboard.notify.senders import Outgoing, SmtpSettings, send
from dashboard.notify.watches import WatchStore
from dashboard.state.delays import delayed_calls
from feeds.consumer import parse_id
from feeds.delivery_state import RetryRules, after_failure
from feeds.redis_client import STORE_ERRORS
from feeds.subscriptions import CallbackPolicy

log = logging.getLogger(__name__)

READ_ENTRIES = 500
BLOCK_MS = 200
RENEW_SECONDS = 1.0
SENDERS = 16  # deliveries sent at once
IN_FLIGHT = 64  # claimed and not yet finished: one claim takes up to this many (fewer Redis round trips)
CHANNELS_SECONDS = 1.0  # an organisation's channels are read again after this long (a removal counts soon)


class NotifyWorker:
    def __init__(self, svc, *, lease, policy: CallbackPolicy, rules: RetryRules):
        config = svc.config
        self.svc, self.lease, self.policy, self.rules = svc, lease, policy, rules
        self.client, keep = svc.redis, config.notify_keep_days * 86400
        self.watches = WatchStore(self.client, config.port_id)
        self.channels = ChannelStore(self.client, config.port_id, policy)
        self.outbox = Outbox(self.client, config.port_id, keep_seconds=keep, log_size=config.notify_log_size)
        self.live = LiveNotices(self.client, config.port_id, keep, cap=config.notify_notices)
        self.smtp = SmtpSettings(config.smtp_url, config.smtp_from)
        self.metrics = NotifyMetrics(self.outbox)
        self.holding = False
        self._checked_delays = 0.0
        self._stop, self._due = threading.Event(), threading.Event()
        self._slots = threading.Semaphore(IN_FLIGHT)
        self._channels_read: dict[str, tuple[float, list]] = {}
        self._pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="notify-send")
        self._local = threading.local()
        self._threads: list[threading.Thread] = []

    def start(self) -> "NotifyWorker":
        for name, target in (("notify-read", self._read_loop), ("notify-send", self._send_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """Sends under way finish and are recorded first: a clean stop sends nothing twice."""
        self._stop.set()
        self._due.set()
        for thread in self._threads:
            thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self.holding:
            try:
                self.lease.release()
            except STORE_ERRORS:
                pass  # it expires by itself

    # -- reading the log ----------------------------------------------------------------------
    def _read_loop(self) -> None:
        renewed = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - renewed >= RENEW_SECONDS:
                    renewed = time.monotonic()
                    self._hold(self.lease.take())
                if not self.holding:
                    self._stop.wait(RENEW_SECONDS)
                    continue
                self._read_once()
                self._check_delays()
            except STORE_ERRORS as exc:
                log.warning("notifications: %s: %s; trying again", type(exc).__name__, exc)
                self._stop.wait(RENEW_SECONDS)
            except Exception:  # a bug must not end notifications: say so, go on
                log.exception("notifications failed")
                self._stop.wait(RENEW_SECONDS)

    def _hold(self, holding: bool) -> None:
        if holding and not self.holding:
            log.info("notifications: this process sends them now (%d claimed put back)", self.outbox.recover())
            self._due.set()
        elif self.holding and not holding:
            log.info("notifications: this process no longer sends them")
        self.holding = holding

    def _cursor(self) -> str:
        """Where the worker stands; the first one ever starts at the log's head (no history)."""
        keys = self.outbox.keys
        cursor = self.client.get(keys.notify_cursor)
        if cursor is not None:
            return cursor.decode()
        newest = self.client.xrevrange(keys.events, count=1)
        if not newest:  # an empty log (a new port, a demo reset): nothing written until there is
            return "0-0"
        self.client.set(keys.notify_cursor, newest[0][0].decode(), nx=True)
        return self.client.get(keys.notify_cursor).decode()

    def _read_once(self) -> None:
        keys = self.outbox.keys
        reply = self.client.xread({keys.events: self._cursor()}, count=READ_ENTRIES, block=BLOCK_MS)
        entries = [(sid.decode(), fields.get(b"event")) for _key, found in reply or [] for sid, fields in found]
        if not entries:
            return
        last = entries[-1][0]
        while parse_id(self.svc.store.state.last_stream_id) < parse_id(last):  # this replica's state first
            if self._stop.wait(0.01) or not self.holding:
                return
        plans = []
        with self.svc.store.lock:
            state = self.svc.store.state
            for _sid, raw in entries:
                plans += self._plans(state, _event(raw))
        self._enqueue(plans)
        self.client.set(keys.notify_cursor, last)

    def _plans(self, state, event: dict | None) -> list:
        if event is None:
            return []
        found = []
        for milestone in milestones(event, state):
            plan = plan_milestone(state, milestone, self.watches, self.svc.directory, self.svc.config.users)
            if plan is not None:
                found.append(plan)
        return found

    def _check_delays(self) -> None:
        """Every delayed call with watchers, each time: the outbox's dedupe tells each watcher once,
        also one who began watching after the delay began, and across restarts."""
        if time.monotonic() - self._checked_delays < self.svc.config.notify_delay_check_seconds:
            return
        self._checked_delays = time.monotonic()
        with self.svc.store.lock:
            state, now = self.svc.store.state, self.svc.port_now()
            delayed = delayed_calls(state, now)
            plans = [plan_milestone(state, delayed_milestone(state.calls[key], reasons, now), self.watches,
                                    self.svc.directory, self.svc.config.users)
                     for key, reasons in delayed.items() if key in state.calls]
        self._enqueue([plan for plan in plans if plan is not None])

    def _enqueue(self, plans: list) -> None:
        if not plans:
            return
        channels: dict[str, list] = {}
        pipe, live = self.client.pipeline(transaction=False), []
        for plan in plans:
            for user in plan.users:
                self.live.add(user, plan.notice, pipe=pipe)
                live.append(True)
            for org in plan.orgs:
                if org not in channels:
                    channels[org] = self.channels.of(org)
                for channel in channels[org]:
                    self.outbox.enqueue(org, channel, plan.notice, pipe=pipe,
                                        digest_unit_seconds=self.svc.config.notify_digest_unit_seconds)
                    live.append(False)
        added = pipe.execute()
        self.metrics.raised(sum(1 for a, is_live in zip(added, live) if a and is_live),
                            sum(1 for a, is_live in zip(added, live) if a and not is_live))
        self._due.set()

    # -- sending ------------------------------------------------------------------------------
    def _send_loop(self) -> None:
        while not self._stop.is_set():
            self._due.wait(0.25)
            self._due.clear()
            if not self.holding or self._stop.is_set():
                continue
            try:
                self._send_due()
            except STORE_ERRORS as exc:
                log.warning("notifications not sent: %s: %s", type(exc).__name__, exc)
                self._stop.wait(RENEW_SECONDS)
            except Exception:
                log.exception("notifications not sent")
                self._stop.wait(RENEW_SECONDS)

    def _send_due(self) -> None:
        free = 0
        while self._slots.acquire(blocking=False):
            free += 1
        claimed = []
        try:
            claimed = self.outbox.claim(limit=free) if free else []
        finally:
            for _ in range(free - len(claimed)):  # the slots not used
                self._slots.release()
        for body in claimed:
            self._pool.submit(self._deliver_safely, body)
        if len(claimed) == free and free:
            self._due.set()  # more may be due

    def _deliver_safely(self, body: dict) -> None:
        try:
            self._deliver(body)
        except STORE_ERRORS as exc:  # left claimed: sent again after the visibility timeout
            log.warning("notification %s not recorded: %s", body["id"], exc)
        except Exception:
            log.exception("notification %s failed", body["id"])
        finally:
            self._slots.release()
            self._due.set()

    def _channels_of(self, org: str) -> list[dict]:
        read_at, found = self._channels_read.get(org, (-CHANNELS_SECONDS, None))
        if found is None or time.monotonic() - read_at >= CHANNELS_SECONDS:
            found = self.channels.of(org)
            self._channels_read[org] = (time.monotonic(), found)
        return found

    def _deliver(self, body: dict) -> None:
        channel = next((c for c in self._channels_of(body["org"]) if c["id"] == body["channel"]), None)
        started = time.time()
        if channel is None or not body["items"]:  # removed meanwhile, or a digest emptied by a reset
            self.outbox.done(body, attempt_record(body, channel, started, None, "nothing to send", "dropped"))
            return
        status, error = self._send(channel, body)
        if error is None:
            self.outbox.done(body, attempt_record(body, channel, started, status, None, "delivered"))
            self.metrics.sent(channel["kind"])
            return
        self.metrics.failed(channel["kind"])
        changes = after_failure(body, started, self.rules)
        if "parked_at" in changes:
            log.warning("notification %s to %s given up after %s attempts: %s", body["notice"], channel["id"],
                        changes["attempts"], error)
            self.outbox.done(body, attempt_record(body, channel, started, status, error, "given_up"))
            return
        self.outbox.retry(body, changes, attempt_record(body, channel, started, status, error, "failed"))

    def _send(self, channel: dict, body: dict) -> tuple:
        if channel["kind"] != "email":
            refusal = self.policy.refusal(channel["url"])
            if refusal:
                return None, f"url refused: {refusal}"
        notice = body["notice"] if not body.get("digest") else body["id"].partition(":")[2]
        out = Outgoing(notice, body["items"], bool(body.get("digest")), self.svc.config.notify_base_url)
        return send(self._session(), self.smtp, channel, out)

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            self._local.session.trust_env = False  # the policy checked this address, not a proxy's
        return self._local.session


def _event(raw: bytes | None) -> dict | None:
    try:
        event = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "type" in event and "time" in event else None
