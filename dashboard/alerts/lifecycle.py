"""The alerts' leader job: every few seconds, one replica of many (the holder of the `alerts`
lease, dashboard/lease.py) compares the port's alert conditions with the open alerts:

- a condition with no open alert is **raised**;
- an open alert whose condition is gone is **resolved** by the events (`resolved_by: "events"`);
  a condition a manager resolved by hand is not raised again while it lasts;
- an alert still unacknowledged `DP_ALERT_ESCALATE_MINUTES` after it was raised is **escalated**
  once: a notice to every task-force organisation's channels, and an entry in the history.

Alert times are the wall clock (people's response times); conditions are read at the port clock.
"""

from __future__ import annotations

import logging
import time

from dashboard.alerts import rules
from dashboard.alerts.store import AlertConflict, AlertNotFound, AlertStore
from dashboard.notify.outbox import notify_org
from dashboard.state.timeline import iso
from feeds.redis_client import STORE_ERRORS

log = logging.getLogger(__name__)

ALERT_SECONDS = 2.0  # how often the job runs


def escalation_notice(alert: dict, at: float) -> dict:
    words = {"zh": "预警超时未确认，已升级至专班", "en": "Unacknowledged alert escalated to the task force"}
    title = {lang: f"{words[lang]} · {alert['title'][lang]}" for lang in words}
    return {"id": f"{alert['id']}:escalated", "title": title, "text": dict(alert["text"]), "link": alert["link"],
            "at": iso(at)}


def escalate(client, port_id: str, directory, alert: dict, at: float) -> int:
    """Send the escalation to every task-force organisation's channels; → how many deliveries
    were queued (dashboard/notify/outbox.py)."""
    notice, sent = escalation_notice(alert, at), 0
    for org in directory.orgs():
        if org.kind == "taskforce":
            sent += notify_org(client, port_id, org.id, notice) or 0
    return sent


class AlertLifecycle:
    def __init__(self, svc, store: AlertStore, lease):
        self.svc, self.store, self.lease = svc, store, lease
        self.escalate_seconds = svc.config.alert_escalate_minutes * 60
        self.history_days = svc.config.alert_history_days

    def run(self) -> None:
        try:
            self._run()
        except STORE_ERRORS:
            raise  # the timer logs it and tries again at its next turn
        except Exception:  # a bug in one turn must not stop the job for good
            log.exception("the alerts job failed")

    def _run(self) -> None:
        consumer = self.svc.consumer
        # a replaying state's conditions are not the port's; and one replica of many does this
        if consumer is None or not consumer.health.caught_up or not self.lease.take():
            return
        with self.svc.store.lock:
            current = rules.conditions(self.svc.store.state, self.svc.port_now())
        self.step(current, time.time())

    def step(self, current: dict, now: float) -> None:
        """Raise, resolve and escalate against `current` (condition key → Condition)."""
        open_alerts = self.store.open_alerts()
        open_keys, dismissed = {alert["key"] for alert in open_alerts}, self.store.dismissed()
        for key, condition in current.items():
            if key not in open_keys and key not in dismissed:  # resolved by hand: not while it lasts
                self.store.raise_alert(condition, now)
        self.store.forget(dismissed - set(current))
        for alert in open_alerts:
            try:
                if alert["key"] not in current:
                    self.store.resolve(alert["id"], "events", "condition_gone", now)
                elif alert["state"] == "open" and alert["escalated_at"] is None \
                        and now - alert["raised_at"] >= self.escalate_seconds:
                    self.escalate(alert, now)
            except (AlertConflict, AlertNotFound):
                pass  # a manager or another replica got there first
        self.store.trim_history(self.history_days, now)

    def escalate(self, alert: dict, now: float) -> None:
        try:
            sent = escalate(self.svc.redis, self.svc.config.port_id, self.svc.directory, alert, now)
        except Exception:  # a notification that fails must not keep the escalation unrecorded
            log.exception("alert %s: escalation notices failed", alert["id"])
            sent = 0
        self.store.escalate(alert["id"], sent, now)
