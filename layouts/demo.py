"""The presenter's control page, /demo: pick a scenario, set the pace, pause, jump, reset."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids

SPEEDS = (1, 10, 60, 600, 3600)


def status_lines(status: dict) -> list:
    """The run as a presenter reads it: scenario, pace, port time, and whether it keeps up."""
    if not status.get("running"):
        return [html.P("No demo running.")]
    state = "paused" if status["paused"] else "warming up" if status.get("warming_up") else "running"
    lines = [html.P([html.Strong(status["scenario"]), f" · ×{status['speed']:g} · {state}"]),
             html.P(["Port time: ", html.Code(status.get("port_time") or "—")]),
             html.P(f"Events published: {status['events_published']:,}")]
    if status.get("behind_seconds", 0) > 60:
        lines.append(html.P(f"Behind by {status['behind_seconds'] / 60:.0f} min of port time "
                            "(this machine cannot keep this speed)", className="warn"))
    if status.get("last_error"):
        lines.append(html.P(f"Publishing paused: {status['last_error']}", className="warn"))
    return lines


def demo_layout(scenarios: list[dict], status: dict) -> html.Div:
    """`scenarios`: [{"name", "title"}]; `status`: the demo's status when the page is served."""
    return html.Div(className="demo", children=[
        html.H1("Port Pulse · demo"),
        html.Label("Scenario", htmlFor=ids.DEMO_SCENARIO),
        dcc.Dropdown(id=ids.DEMO_SCENARIO, clearable=False, value=status.get("scenario") or "normal",
                     options=[{"label": s["title"], "value": s["name"]} for s in scenarios]),
        html.Label("Speed (port time per wall time)", htmlFor=ids.DEMO_SPEED),
        dcc.Dropdown(id=ids.DEMO_SPEED, clearable=False, value=status.get("speed", 60),
                     options=[{"label": f"×{s}", "value": s} for s in SPEEDS]),
        html.Div(className="demo-buttons", children=[
            html.Button("Start", id=ids.DEMO_START), html.Button("Pause", id=ids.DEMO_PAUSE),
            html.Button("Resume", id=ids.DEMO_RESUME), html.Button("Jump 1 h", id=ids.DEMO_JUMP),
            html.Button("Reset", id=ids.DEMO_RESET, className="danger"),
        ]),
        html.Div(id=ids.DEMO_ERROR, className="warn"),
        html.Div(id=ids.DEMO_STATUS, children=status_lines(status)),
    ])
