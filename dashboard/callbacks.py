"""Page routing, the wall's and the /demo controls' callbacks, registered on the app object (never Dash's global list)."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, no_update

from dashboard import alert_callbacks, demo_callbacks, manager_callbacks
from dashboard.pages import page_for, query_lang
from dashboard.runtime import current_runtime
from layouts import ids
from layouts.demo import status_lines

ACTIONS = {ids.DEMO_START: "start", ids.DEMO_PAUSE: "pause", ids.DEMO_RESUME: "resume",
           ids.DEMO_JUMP: "jump", ids.DEMO_RESET: "reset"}


def demo_action(trigger: str | None, scenario: str, speed: float, lang: str) -> tuple[list, str]:
    """Run the pressed button's command; → (status lines, error text)."""
    demo = current_runtime().demo
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
    return status_lines(demo.status(), lang), ""


def register(app: Dash) -> None:
    app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"), State(ids.URL, "search"))(page_for)
    register_wall(app)
    manager_callbacks.register(app)
    alert_callbacks.register(app)
    demo_callbacks.register(app)

    @app.callback(Output(ids.DEMO_STATUS, "children"), Output(ids.DEMO_ERROR, "children"),
                  [Input(button, "n_clicks") for button in ACTIONS],
                  State(ids.DEMO_SCENARIO, "value"), State(ids.DEMO_SPEED, "value"), State(ids.URL, "search"),
                  prevent_initial_call=True)
    def on_demo_button(*args):
        *_, scenario, speed, search = args
        return demo_action(ctx.triggered_id, scenario, speed, query_lang(search))


def register_wall(app: Dash) -> None:
    """The wall's updates run in the browser (assets/wall.js): no server round trip per event."""
    app.clientside_callback(ClientsideFunction("wall", "fast"), Output(ids.WALL_APPLIED, "data"),
                            Input(ids.WALL_SOCKET, "data-fast"))
    app.clientside_callback(ClientsideFunction("wall", "slow"), Output(ids.WALL_GANTT, "figure"),
                            Output(ids.WALL_TREND_IMPORT, "figure"), Output(ids.WALL_TREND_EXPORT, "figure"),
                            Input(ids.WALL_SOCKET, "data-slow"))
    app.clientside_callback(ClientsideFunction("wall", "heartbeat"), Output(ids.WALL_HEALTH, "data"),
                            Input(ids.WALL_SOCKET, "data-heartbeat"))
    # the watchdog only judges (and, when the page missed updates, asks for the full state by
    # reconnecting: a new `options` is a new socket); it never carries data
    app.clientside_callback(ClientsideFunction("wall", "watchdog"),
                            Output(ids.STALE_BANNER, "hidden"), Output(ids.STALE_BANNER, "children"),
                            Output(ids.LIVE_BADGE, "className"), Output(ids.LIVE_BADGE, "children"),
                            Output(ids.WALL_SOCKET, "options"),
                            Input(ids.WALL_WATCHDOG, "n_intervals"), Input(ids.WALL_SOCKET, "connected"),
                            State(ids.WALL_HEALTH, "data"), State(ids.WALL_SOCKET, "options"))
