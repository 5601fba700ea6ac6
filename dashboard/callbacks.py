"""Page routing and the /demo controls, registered on the app object (never Dash's global list)."""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx, html, no_update
from flask import current_app

from layouts import ids
from layouts.demo import demo_layout, not_found_layout, status_lines
from layouts.home import home_layout
from simulator.scenario import load_scenario, scenario_names

ACTIONS = {ids.DEMO_START: "start", ids.DEMO_PAUSE: "pause", ids.DEMO_RESUME: "resume",
           ids.DEMO_JUMP: "jump", ids.DEMO_RESET: "reset"}


def page_for(path: str | None):
    """The page at `path`, seeded from the service's state when it is served."""
    svc = current_app.extensions["portpulse"]
    if path in (None, "/"):
        with svc.store.lock:
            counters = svc.store.state.counters()
        return home_layout(svc.config.port_id, counters["events_applied"], counters["last_stream_id"])
    if path == "/demo":
        demo = current_app.extensions.get("portpulse_demo")
        if demo is None:
            return html.Div(className="home", children=[html.H1("No demo"),
                                                        html.P("This service runs on live partner data only.")])
        scenarios = [{"name": name, "title": load_scenario(name).title["en"]} for name in scenario_names()]
        return demo_layout(scenarios, demo.status())
    return not_found_layout(path)


def demo_action(trigger: str | None, scenario: str, speed: float) -> tuple[list, str]:
    """Run the pressed button's command; → (status lines, error text)."""
    demo = current_app.extensions.get("portpulse_demo")
    if demo is None or trigger not in ACTIONS:
        return no_update, ""
    action = ACTIONS[trigger]
    args = {"start": {"scenario": scenario, "speed": speed}, "jump": {"hours": 1}}.get(action, {})
    try:
        demo.command(action, **args)
        if action in ("pause", "resume", "start") and speed != demo.status()["speed"]:
            demo.command("speed", speed=speed)
    except (ValueError, TypeError) as exc:
        return no_update, str(exc)
    return status_lines(demo.status()), ""


def register(app: Dash) -> None:
    app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"))(page_for)

    @app.callback(Output(ids.DEMO_STATUS, "children"), Output(ids.DEMO_ERROR, "children"),
                  [Input(button, "n_clicks") for button in ACTIONS],
                  State(ids.DEMO_SCENARIO, "value"), State(ids.DEMO_SPEED, "value"), prevent_initial_call=True)
    def on_demo_button(*args):
        *_, scenario, speed = args
        return demo_action(ctx.triggered_id, scenario, speed)
