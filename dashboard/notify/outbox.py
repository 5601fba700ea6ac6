"""The notifications' outbox in the port's Redis (docs/notifications.md, "The outbox").

- A notice is enqueued for a recipient (a channel) at most once: `SET NX` of
  `notify:once:<channel>:<notice id>` with a long expiry, in the same script as the enqueue, so a
  duplicate event, a replay, a restart or a second replica enqueues nothing twice.
- Due deliveries are a sorted set (id → due time) and their bodies a hash. A sender claims due
  ones by pushing their due time a visibility timeout ahead (and noting them in a `claimed` set):
  a process that dies mid-send leaves them to be sent again, never lost. A new holder of the
  worker's lease puts the claimed ones back at once (`recover`).
- A digest channel's notices wait in a list; the first of a window schedules the window's one
  message at its end, which takes (`seal`s) the list when it is first sent.
- Every attempt goes to the organisation's delivery log (capped).

`notify_org` is the entry point for other parts of the service (alerts): it only enqueues; the
worker (dashboard/notify/worker.py) sends whatever is due.
"""

from __future__ import annotations

import time

import orjson

from feeds.events import utc_text
from feeds.keys import PortKeys

KEEP_SECONDS = 30 * 86400  # a (recipient, notice) is remembered as sent this long
LOG_SIZE = 200
VISIBILITY_SECONDS = 60.0  # a claimed delivery not finished by then is sent again (a send takes ≤ 15 s)

# KEYS: once, outbox, bodies, digest list. ARGV: ttl, delivery id, due, body, digest?, notice json
_ENQUEUE = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
if ARGV[5] == '1' then
  if redis.call('RPUSH', KEYS[4], ARGV[6]) > 1 then return 1 end
end
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
return 1
"""
# KEYS: outbox, bodies, claimed. ARGV: now, visible again at, limit → id, body, id, body…
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
local out = {}
for _, id in ipairs(due) do
  local body = redis.call('HGET', KEYS[2], id)
  if body then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    redis.call('SADD', KEYS[3], id)
    table.insert(out, id)
    table.insert(out, body)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
"""
# KEYS: bodies, digest list. ARGV: field for the sealed items → the items JSON array
_SEAL = """
local sealed = redis.call('HGET', KEYS[1], ARGV[1])
if sealed then return sealed end
local items = redis.call('LRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[2])
sealed = '[' .. table.concat(items, ',') .. ']'
redis.call('HSET', KEYS[1], ARGV[1], sealed)
return sealed
"""
# KEYS: outbox, claimed. ARGV: now
_RECOVER = """
local ids = redis.call('SMEMBERS', KEYS[2])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], 'XX', ARGV[1], id) end
redis.call('DEL', KEYS[2])
return #ids
"""


def delivery_id(channel_id: str, notice_id: str, digest: bool = False) -> str:
    return f"{channel_id}:{'digest:' if digest else ''}{notice_id}"


class Outbox:
    def __init__(self, client, port_id: str, keep_seconds: int = KEEP_SECONDS, log_size: int = LOG_SIZE):
        self.client, self.keys = client, PortKeys(port_id)
        self.keep_seconds, self.log_size = keep_seconds, log_size
        self._enqueue = client.register_script(_ENQUEUE)
        self._claim = client.register_script(_CLAIM)
        self._seal = client.register_script(_SEAL)
        self._recover = client.register_script(_RECOVER)

    def enqueue(self, org_id: str, channel: dict, notice: dict, *, digest_unit_seconds: float = 60.0,
                pipe=None):
        """One notice for one channel, once ever: → 1 if enqueued now, 0 if it had been. With
        `pipe`, queued on it (the caller executes and reads the answers)."""
        digest = int(channel.get("digest_minutes") or 0) > 0
        did = delivery_id(channel["id"], notice["id"], digest)
        due = time.time() + (channel["digest_minutes"] * digest_unit_seconds if digest else 0)
        body = {"id": did, "org": org_id, "channel": channel["id"], "digest": digest,
                "notice": notice["id"], "items": [] if digest else [notice], "attempts": 0,
                "created": time.time()}
        return self._enqueue(keys=[self.keys.notice_once(channel["id"], notice["id"]), self.keys.outbox,
                            self.keys.outbox_bodies, self.keys.digest(channel["id"])],
                      args=[self.keep_seconds, did, due, orjson.dumps(body), int(digest), orjson.dumps(notice)],
                      client=pipe)

    def claim(self, limit: int = 50, visibility: float = VISIBILITY_SECONDS) -> list[dict]:
        now = time.time()
        reply = self._claim(keys=[self.keys.outbox, self.keys.outbox_bodies, self.keys.outbox_claimed],
                            args=[now, now + visibility, limit])
        found = []
        for i in range(0, len(reply), 2):
            body = orjson.loads(reply[i + 1])
            if body.get("digest"):
                body["items"] = orjson.loads(self._seal(keys=[self.keys.outbox_bodies,
                                                              self.keys.digest(body["channel"])],
                                                        args=[body["id"] + "#items"]))
            found.append(body)
        return found

    def recover(self) -> int:
        """Deliveries claimed by a process that no longer sends: due again now."""
        return int(self._recover(keys=[self.keys.outbox, self.keys.outbox_claimed], args=[time.time()]))

    def done(self, body: dict, record: dict) -> None:
        """Sent (or given up): out of the outbox, into the organisation's log."""
        pipe = self.client.pipeline(transaction=True)
        pipe.zrem(self.keys.outbox, body["id"])
        pipe.srem(self.keys.outbox_claimed, body["id"])
        pipe.hdel(self.keys.outbox_bodies, body["id"], body["id"] + "#items")
        self._log(pipe, body["org"], record)
        pipe.execute()

    def retry(self, body: dict, changes: dict, record: dict) -> None:
        """Failed: due again at `changes["next_at"]`, its attempts counted in its body."""
        kept = {**body, **changes}
        if kept.get("digest"):
            kept["items"] = []  # the sealed items stay in their own field
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(self.keys.outbox_bodies, body["id"], orjson.dumps(kept))
        pipe.zadd(self.keys.outbox, {body["id"]: changes["next_at"]}, xx=True)
        pipe.srem(self.keys.outbox_claimed, body["id"])
        self._log(pipe, body["org"], record)
        pipe.execute()

    def _log(self, pipe, org_id: str, record: dict) -> None:
        pipe.lpush(self.keys.notify_log(org_id), orjson.dumps(record))
        pipe.ltrim(self.keys.notify_log(org_id), 0, self.log_size - 1)

    def depth(self) -> int:
        return int(self.client.zcard(self.keys.outbox))

    def log(self, org_id: str, limit: int = 50) -> list[dict]:
        """The organisation's latest attempts, newest first: {at, channel, kind, notice, status, error, …}."""
        return [orjson.loads(raw) for raw in self.client.lrange(self.keys.notify_log(org_id), 0, limit - 1)]


def check_notice(notice: dict) -> None:
    for name in ("id", "link", "at"):
        if not isinstance(notice.get(name), str) or not notice[name]:
            raise ValueError(f"notice[{name!r}] must be a non-empty string")
    for name in ("title", "text"):
        if not isinstance(notice.get(name), dict) or not {"zh", "en"} <= set(notice[name]):
            raise ValueError(f"notice[{name!r}] must be {{'zh': …, 'en': …}}")


def notify_org(client, port_id: str, org_id: str, notice: dict) -> int:
    """Tell an organisation's channels about `notice` = {"id" (stable: the dedupe key), "title":
    {"zh", "en"}, "text": {"zh", "en"}, "link": path, "at": ISO time}. → deliveries enqueued now
    (0 for a notice already enqueued for every channel). The worker sends them when due."""
    from dashboard.notify.channels import ChannelStore  # the policy is not needed to read
    check_notice(notice)
    outbox, enqueued = Outbox(client, port_id), 0
    for channel in ChannelStore(client, port_id, policy=None).of(org_id):
        enqueued += int(outbox.enqueue(org_id, channel, {"kind": "org", **notice}))
    return enqueued


def attempt_record(body: dict, channel: dict | None, started: float, status, error, outcome: str) -> dict:
    return {"at": utc_text(started), "channel": body["channel"], "kind": channel["kind"] if channel else None,
            "notice": body["notice"], "items": len(body.get("items") or ()), "status": status, "error": error,
            "outcome": outcome, "attempt": int(body.get("attempts") or 0) + 1,
            "ms": round((time.time() - started) * 1000, 1)}
