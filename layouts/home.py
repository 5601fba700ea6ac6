"""The landing page: which port, and how much of its log the service has applied."""

from __future__ import annotations

from dash import html

from layouts import ids


def home_layout(port_id: str, events_applied: int, last_stream_id: str) -> html.Div:
    """Seeded from the state when the page is served; it holds no behaviour of its own."""
    return html.Div(className="home", children=[
        html.H1("Port Pulse", id=ids.HOME_TITLE),
        html.P(["Port ", html.Strong(port_id)]),
        html.P(["Events applied: ", html.Strong(f"{events_applied:,}", id=ids.HOME_APPLIED)]),
        html.P(["Log position: ", html.Code(last_stream_id, id=ids.HOME_LAST_ID)]),
        html.P(html.A("Service health (JSON)", href="/healthz")),
    ])
