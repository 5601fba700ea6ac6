"""Each user's live notices, for the page (`GET /api/v1/notices`): a capped Redis stream per user,
so `after=<id>` is a range read and a page that polls gets only what is new.

A notice is added at most once per (user, notice id): the same `SET NX` as the outbox's, in one
script with the add.
"""

from __future__ import annotations

import orjson

from feeds.keys import PortKeys

# KEYS: once, the user's stream. ARGV: ttl, notice JSON, cap → 1 if added
_ADD = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'notice', ARGV[2])
return 1
"""
MAX_PAGE = 100


class LiveNotices:
    def __init__(self, client, port_id: str, keep_seconds: int, cap: int = 200):
        self.client, self.keys, self.keep_seconds, self.cap = client, PortKeys(port_id), keep_seconds, cap
        self._add = client.register_script(_ADD)

    def add(self, user: str, notice: dict, pipe=None):
        return self._add(keys=[self.keys.notice_once("user:" + user, notice["id"]), self.keys.notices(user)],
                         args=[self.keep_seconds, orjson.dumps(notice), self.cap], client=pipe)

    def after(self, user: str, after: str | None, limit: int = MAX_PAGE) -> list[dict]:
        """The user's notices newer than the stream id `after` (all kept, without it), newest first;
        each with its `seq` (the id to pass as `after` next time)."""
        low = f"({after}" if after else "-"
        found = self.client.xrevrange(self.keys.notices(user), "+", low, count=limit)
        return [{**orjson.loads(fields[b"notice"]), "seq": sid.decode()} for sid, fields in found]


def live_notices(svc) -> LiveNotices:
    """The users' live notices as the service's config keeps them."""
    config = svc.config
    return LiveNotices(svc.redis, config.port_id, config.notify_keep_days * 86400, config.notify_notices)
