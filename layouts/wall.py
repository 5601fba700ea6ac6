"""The wall at `/`: a 1920×1080 canvas scaled to any 16:9 screen, seeded from the latest views so
a (re)connecting screen is right at once. Every KPI value carries `data-kpi` (its path in
/api/v1/kpis); the browser updates them from the socket (assets/wall.js)."""

from __future__ import annotations

from dash import dcc, html
from dash_socketio import DashSocketIO

from feeds.profile import STAGE_PARTIES
from layouts import ids
from layouts.i18n import text

STRIP = (  # tiles: (label key, [(kpi path, caption key or None)], sub-value path or None)
    ("vessels", [("vessels.at_berth", "at_berth"), ("vessels.at_anchor", "at_anchor"),
                 ("vessels.expected_24h", "expected_24h")], None),
    ("boxes_in_port", [("containers.in_port", None)], None),
    ("gate_lifts", [("gate_lifts_last_hour.in", "in"), ("gate_lifts_last_hour.out", "out")], None),
    ("inspections", [("inspections.completed_today", "done_today"), ("inspections.pending", "pending")], None),
    ("clearance_import", [("clearance_hours.import.mean", "mean")], "clearance_hours.import.change_pct"),
    ("clearance_export", [("clearance_hours.export.mean", "mean")], "clearance_hours.export.change_pct"),
    ("arrival_to_pickup", [("arrival_to_pickup_hours.median", None)], None),
    ("diversion_share", [("diversion.share", None)], "diversion.moves_saved"),
)
ICONS = {"ok": "●", "warn": "▲", "late": "✖"}


def kpi(path: str, values: dict, cls: str = "kpi-value") -> html.Span:
    return html.Span(values.get(path, "—"), className=cls, **{"data-kpi": path})


TRENDS = {"clearance_hours.import.mean": (ids.WALL_TREND_IMPORT, "import"),
          "clearance_hours.export.mean": (ids.WALL_TREND_EXPORT, "export")}


def kpi_strip(values: dict, lang: str, trends: dict) -> html.Div:
    tiles = []
    for label, figures, sub in STRIP:
        numbers = [html.Div([kpi(path, values), html.Div(text("cap_" + caption, lang), className="kpi-caption")
                             if caption else None], className="kpi-figure") for path, caption in figures]
        children = [html.Div(text(label, lang), className="kpi-label"), html.Div(numbers, className="kpi-figures")]
        if sub:
            caption = "moves_saved" if sub == "diversion.moves_saved" else "vs_last_7_days"
            children.append(html.Div([kpi(sub, values, "kpi-sub"), " ", html.Span(text(caption, lang),
                                                                                   className="kpi-caption")],
                                     className="kpi-subline"))
        first = figures[0][0]
        if first in TRENDS:
            graph_id, direction = TRENDS[first]
            children.append(dcc.Graph(id=graph_id, figure=trends.get(direction) or {}, className="kpi-trend",
                                      config={"displayModeBar": False, "staticPlot": True}))
        tiles.append(html.Div(children, className="kpi-tile"))
    return html.Div(tiles, className="kpi-strip")


def schematic(rows: list[dict]) -> html.Ul:
    items = []
    for row in rows:
        if row["kind"] == "terminal":
            berths = [html.Span(("■ " + b["vessel"]) if b["vessel"] else ("□ " + b["berth"]),
                                className="berth busy" if b["vessel"] else "berth free") for b in row["berths"]]
            items.append(html.Li([html.Span(row["name"], className="terminal-name"), *berths]))
        else:
            items.append(html.Li([html.Span(row["name"], className="terminal-name"),
                                  html.Span(f"◆ {row['pending']}", className="site-pending")]))
    return html.Ul(items, id=ids.SCHEMATIC)


def chain_lane(direction: str, values: dict, chain: dict, lang: str) -> html.Div:
    nodes = []
    for stage in STAGE_PARTIES[direction]:
        node = chain.get(f"{direction}.{stage}", {"status": "ok", "label": "", "dwell": ""})
        nodes.append(html.Div(className=f"node sla-{node['status']}", **{"data-stage": f"{direction}.{stage}"}, children=[
            html.Div(text("stage_" + stage, lang), className="node-name"),
            kpi(f"containers.{direction}.{stage}", values, "node-count"),
            html.Div([html.Span(ICONS[node["status"]], className="sla-icon"), " ",
                      html.Span(node["label"], className="sla-label")], className="node-sla"),
            html.Div(node["dwell"], className="node-dwell"),
        ]))
        nodes.append(html.Div("➜", className="flow"))
    return html.Div([html.Div(text(direction, lang), className="lane-name"), *nodes[:-1]], className="lane")


def ticker(items: list[dict]) -> html.Ul:
    return html.Ul([html.Li(i["text"], className=f"tick tick-{i['type'].replace('.', '-')}",
                            **{"data-event-id": i["id"]}) for i in items], id=ids.TICKER)


def alert_item(item: dict, lang: str) -> html.Li:
    """One delay or stuck box; an acknowledged one dimmed, its owner first (the line may be cut at its
    end). assets/wall.js draws the same."""
    mark = item.get("alert") or {}
    state = mark.get("state") or "none"
    owner = html.Span(mark["label"], className="alert-owner") if mark.get("label") else None
    dimmed = " alert-acknowledged" if state == "acknowledged" else ""
    if item["kind"] == "vessel":
        link = html.A(["⚠ ", item["text"]], href=f"/vessels/{item['imo']}?lang={lang}")
        return html.Li([owner, link] if owner else link,
                       className="alert-vessel" + dimmed, **{"data-vessel": item["imo"], "data-alert-state": state})
    return html.Li([owner, "◆ ", item["text"]] if owner else ["◆ ", item["text"]], className="alert-box" + dimmed,
                   **{"data-container": item["number"], "data-alert-state": state})


def alert_list(items: list[dict], lang: str) -> html.Ul:
    if not items:
        return html.Ul([html.Li(text("no_alerts", lang), className="alert-none")], id=ids.ALERTS)
    return html.Ul([alert_item(item, lang) for item in items], id=ids.ALERTS)


def feed_table(rows: list[dict]) -> html.Ul:
    return html.Ul([html.Li([html.Span("○ " if r["silent"] else "● ", className="feed-dot"), r["source"],
                             html.Span(f" {r['rate']} · ✖{r['rejects']}", className="feed-rate")],
                            className="feed-silent" if r["silent"] else "feed-ok") for r in rows], id=ids.FEEDS)


def services_strip(values: dict, lang: str) -> html.Div:
    return html.Div(className="services", children=[
        html.Span([text("boarding", lang), " ", kpi("services.boarding_released", values, "svc"), " / ",
                   kpi("services.boarding_requested", values, "svc")]),
        html.Span([text("health_decl", lang), " ", kpi("services.health_declared", values, "svc")]),
        html.Span([text("certs", lang), " ", kpi("services.cert_picked_up", values, "svc"), " / ",
                   kpi("services.cert_requested", values, "svc")]),
    ])


WHY = ("socket", "heartbeat", "redis", "consumer", "restarted", "missed")  # the stale banner's reasons


def live_badge(lang: str) -> html.Div:
    """LIVE, or how the data shown falls short: assets/wall.js picks the text and the class (is-live,
    is-catching-up with `{n}` the seconds behind, is-syncing, is-stale). Until the page has heard
    from the service, it does not claim LIVE."""
    return html.Div(text("badge_syncing", lang), id=ids.LIVE_BADGE, className="live-badge is-syncing is-catching-up", **{
        "data-text-live": "◉ " + text("live", lang), "data-text-stale": text("badge_stale", lang),
        "data-text-catching-up": text("badge_catching_up", lang),
        "data-text-syncing": text("badge_syncing", lang)})


def header(port_name: str, fast: dict, lang: str) -> html.Div:
    demo = fast.get("demo")
    return html.Div(className="wall-header", children=[
        html.Div(port_name, className="port-name"), html.Div(text("title", lang), className="wall-title"),
        html.Div(fast.get("port_time", ""), id=ids.PORT_CLOCK, className="port-clock"),
        live_badge(lang),
        html.Div(demo or "", id=ids.DEMO_BADGE, className="demo-badge", hidden=not demo),
    ])


def wall_layout(port_name: str, lang: str, fast: dict, slow: dict, rotate: int | None) -> html.Div:
    values = {**fast.get("kpis", {}), **slow.get("kpis", {})}
    chain = slow.get("chain", {})
    canvas = html.Div(id=ids.WALL_CANVAS, className="wall-canvas", children=[
        html.Div(id=ids.STALE_BANNER, className="stale-banner", hidden=True,
                 **{"data-template": text("stale_since", lang),
                    **{f"data-why-{why}": text(f"why_{why}", lang) for why in WHY}}),
        header(port_name, fast, lang),
        kpi_strip(values, lang, slow.get("trends", {})),
        html.Div(className="wall-body", children=[
            html.Div(className="wall-main", children=[
                html.Div([chain_lane("import", values, chain, lang), chain_lane("export", values, chain, lang)],
                         className="chain panel page-overview"),
                html.Div(className="berth-row page-overview page-berths", children=[
                    html.Div([html.H2(text("berths", lang)),
                              dcc.Graph(id=ids.WALL_GANTT, figure=slow.get("gantt") or {},
                                        config={"displayModeBar": False, "staticPlot": True})], className="panel gantt"),
                    html.Div([html.H2(text("schematic", lang)), schematic(slow.get("schematic", []))],
                             className="panel schematic"),
                ]),
            ]),
            html.Div(className="wall-side", children=[
                html.Div([html.H2(text("ticker", lang)), ticker(fast.get("ticker", []))], className="panel"),
                html.Div([html.H2(html.A(text("alerts", lang), href=f"/vessels?delayed=1&lang={lang}", className="alerts-link")),
                          alert_list(slow.get("alerts", []), lang)], className="panel"),
                html.Div([html.H2(text("feeds", lang)), feed_table(slow.get("feeds", []))], className="panel page-services"),
                html.Div([html.H2(text("services", lang)), services_strip(values, lang)],
                         className="panel services-panel page-services"),
            ]),
        ]),
    ])
    return html.Div(id=ids.WALL, className=f"wall lang-{lang}", **{"data-lang": lang, "data-rotate": rotate or 0},
                    children=[
                        canvas,
                        DashSocketIO(id=ids.WALL_SOCKET, eventNames=["fast", "slow", "heartbeat"],
                                     # forceNew: a changed `options` (the watchdog's resync) makes a
                                     # new connection, never the cached one; back within 2 s of the service
                                     options={"query": {"lang": lang}, "forceNew": True,
                                              "reconnectionDelay": 500, "reconnectionDelayMax": 2000}),
                        dcc.Interval(id=ids.WALL_WATCHDOG, interval=1000),  # staleness watchdog only
                        dcc.Store(id=ids.WALL_APPLIED), dcc.Store(id=ids.WALL_HEALTH),
                    ])
