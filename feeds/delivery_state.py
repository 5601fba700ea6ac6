"""Where one subscription's deliveries stand, in Redis: its position in the log, its retries,
whether it is parked, and the log of its latest attempts (docs/dcsa.md, "Subscriptions").

The position (`cursor`) is the stream id of the last log entry the subscriber has been sent and
answered 2xx for (or that did not match its filters): the log itself is the outbox, kept for
`DP_LOG_RETENTION_HOURS` at least, so a subscriber that is down or parked loses nothing within it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
import time
from dataclasses import dataclass

import orjson
import redis

from feeds.events import utc_text
from feeds.keys import PortKeys

LOG_KEEP = 200  # attempt records kept per subscription
BACKOFF_CAP_SECONDS = 300.0

# KEYS: subscriptions hash, state, attempt log. ARGV: id, record JSON or "", events delivered,
# then field, value… for the state. Nothing is written for a subscription deleted meanwhile.
_COMMIT = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if #ARGV > 3 then redis.call('HSET', KEYS[2], unpack(ARGV, 4)) end
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[2], 'delivered', ARGV[3]) end
if ARGV[2] ~= '' then
  redis.call('LPUSH', KEYS[3], ARGV[2])
  redis.call('LTRIM', KEYS[3], 0, LOG_KEEP - 1)
end
return 1
"""
# KEYS: state, attempt log. ARGV: record JSON. → 1 if it was parked (and now is not).
_REPLAY = """
local parked = redis.call('HGET', KEYS[1], 'parked_at')
if not parked or parked == '' then return 0 end
redis.call('HSET', KEYS[1], 'parked_at', '', 'parked_reason', '', 'attempts', 0,
           'failing_since', '', 'next_at', 0)
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, LOG_KEEP - 1)
return 1
"""


@dataclass(frozen=True)
class RetryRules:
    max_attempts: int = 10  # failures in a row before the delivery is parked
    retry_seconds: float = 1.0  # the first wait; each next one twice as long, up to 5 minutes
    park_seconds: float = 3600.0  # or failing for this long


def sign(body: bytes, secret: str) -> str:
    """`Notification-Signature`: HMAC-SHA256 of the exact body, keyed with the secret's bytes
    (the secret is base64, TNT 2.2 `secret`)."""
    return "sha256=" + hmac.new(base64.b64decode(secret), body, hashlib.sha256).hexdigest()


def backoff(attempts: int, rules: RetryRules) -> float:
    """Exponential with jitter: the wait after the n-th failure lies in [d/2, d], d = base·2^(n-1)
    (capped), so subscribers that failed together do not come back together."""
    delay = min(BACKOFF_CAP_SECONDS, rules.retry_seconds * 2 ** max(0, attempts - 1))
    return delay / 2 + random.random() * delay / 2


def after_failure(state: dict, now: float, rules: RetryRules) -> dict:
    """The state fields after one more failed attempt: retry later, or park."""
    attempts = int(state.get("attempts") or 0) + 1
    since = float(state["failing_since"]) if state.get("failing_since") not in (None, "") else now
    changes = {"attempts": attempts, "failing_since": since}
    if attempts >= rules.max_attempts or now - since >= rules.park_seconds:
        changes.update(parked_at=now, next_at=0)
    else:
        changes["next_at"] = now + backoff(attempts, rules)
    return changes


def after_success(end: str) -> dict:
    return {"cursor": end, "attempts": 0, "failing_since": "", "next_at": 0}


def decode_state(raw: dict) -> dict:
    return {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in raw.items()}


class DeliveryBook:
    """Reads and writes the delivery state and attempt log of one port's subscriptions."""

    def __init__(self, client: redis.Redis | redis.RedisCluster, port_id: str):
        self.client = client
        self.keys = PortKeys(port_id)
        self._commit = client.register_script(_COMMIT.replace("LOG_KEEP", str(LOG_KEEP)))
        self._replay = client.register_script(_REPLAY.replace("LOG_KEEP", str(LOG_KEEP)))

    def state(self, sid: str) -> dict:
        return decode_state(self.client.hgetall(self.keys.delivery_state(sid)))

    def states(self, sids: list[str]) -> dict[str, dict]:
        pipe = self.client.pipeline(transaction=False)
        for sid in sids:
            pipe.hgetall(self.keys.delivery_state(sid))
        return {sid: decode_state(raw) for sid, raw in zip(sids, pipe.execute())}

    def commit(self, sid: str, changes: dict, record: dict | None = None, delivered: int = 0) -> bool:
        """Write state changes and an attempt record at once; False if the subscription is gone."""
        args = [sid, orjson.dumps(record) if record else "", delivered]
        for name, value in changes.items():
            args += [name, value]
        return bool(self._commit(keys=[self.keys.subscriptions, self.keys.delivery_state(sid),
                                       self.keys.delivery_log(sid)], args=args))

    def replay(self, sid: str) -> bool:
        """Unpark: the parked delivery is tried again at once, then the rest in order."""
        record = {"at": utc_text(time.time()), "outcome": "replay", "events": 0}
        return bool(self._replay(keys=[self.keys.delivery_state(sid), self.keys.delivery_log(sid)],
                                 args=[orjson.dumps(record)]))

    def attempts(self, sid: str, limit: int) -> list[dict]:
        return [orjson.loads(raw) for raw in self.client.lrange(self.keys.delivery_log(sid), 0, limit - 1)]


