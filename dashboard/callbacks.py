"""Page routing and the /demo controls, registered on the app object (never Dash's global list)."""

from __future__ import annotations

from urllib.parse import parse_qs

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update
from flask import current_app

from layouts import ids
from layouts.demo import demo_layout, not_found_layout, status_lines
from layouts.i18n import pick
from layouts.wall import wall_layout

ACTIONS = {ids.DEMO_START: "start", ids.DEMO_PAUSE: "pause", ids.DEMO_RESUME: "resume",
           ids.DEMO_JUMP: "jump", ids.DEMO_RESET: "reset"}


def page_for(path: str | None, search: str | None = None):
    """The page at `path`, seeded from the service's state when it is served."""
    svc = current_app.extensions["portpulse"]
    query = parse_qs((search or "").lstrip("?"))
    if path in (None, "/"):
        lang = pick(query.get("lang", ["zh"])[0])
        rotate = query.get("rotate", ["0"])[0]
        emitter = current_app.extensions["portpulse_emitter"]
        return wall_layout(svc.profile.name[lang], lang, emitter.build("fast", lang), emitter.build("slow", lang),
                           int(rotate) if rotate.isdigit() else None)
    if path == "/demo":
        demo = current_app.extensions.get("portpulse_demo")
        if demo is None:
            return html.Div(className="home", children=[html.H1("No demo"),
                                                        html.P("This service runs on live partner data only.")])
        lang = pick(query.get("lang", ["en"])[0])
        scenarios = [{"name": item["name"], "title": item["title"][lang]} for item in demo.scenarios()]
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
    app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), State(ids.URL, "search"))(page_for)
    register_wall(app)

    @app.callback(Output(ids.DEMO_STATUS, "children"), Output(ids.DEMO_ERROR, "children"),
                  [Input(button, "n_clicks") for button in ACTIONS],
                  State(ids.DEMO_SCENARIO, "value"), State(ids.DEMO_SPEED, "value"), prevent_initial_call=True)
    def on_demo_button(*args):
        *_, scenario, speed = args
        return demo_action(ctx.triggered_id, scenario, speed)


def register_wall(app: Dash) -> None:
    """The wall's updates run in the browser (assets/wall.js): no server round trip per event."""
    app.clientside_callback(ClientsideFunction("wall", "fast"), Output(ids.WALL_APPLIED, "data"),
                            Input(ids.WALL_SOCKET, "data-fast"))
    app.clientside_callback(ClientsideFunction("wall", "slow"), Output(ids.WALL_GANTT, "figure"),
                            Output(ids.WALL_TREND_IMPORT, "figure"), Output(ids.WALL_TREND_EXPORT, "figure"),
                            Input(ids.WALL_SOCKET, "data-slow"))
    app.clientside_callback(ClientsideFunction("wall", "heartbeat"), Output(ids.WALL_HEALTH, "data"),
                            Input(ids.WALL_SOCKET, "data-heartbeat"))
    app.clientside_callback(ClientsideFunction("wall", "watchdog"),
                            Output(ids.STALE_BANNER, "hidden"), Output(ids.STALE_BANNER, "children"),
                            Input(ids.WALL_WATCHDOG, "n_intervals"), Input(ids.WALL_SOCKET, "connected"),
                            State(ids.WALL_HEALTH, "data"))
