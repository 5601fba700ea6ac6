"""`/containers/<number>`: a box tracked like a parcel. Where it is now and since when, what
happens next and who owns it, then every event, newest first, with the time between steps.
Narrow-screen first: it is read on phones."""

from __future__ import annotations

from datetime import datetime

from dash import html

from layouts.alerts import alert_strip
from layouts.i18n import duration, stage_name, stamp, text


def _gaps(timeline: list[dict]) -> dict[str, float | None]:
    """Event id → seconds since the previous actual event (None for the first)."""
    gaps, previous = {}, None
    for entry in timeline:
        moment = datetime.fromisoformat(entry["time"]).timestamp()
        if entry["classifier"] == "actual" and "retracted" not in entry:  # a retracted step never happened
            gaps[entry["id"]] = None if previous is None else moment - previous
            previous = moment
    return gaps


def status_card(box: dict, lang: str) -> html.Section:
    stage = stage_name(box["stage"], lang)
    lines = [html.H1(box["number"], className="box-number"),
             html.P([text(box["direction"], lang) if box["direction"] else "", " · ",
                     html.A(box["vessel_name"] or f"IMO {box['vessel']}", href=f"/vessels/{box['vessel']}?lang={lang}") if box["vessel"] else "—",
                     f" {box['voyage']}" if box["voyage"] else ""], className="box-route"),
             html.Dl([html.Dt(text("current_stage", lang)),
                      html.Dd([html.Strong(stage), " · ", stamp(box["since"], lang),
                               f" ({duration(box['hours_in_stage'] * 3600, lang)})" if box["hours_in_stage"] is not None else ""],
                              className=f"sla-{box['sla'] or 'none'}"),
                      html.Dt(text("next_step", lang)), html.Dd(_next(box, lang))])]
    flags = [text(flag, lang) for flag in ("held", "diverted", "transhipment") if box[flag]]
    if box["visits"] > 1:
        flags.append(text("visits", lang, n=box["visits"]))
    if flags:
        lines.append(html.P(" · ".join(flags), className="box-flags"))
    conflicts = box["direction_conflicts"]
    if conflicts:  # a partner's field against what happened: the partner should hear of it
        lines.append(html.P(text("direction_conflicts", lang, n=len(conflicts), facts=text(conflicts[0]["facts"], lang)),
                            className="box-conflicts"))
    return html.Section(lines, className="status-card")


def _next(box: dict, lang: str) -> list:
    step = box.get("next")
    if not step:
        return [text("done", lang)]
    parts = [html.Strong(text(f"event_{step['type']}", lang)), " · ",
             text("owner", lang, party=text(f"party_{step['owner']}", lang))]
    expected = (box.get("expected") or {}).get(step["type"])
    if expected:
        parts += [" · ", text("expected_at", lang, time=stamp(expected, lang))]
    return parts


def parcel_timeline(timeline: list[dict], lang: str) -> html.Section:
    gaps = _gaps(timeline)
    items = []
    for entry in reversed(timeline):
        gap = gaps.get(entry["id"])
        detail = [html.Span(entry["source"], className="who")]
        if gap is not None:
            detail.append(html.Span(text("since_previous", lang, gap=duration(gap, lang)), className="gap"))
        if entry["classifier"] != "actual":
            detail.append(html.Span(text(f"classifier_{entry['classifier']}", lang), className="classifier"))
        if "retracted" in entry:
            detail.append(retracted_note(entry, lang))
        items.append(html.Li(**{"data-event-id": entry["id"]}, className=event_class(entry), children=[
            html.Time(stamp(entry["time"], lang), dateTime=entry["time"]),
            html.Span(text(f"event_{entry['type']}", lang), className="what"), html.Div(detail, className="detail")]))
    return html.Section([html.H2(text("timeline", lang)), html.Ol(items, className="timeline parcel")])


def event_class(entry: dict) -> str:
    """A timeline entry's classes: a retracted event is struck through (assets/manager.css)."""
    return f"event {entry['classifier']}" + (" retracted" if "retracted" in entry else "")


def retracted_note(entry: dict, lang: str) -> html.Span:
    mark = entry["retracted"]
    return html.Span(text("retracted_note", lang, by=mark["by"], time=stamp(mark["at"], lang)), className="retracted-note")


def container_page(box: dict, lang: str) -> html.Div:
    return html.Div([status_card(box, lang), alert_strip({"number": box["number"]}, lang),  # shown when the box has an open alert
                     parcel_timeline(box["timeline"], lang)], className="container-page")
