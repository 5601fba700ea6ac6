"""Open alerts and their history in the port's Redis (docs/redis-contract.md).

- `alerts:open`: hash, alert id → the alert's JSON (state `open` or `acknowledged`); a resolved
  alert leaves it.
- `alerts:history`: stream, one entry per transition (raised, acknowledged, escalated, resolved)
  with who, when, the note or reason and the alert as it was then; capped by length and trimmed
  to `DP_ALERT_HISTORY_DAYS`.
- `alerts:version`: counter bumped with every transition: the wall's cache reads it, not the hash.
- `alerts:dismissed`: hash, condition key → the alert a manager resolved by hand: that condition
  is not raised again while it lasts (the manager said why), only once it has gone and come back.

Every transition is a compare-and-set in one script (the alert as read → the new one, and its
history entry), so two managers acknowledging at once give one acknowledgement and one 409.
An alert id is its condition's key plus when it was raised (ms): a condition that comes back is
a new alert. No Flask in here: the API, the pages and the lifecycle job share it.
"""

from __future__ import annotations

import time

import orjson

from feeds.keys import PortKeys

HISTORY_MAX = 200_000  # entries at most, whatever the days
DAY = 86_400

# KEYS: open hash, history stream, version, dismissed hash. ARGV: id, the JSON read ('' = absent),
# the new JSON ('' = remove), history cap, a condition key to dismiss ('' = none), then the history
# entry's field/value pairs. → 1 done, 0 the alert changed meanwhile.
_TRANSITION = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if (current or '') ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[4], ARGV[5], ARGV[1]) end
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', unpack(fields))
redis.call('INCR', KEYS[3])
return 1
"""


class AlertNotFound(LookupError):
    """No open alert has this id (never raised, or resolved already and gone from the open set)."""


class AlertConflict(Exception):
    """The transition does not apply to the alert as it is now (acknowledged twice, resolved)."""

    def __init__(self, message: str, alert: dict | None = None):
        super().__init__(message)
        self.alert = alert


class AlertStore:
    def __init__(self, client, port_id: str, history_max: int = HISTORY_MAX):
        self.client, self.keys, self.history_max = client, PortKeys(port_id), history_max
        self._transition = client.register_script(_TRANSITION)

    # -- reading -------------------------------------------------------------------------------
    def open_alerts(self) -> list[dict]:
        """Every open alert (acknowledged ones too), newest raised first."""
        alerts = [orjson.loads(raw) for raw in self.client.hvals(self.keys.alerts_open)]
        return sorted(alerts, key=lambda a: (-a["raised_at"], a["id"]))

    def get(self, alert_id: str) -> dict | None:
        raw = self.client.hget(self.keys.alerts_open, alert_id)
        return orjson.loads(raw) if raw is not None else None

    def dismissed(self) -> set[str]:
        """Condition keys whose alert a manager resolved while the condition lasts: not raised
        again until the condition is gone (`forget`)."""
        return {key.decode() for key in self.client.hkeys(self.keys.alerts_dismissed)}

    def forget(self, keys) -> None:
        """These conditions are gone: when they come back, they are new alerts."""
        if keys:
            self.client.hdel(self.keys.alerts_dismissed, *keys)

    def version(self) -> int:
        return int(self.client.get(self.keys.alerts_version) or 0)

    def history(self, since: float) -> list[dict]:
        """Transitions from `since` (epoch seconds) on, oldest first."""
        entries = self.client.xrange(self.keys.alerts_history, min=f"{int(since * 1000)}-0", max="+")
        return [_history_entry(fields) for _, fields in entries]

    def resolved(self, alert_id: str) -> dict | None:
        """The resolution of an alert no longer open (the newest first: a handful of reads)."""
        for _, fields in self.client.xrevrange(self.keys.alerts_history, count=500):
            entry = _history_entry(fields)
            if entry["alert_id"] == alert_id and entry["event"] == "resolved":
                return entry
        return None

    # -- transitions ---------------------------------------------------------------------------
    def raise_alert(self, condition, at: float | None = None) -> dict:
        at = time.time() if at is None else at
        alert = {"id": f"{condition.key}:{int(at * 1000)}", "key": condition.key, "kind": condition.kind,
                 "subject": condition.subject, "severity": condition.severity, "since": condition.since,
                 "title": condition.title, "text": condition.text, "link": condition.link,
                 "detail": condition.detail, "state": "open", "raised_at": at, "acknowledged_by": None,
                 "acknowledged_at": None, "note": None, "escalated_at": None}
        if not self._apply(alert["id"], b"", alert, "raised", at):
            raise AlertConflict(f"alert {alert['id']} exists already")
        return alert

    def acknowledge(self, alert_id: str, by: str, note: str, at: float | None = None) -> dict:
        def change(alert: dict) -> dict:
            if alert["state"] != "open":
                raise AlertConflict(f"alert {alert_id} was acknowledged already by {alert['acknowledged_by']}", alert)
            return {**alert, "state": "acknowledged", "acknowledged_by": by, "acknowledged_at": at, "note": note}
        at = time.time() if at is None else at
        return self._transition_of(alert_id, change, "acknowledged", at, by=by, note=note)

    def escalate(self, alert_id: str, notified: int, at: float | None = None) -> dict:
        def change(alert: dict) -> dict:
            if alert["escalated_at"] is not None:
                raise AlertConflict(f"alert {alert_id} was escalated already", alert)
            return {**alert, "escalated_at": at}
        at = time.time() if at is None else at
        return self._transition_of(alert_id, change, "escalated", at, by="system", reason=f"notified {notified}")

    def resolve(self, alert_id: str, by: str, reason: str, at: float | None = None) -> dict:
        """`by`: a manager's name, or "events" when the condition is gone."""
        at = time.time() if at is None else at
        return self._transition_of(alert_id, lambda alert: None, "resolved", at, by=by, reason=reason)

    def _transition_of(self, alert_id: str, change, event: str, at: float, **fields) -> dict:
        for _ in range(10):  # another replica's or person's change in between: read again
            raw = self.client.hget(self.keys.alerts_open, alert_id)
            if raw is None:
                found = self.resolved(alert_id)
                if found is not None:
                    raise AlertConflict(f"alert {alert_id} was resolved already by {found['by']}", found["alert"])
                raise AlertNotFound(alert_id)
            alert = orjson.loads(raw)
            new = change(alert)
            record = new if new is not None else {**alert, "state": "resolved", "resolved_by": fields["by"],
                                                  "resolved_at": at, "reason": fields.get("reason")}
            if self._apply(alert_id, raw, new, event, at, shown=record, **fields):
                return record
        raise AlertConflict(f"alert {alert_id} keeps changing: try again")

    def _apply(self, alert_id: str, raw: bytes, new: dict | None, event: str, at: float,
               shown: dict | None = None, **fields) -> bool:
        shown = shown or new
        entry = {"alert_id": alert_id, "event": event, "at": repr(at), "by": fields.get("by") or "",
                 "note": fields.get("note") or "", "reason": fields.get("reason") or "",
                 "alert": orjson.dumps(shown).decode()}
        dismiss = shown["key"] if event == "resolved" and fields.get("by") != "events" else ""
        args = [alert_id, raw, orjson.dumps(new) if new is not None else b"", self.history_max, dismiss]
        for name, value in entry.items():
            args += [name, value]
        keys = [self.keys.alerts_open, self.keys.alerts_history, self.keys.alerts_version, self.keys.alerts_dismissed]
        return bool(self._transition(keys=keys, args=args))

    def trim_history(self, days: float, now: float | None = None) -> None:
        now = time.time() if now is None else now
        self.client.xtrim(self.keys.alerts_history, minid=f"{int((now - days * DAY) * 1000)}-0", approximate=True)


def _history_entry(fields: dict) -> dict:
    text = {k.decode(): v.decode() for k, v in fields.items()}
    return {"alert_id": text["alert_id"], "event": text["event"], "at": float(text["at"]), "by": text["by"] or None,
            "note": text["note"] or None, "reason": text["reason"] or None, "alert": orjson.loads(text["alert"])}
