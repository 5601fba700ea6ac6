"""Redis key names of one port namespace (docs/redis-contract.md).

Every key carries the port as a hash tag (`dp:{xiamen}:events`), so a Redis Cluster keeps one
port on one shard and the publish script may touch all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PortKeys:
    port_id: str

    def _key(self, name: str) -> str:
        return f"dp:{{{self.port_id}}}:{name}"

    @property
    def events(self) -> str:
        """Stream: the durable log, one entry per accepted event, field `event`."""
        return self._key("events")

    @property
    def live(self) -> str:
        """Channel: each appended event as `<stream id> <event json>`, one per line."""
        return self._key("live")

    @property
    def deadletter(self) -> str:
        """Stream: every rejected input of an authenticated sender, with its reasons."""
        return self._key("deadletter")

    @property
    def seen(self) -> str:
        """Sorted set: idempotency keys `source id` scored by when they were first accepted."""
        return self._key("seen")

    @property
    def stats(self) -> str:
        """Hash: ingest counters (accepted, duplicates, rejected)."""
        return self._key("stats")

    @property
    def snapshot(self) -> str:
        """String: the latest state snapshot, with the stream id it covers."""
        return self._key("snapshot")

    @property
    def rejects(self) -> str:
        """Hash: dead-letter entries per partner."""
        return self._key("rejects")

    @property
    def history(self) -> str:
        """Sorted set: hourly KPI rollups scored by the hour (epoch seconds)."""
        return self._key("kpi:hourly")

    @property
    def generation(self) -> str:
        """String: `<token> <the old log's last stream id>`, set anew by each reset of the namespace
        (the demo's); every replica that sees it change starts its state afresh after that id."""
        return self._key("generation")

    def lease(self, job: str) -> str:
        """String: which process does `job` (snapshots, history) now; expires (dashboard/lease.py)."""
        return self._key(f"lease:{job}")

    @property
    def subscriptions(self) -> str:
        """Hash: DCSA event subscriptions, id → definition JSON (feeds/subscriptions.py)."""
        return self._key("subscriptions")

    def delivery_state(self, subscription_id: str) -> str:
        """Hash: where a subscription's deliveries stand in the log (feeds/delivery_state.py)."""
        return self._key(f"subscription:{subscription_id}:state")

    def delivery_log(self, subscription_id: str) -> str:
        """List: a subscription's latest delivery attempts, newest first (capped)."""
        return self._key(f"subscription:{subscription_id}:log")

    @property
    def control(self) -> str:
        """List: commands for the demo simulator of this namespace."""
        return self._key("control")

    @property
    def orgs(self) -> str:
        """Hash: organisations, id → JSON `{name, kind, sources}` (dashboard/orgs.py). A demo reset
        keeps it."""
        return self._key("orgs")

    @property
    def accounts(self) -> str:
        """Hash: the organisations' people, user name → JSON `{org, password_hash}`. Kept by a reset."""
        return self._key("accounts")

    @property
    def org_keys(self) -> str:
        """Hash: read keys, the sha256 hex of a key → its organisation's id (the key itself is
        never stored). Kept by a reset."""
        return self._key("org_keys")

    @property
    def directory_version(self) -> str:
        """String: a counter bumped with every change of `orgs`, `accounts` or `org_keys`; each
        process re-reads them when it moved. Kept by a reset."""
        return self._key("directory_version")

    def directory(self) -> list[str]:
        """The keys of the organisations' directory: a demo reset wipes data, never accounts."""
        return [self.orgs, self.accounts, self.org_keys, self.directory_version]

    # -- watchlists and notifications (dashboard/notify/, docs/notifications.md) -----------------
    @property
    def watches(self) -> str:
        """Hash: user name → JSON list of its watch keys (`box:<n>`, `vessel:<imo>`,
        `declaration:<id>`, `org:*`). Kept by a reset."""
        return self._key("notify:watches")

    @property
    def watch_version(self) -> str:
        """String: a counter bumped with every watch change; each process re-reads them when it moved."""
        return self._key("notify:watch_version")

    @property
    def channels(self) -> str:
        """Hash: org id → JSON list of its notification channels (secrets in full). Kept by a reset."""
        return self._key("notify:channels")

    @property
    def outbox(self) -> str:
        """Sorted set: delivery id → when it is due (epoch seconds); a claimed one is pushed ahead."""
        return self._key("notify:outbox")

    @property
    def outbox_bodies(self) -> str:
        """Hash: delivery id → JSON of what to send, where, and its attempts so far."""
        return self._key("notify:outbox_bodies")

    @property
    def outbox_claimed(self) -> str:
        """Set: delivery ids being sent now; a new holder of the worker's lease sends them again."""
        return self._key("notify:outbox_claimed")

    def notice_once(self, recipient: str, notice_id: str) -> str:
        """String with a long expiry: set (NX) when a notice is first enqueued for a recipient."""
        return self._key(f"notify:once:{recipient}:{notice_id}")

    def digest(self, channel_id: str) -> str:
        """List: notices waiting for a digest channel's next message."""
        return self._key(f"notify:digest:{channel_id}")

    def notices(self, user: str) -> str:
        """Stream (capped): a user's live notices, for the page (`GET /api/v1/notices`)."""
        return self._key(f"notify:notices:{user}")

    def notify_log(self, org_id: str) -> str:
        """List: an organisation's latest delivery attempts, newest first (capped)."""
        return self._key(f"notify:log:{org_id}")

    @property
    def notify_cursor(self) -> str:
        """String: the stream id of the last log entry the notification worker has looked at."""
        return self._key("notify:cursor")

    def notify(self) -> list[str]:
        """People's watchlists and organisations' channels: a demo reset keeps them (the outbox,
        the notices and the delivery logs are data, and go)."""
        return [self.watches, self.watch_version, self.channels]

    @property
    def alerts_open(self) -> str:
        """Hash: open alerts (raised or acknowledged), alert id → JSON (dashboard/alerts/store.py)."""
        return self._key("alerts:open")

    @property
    def alerts_history(self) -> str:
        """Stream: every alert transition (raised, acknowledged, escalated, resolved), capped and
        trimmed to `DP_ALERT_HISTORY_DAYS`."""
        return self._key("alerts:history")

    @property
    def alerts_dismissed(self) -> str:
        """Hash: condition key → the alert a manager resolved by hand; not raised again while the
        condition lasts."""
        return self._key("alerts:dismissed")

    @property
    def alerts_version(self) -> str:
        """String: a counter bumped with every alert transition (the wall's cache looks at it)."""
        return self._key("alerts:version")

    @property
    def limits(self) -> str:
        """Prefix of the request-limit counters (flask-limiter's, with their own expiry)."""
        return self._key("limits")

    def all(self) -> list[str]:
        return [self.events, self.deadletter, self.seen, self.stats, self.snapshot, self.rejects,
                self.history]
