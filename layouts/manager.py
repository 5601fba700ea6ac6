"""The frame of every manager page: navigation, the search box, language and logout; and the
grid settings the managers' tables share."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.i18n import text

NAV = (("/vessels", "nav_vessels"), ("/alerts", "nav_alerts"), ("/feeds", "nav_feeds"), ("/", "nav_wall"),
       ("/demo", "nav_demo"), ("/admin", "nav_admin"))
# AG Grid in the pages' dark colours (the theming API of AG Grid 33+)
GRID_THEME = {"function": "themeQuartz.withParams({backgroundColor: '#0f1a2e', foregroundColor: '#e6edf3', "
                          "headerBackgroundColor: '#16233b', accentColor: '#7cc4ff', fontSize: 15})"}


def manager_frame(lang: str, path: str, user: str, csrf_token: str, body: list,
                  links: tuple[str, ...] = tuple(href for href, _ in NAV)) -> html.Div:
    """`links`: the pages of NAV the user may open (an organisation's member: its cargo only)."""
    other = "en" if lang == "zh" else "zh"
    nav = [html.A(text(key, lang), href=f"{href}?lang={lang}", className="active" if path.startswith(href) and href != "/" else "")
           for href, key in NAV if href in links]
    return html.Div(className=f"manager lang-{lang}", **{"data-lang": lang}, children=[
        html.Header(className="manager-header", children=[
            html.A("Port Pulse", href=f"/vessels?lang={lang}", className="brand"),
            html.Nav(nav, className="manager-nav"),
            search_box(lang),
            html.Div(className="manager-user", children=[
                html.A("English" if other == "en" else "中文", href=f"{path}?lang={other}", className="lang-switch"),
                html.Span(user, className="user-name"),
                html.Form(action="/logout", method="post", className="logout", children=[
                    dcc.Input(type="hidden", name="csrf_token", value=csrf_token),
                    html.Button(text("logout", lang), type="submit"),
                ]),
            ]),
        ]),
        html.Main(body, className="manager-body"),
    ])


def search_box(lang: str) -> html.Div:
    return html.Div(className="search", role="search", children=[
        html.Label(text("search_placeholder", lang), htmlFor=ids.SEARCH, className="visually-hidden"),
        dcc.Input(id=ids.SEARCH, type="search", placeholder=text("search_placeholder", lang), debounce=True,
                  autoComplete="off"),
        html.Button(text("search_go", lang), id=ids.SEARCH_GO),
        html.Div(id=ids.SEARCH_RESULTS, className="search-results", role="status"),
        dcc.Location(id=ids.NAVIGATE, refresh=True),
    ])


def search_results(result: dict, lang: str) -> list:
    """Hits as links, a "did you mean" for a mistyped container number, or "nothing found"."""
    if result["hits"]:
        return [html.Ul([html.Li([html.Span(text(f"kind_{hit['kind']}", lang), className="kind"),
                                  html.A(hit["label"], href=f"{hit['href']}?lang={lang}")])
                         for hit in result["hits"]])]
    if result["suggestion"]:
        corrected = result["suggestion"]["number"]
        return [html.P([text("did_you_mean", lang), " ",
                        html.A(corrected, href=f"{result['suggestion']['href']}?lang={lang}", className="suggestion"),
                        "?"])]
    return [html.P(text("search_none", lang, query=result["query"]))] if result["query"] else []


def page_title(title: str, *extra) -> html.Div:
    return html.Div([html.H1(title), *extra], className="page-title")


def message_page(title: str, message: str) -> html.Div:
    return html.Div([html.H1(title), html.P(message)], className="message")
