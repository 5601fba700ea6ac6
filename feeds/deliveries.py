"""Pushing the port's DCSA events to subscribers' callbacks (docs/dcsa.md, "Subscriptions").

One process at a time delivers (it holds a lease). Its loop reads new log entries as they come
(XREAD BLOCK), maps each once to a DCSA event (`feeds.dcsa_out.to_dcsa`) into a window of recent
entries, and hands every subscription that has something new to a pool of senders. A sender
takes the entries after the subscription's position (from the window, or from the log when the
subscription is further behind), keeps those that match its filters, POSTs them as one JSON
array signed with its secret, and moves the position past them only after a 2xx. One delivery
per subscription at a time: each subscriber gets its events in log order, so every box's events
in the order they happened. A failure is retried with backoff; failing on, the subscription is
parked until someone replays it (feeds/delivery_state.py).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from feeds.consumer import parse_id
from feeds.delivery_batches import Batch, LogWindow, Retracted, collect, map_entry
from feeds.delivery_state import DeliveryBook, RetryRules, after_failure, after_success, sign
from feeds.events import utc_text
from feeds.redis_client import STORE_ERRORS
from feeds.subscriptions import CallbackPolicy, SubscriptionStore, filters_of

log = logging.getLogger(__name__)

READ_ENTRIES = 1000  # log entries looked at per delivery
TIMEOUT = (5.0, 10.0)  # connect, read: a subscriber has 10 s to answer
RENEW_SECONDS = 1.0  # how often the lease is renewed (it lasts far longer: dashboard/deliverer.py)
REFRESH_SECONDS = 0.25  # subscriptions and their states re-read: a new one gets its first events this soon
BLOCK_MS = 200
ANSWER_BYTES = 64 * 1024  # of a subscriber's answer, read at most (its status is what counts)


def _drain(answer: requests.Response) -> None:
    """Read a short answer to its end, so its connection serves the next delivery; a long one is
    cut (its connection closed): only the status counts."""
    read = 0
    for chunk in answer.iter_content(8192):
        read += len(chunk)
        if read > ANSWER_BYTES:
            break


@dataclass
class Watched:
    """What the loop knows of one subscription between two refreshes: whether to send it work."""
    cursor: str
    next_at: float = 0.0
    parked: bool = False


class Deliverer:
    """`retracted`: asks which port events their senders took back (the web replica's state)."""

    def __init__(self, client, port_id: str, *, lease, policy: CallbackPolicy, rules: RetryRules,
                 locode: str | None = None, retracted: Retracted | None = None, workers: int = 8):
        self.client, self.lease, self.policy, self.rules, self.locode = client, lease, policy, rules, locode
        self.retracted = retracted
        self.store = SubscriptionStore(client, port_id)
        self.book = DeliveryBook(client, port_id)
        self.keys = self.store.keys
        self.watched: dict[str, Watched] = {}
        self.busy: set[str] = set()
        self.window: LogWindow | None = None
        self.holding = False
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="delivery")
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._thread: threading.Thread | None = None

    def start(self) -> "Deliverer":
        self._thread = threading.Thread(target=self._run, name="deliverer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 20.0) -> None:
        """Deliveries under way finish (and are recorded) first: a clean stop sends nothing twice."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        for session in self._sessions:
            session.close()
        if self.holding:
            try:
                self.lease.release()
            except STORE_ERRORS:
                pass  # it expires by itself

    def _run(self) -> None:
        renewed = refreshed = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - renewed >= RENEW_SECONDS:
                    renewed = time.monotonic()
                    self._hold(self.lease.take())
                if not self.holding:
                    self._stop.wait(RENEW_SECONDS)
                    continue
                if time.monotonic() - refreshed >= REFRESH_SECONDS:
                    refreshed = time.monotonic()
                    self._refresh()
                if not self.watched:  # nobody to deliver to: the log is not even read
                    self.window = None
                    self._stop.wait(REFRESH_SECONDS)
                    continue
                self._read_new()
                for sid in list(self.watched):
                    self._submit(sid)
            except STORE_ERRORS as exc:
                log.warning("deliveries: %s: %s; trying again", type(exc).__name__, exc)
                self._stop.wait(RENEW_SECONDS)
            except Exception:  # a bug must not end deliveries: say so, go on
                log.exception("deliveries failed")
                self._stop.wait(RENEW_SECONDS)

    def _hold(self, holding: bool) -> None:
        if holding != self.holding:
            log.info("deliveries: this process %s", "delivers now" if holding else "no longer delivers")
            self.window = None  # taken again, the log is read anew from its head
        self.holding = holding

    def _refresh(self) -> None:
        sids = self.store.ids()
        states = self.book.states(sids)
        with self.lock:
            for sid in set(self.watched) - set(sids):
                del self.watched[sid]
            for sid in sids:
                if sid in self.busy:
                    continue  # its sender tells where it stands when done
                state = states[sid]
                self.watched[sid] = Watched(state.get("cursor") or "0-0", float(state.get("next_at") or 0),
                                            bool(state.get("parked_at")))

    def _read_new(self) -> None:
        if self.window is None:  # from the log's head on; whoever stands before it reads the log
            newest = self.client.xrevrange(self.keys.events, count=1)
            self.window = LogWindow(newest[0][0].decode() if newest else "0-0")
        reply = self.client.xread({self.keys.events: self.window.last}, count=READ_ENTRIES, block=BLOCK_MS)
        for _key, entries in reply or []:
            self.window.extend([map_entry(sid.decode(), fields.get(b"event", b""), self.locode)
                                for sid, fields in entries])

    def _submit(self, sid: str) -> None:
        window = self.window
        with self.lock:
            sub = self.watched.get(sid)
            if (sub is None or window is None or sid in self.busy or sub.parked or time.time() < sub.next_at
                    or parse_id(sub.cursor) >= parse_id(window.last) or self._stop.is_set()):
                return
            self.busy.add(sid)
        try:
            self._pool.submit(self._deliver_safely, sid)
        except RuntimeError:  # the pool is shutting down: stopping
            with self.lock:
                self.busy.discard(sid)

    def _deliver_safely(self, sid: str) -> None:
        try:
            self._deliver(sid)
        except STORE_ERRORS as exc:  # nothing moved: tried again from the same place in a while
            log.warning("delivery to %s not recorded: %s", sid, exc)
            self._note(sid, next_at=time.time() + RENEW_SECONDS)
        except Exception:
            log.exception("delivery to %s failed", sid)
            self._note(sid, next_at=time.time() + RENEW_SECONDS)
        finally:
            with self.lock:
                self.busy.discard(sid)
        if self.holding:
            self._submit(sid)  # more may have come meanwhile

    def _deliver(self, sid: str) -> None:
        """Read afresh: the callback, secret and filters may have changed a moment ago."""
        definition, state = self.store.get(sid), self.book.state(sid)
        if definition is None or not state or state.get("parked_at") or not self.holding:
            return
        cursor = state.get("cursor") or "0-0"
        window = self.window
        entries = window.after(cursor, READ_ENTRIES) if window is not None else None
        if entries is None:  # further behind than the window: from the log itself
            entries = [map_entry(s.decode(), f.get(b"event", b""), self.locode)
                       for s, f in self.client.xrange(self.keys.events, min=f"({cursor}", count=READ_ENTRIES)]
        batch = collect(entries, filters_of(definition), cursor)
        if batch.events and self.retracted is not None:
            batch.drop(self.retracted(batch.keys))
        if batch.events:
            self._send(sid, definition, state, batch)
        elif self.book.commit(sid, {"cursor": batch.end}):  # nothing for this one: move past
            self._note(sid, cursor=batch.end)

    def _send(self, sid: str, definition: dict, state: dict, batch: Batch) -> None:
        started = time.time()
        status, error = self._post(sid, definition, batch.body())
        record = {"at": utc_text(started), "events": len(batch.events), "status": status, "error": error,
                  "ms": round((time.time() - started) * 1000, 1), "attempt": int(state.get("attempts") or 0) + 1,
                  "firstEventID": batch.events[0]["eventID"], "lastEventID": batch.events[-1]["eventID"]}
        if status is not None and 200 <= status < 300:
            self.book.commit(sid, after_success(batch.end), {**record, "outcome": "delivered"}, len(batch.events))
            self._note(sid, cursor=batch.end, next_at=0.0)
            return
        changes = after_failure(state, started, self.rules)
        parked = "parked_at" in changes
        if parked:
            changes["parked_reason"] = error or f"HTTP {status}"
            log.warning("deliveries to subscription %s parked after %s attempts: %s", sid,
                        changes["attempts"], changes["parked_reason"])
        self.book.commit(sid, changes, {**record, "outcome": "parked" if parked else "failed"})
        self._note(sid, next_at=changes["next_at"], parked=parked)

    def _post(self, sid: str, definition: dict, body: bytes) -> tuple[int | None, str | None]:
        """→ (HTTP status or None, why it failed or None). A redirect is a failure: the callback
        is the address that was allowed, not wherever it points."""
        url = definition["callbackUrl"]
        refusal = self.policy.refusal(url)
        if refusal:
            return None, f"callback refused: {refusal}"
        headers = {"Content-Type": "application/json", "API-Version": "2.2.0", "Subscription-ID": sid,
                   "Notification-Signature": sign(body, definition["secret"])}
        try:
            with self._session().post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False,
                                      stream=True) as answer:
                _drain(answer)
        except (requests.RequestException, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
        return answer.status_code, None if 200 <= answer.status_code < 300 else f"HTTP {answer.status_code}"

    def _session(self) -> requests.Session:
        """One per sender thread: connections kept alive to each subscriber."""
        if not hasattr(self._local, "session"):
            session = self._local.session = requests.Session()
            session.trust_env = False  # no proxy from the environment: the policy checked this address
            with self.lock:
                self._sessions.append(session)
        return self._local.session

    def _note(self, sid: str, **changes) -> None:
        with self.lock:
            sub = self.watched.get(sid)
            if sub is not None:
                for name, value in changes.items():
                    setattr(sub, name, value)
