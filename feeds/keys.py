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

    @property
    def limits(self) -> str:
        """Prefix of the request-limit counters (flask-limiter's, with their own expiry)."""
        return self._key("limits")

    def all(self) -> list[str]:
        return [self.events, self.deadletter, self.seen, self.stats, self.snapshot, self.rejects,
                self.history]
