"""The presenters' what-if on /demo: the waterfall follows the ticked measures at once (read from
the reconstruction report the demo's simulator holds); "apply to the wall" restarts the running
scenario with them. Registered on the app object (dashboard/callbacks.py calls `register`)."""

from __future__ import annotations

from dash import Dash, Input, Output, State, no_update

from dashboard.pages import query_lang
from dashboard.runtime import current_runtime
from layouts import ids
from dashboard.demo_views import whatif_view
from layouts.demo import status_lines


def on_measures(enabled: list[str] | None, search: str | None):
    demo = current_runtime().demo
    if demo is None:
        return no_update, no_update, no_update
    try:
        return whatif_view(demo, enabled or [], query_lang(search))
    except ValueError:  # not a measure's id: the checklist never sends one
        return no_update, no_update, no_update


def on_apply(_clicks, enabled: list[str] | None, search: str | None):
    """Restart the running scenario (its pace and seed too) with the ticked measures."""
    demo = current_runtime().demo
    if demo is None:
        return no_update, ""
    status = demo.status()
    args = {"scenario": status.get("scenario") or "normal", "speed": status.get("speed") or 60,
            "seed": status.get("seed", 1), "measures": sorted(enabled or [])}
    try:
        demo.command("start", **args)
    except (ValueError, TypeError) as exc:
        return no_update, str(exc)
    return status_lines(demo.status(), query_lang(search)), ""


def on_status(_lines, synced: list[str] | None):
    """When the run's measures changed (a Start, an apply), tick them; a preview not yet applied
    survives a pause or a jump. `synced`: the run's measures when the ticks last followed them."""
    demo = current_runtime().demo
    if demo is None:
        return no_update, no_update
    running = demo.status().get("measures") or []
    if sorted(synced or []) == sorted(running):
        return no_update, no_update
    order = [m["id"] for m in demo.measures()]
    ticked = [m for m in order if m in running]
    return ticked, ticked


def register(app: Dash) -> None:
    app.callback(Output(ids.DEMO_WATERFALL_IMPORT, "figure"), Output(ids.DEMO_WATERFALL_EXPORT, "figure"),
                 Output(ids.DEMO_WHATIF_TOTALS, "children"),
                 Input(ids.DEMO_MEASURES, "value"), State(ids.URL, "search"), prevent_initial_call=True)(on_measures)
    app.callback(Output(ids.DEMO_STATUS, "children", allow_duplicate=True),
                 Output(ids.DEMO_ERROR, "children", allow_duplicate=True),
                 Input(ids.DEMO_APPLY_MEASURES, "n_clicks"), State(ids.DEMO_MEASURES, "value"),
                 State(ids.URL, "search"), prevent_initial_call=True)(on_apply)
    app.callback(Output(ids.DEMO_MEASURES, "value"), Output(ids.DEMO_MEASURES_RUNNING, "data"),
                 Input(ids.DEMO_STATUS, "children"), State(ids.DEMO_MEASURES_RUNNING, "data"),
                 prevent_initial_call=True)(on_status)
