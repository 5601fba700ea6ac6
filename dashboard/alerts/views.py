"""An alert as the API and the pages show it: times as RFC 3339 in the port's time zone."""

from __future__ import annotations

from dashboard.state.timeline import iso

TIMES = ("since", "raised_at", "acknowledged_at", "escalated_at", "resolved_at")


def public(alert: dict, zone) -> dict:
    view = {key: value for key, value in alert.items() if key not in TIMES}
    for key in TIMES:
        if key in alert:
            view[key] = iso(alert[key], zone)
    view["escalated"] = alert.get("escalated_at") is not None
    return view


def subject_alert(alerts: list[dict], subject: dict) -> dict | None:
    """The open alert of a page's subject (`{"imo", "voyage"}` or `{"number"}`), newest first."""
    for alert in alerts:
        if "number" in subject and alert["kind"] == "box" and alert["subject"] == subject["number"]:
            return alert
        if "imo" in subject and alert["kind"] == "call" and alert["subject"] == subject["imo"] \
                and alert["detail"].get("voyage") == subject.get("voyage"):
            return alert
    return None


def open_views(store, zone) -> list[dict]:
    """Every open alert, newest first, as the API gives them."""
    return [public(alert, zone) for alert in store.open_alerts()]
