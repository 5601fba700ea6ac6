"""The presenter's control page, /demo: pick a scenario, set the pace, pause, jump, reset; and
the what-if of the platform's measures below (layouts/demo_whatif.py)."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.i18n import number, text

SPEEDS = (1, 10, 60, 600, 3600)


def status_lines(status: dict, lang: str = "en") -> list:
    """The run as a presenter reads it: scenario, pace, port time, and whether it keeps up."""
    if not status.get("running"):
        return [html.P(text("demo_not_running", lang))]
    state = "demo_paused" if status["paused"] else "demo_warming_up" if status.get("warming_up") else "demo_running"
    lines = [html.P([html.Strong(status["scenario"]), f" · ×{status['speed']:g} · {text(state, lang)}"]),
             html.P(text("demo_measures_on", lang, n=len(status.get("measures") or [])),
                    **{"data-measures": ",".join(status.get("measures") or [])}),
             html.P([text("demo_port_time", lang), html.Code(status.get("port_time") or "—")]),
             html.P(text("demo_published", lang, n=number(status["events_published"], lang)))]
    if status.get("behind_seconds", 0) > 60:
        lines.append(html.P(text("demo_behind", lang, minutes=f"{status['behind_seconds'] / 60:.0f}"), className="warn"))
    if status.get("last_error"):
        lines.append(html.P(text("demo_error", lang, error=status["last_error"]), className="warn"))
    return lines


def demo_layout(scenarios: list[dict], status: dict, lang: str = "en", whatif=None) -> html.Div:
    """`scenarios`: [{"name", "title"}]; `status`: the demo's status when the page is served;
    `whatif`: the what-if panel (layouts/demo_whatif.py), below the controls."""
    return html.Div(className="demo" + (" with-whatif" if whatif is not None else ""), **{"data-lang": lang}, children=[
        html.H1(text("demo_title", lang)),
        html.Label(text("demo_scenario", lang), htmlFor=ids.DEMO_SCENARIO),
        dcc.Dropdown(id=ids.DEMO_SCENARIO, clearable=False, value=status.get("scenario") or "normal",
                     options=[{"label": s["title"], "value": s["name"]} for s in scenarios]),
        html.Label(text("demo_speed", lang), htmlFor=ids.DEMO_SPEED),
        dcc.Dropdown(id=ids.DEMO_SPEED, clearable=False, value=status.get("speed", 60),
                     options=[{"label": f"×{s}", "value": s} for s in SPEEDS]),
        html.Div(className="demo-buttons", children=[
            html.Button(text("demo_start", lang), id=ids.DEMO_START),
            html.Button(text("demo_pause", lang), id=ids.DEMO_PAUSE),
            html.Button(text("demo_resume", lang), id=ids.DEMO_RESUME),
            html.Button(text("demo_jump", lang), id=ids.DEMO_JUMP),
            html.Button(text("demo_reset", lang), id=ids.DEMO_RESET, className="danger"),
        ]),
        html.Div(id=ids.DEMO_ERROR, className="warn"),
        html.Div(id=ids.DEMO_STATUS, children=status_lines(status, lang)),
        *([whatif] if whatif is not None else []),
    ])
