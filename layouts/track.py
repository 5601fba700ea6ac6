"""/track: the phone page, a box tracked like a parcel, as plain server-rendered HTML.

Not a Dash page: Dash's scripts (1–2 MB) cannot be ready in 1.5 s on a phone's slow network, this
page is a few KB and works without any script. Pure builders: every value they are given is
escaped here (markupsafe); the stylesheet and the little polling script are handed in and
inlined, so the page is one request.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from babel.dates import format_datetime
from markupsafe import Markup, escape

from layouts.i18n import LOCALES, stage_name, text

GROUP_ORDER = ("ready", "inspection", "held")  # the counts shown at the top


def words(key: str, lang: str, **values) -> Markup:
    """A text of the page, escaped."""
    return escape(text(key, lang, **values))


def local_time(iso_text: str | None, lang: str) -> str:
    """An RFC 3339 time, already in the port's zone, as a phone shows it: `11-27 08:05`."""
    if not iso_text:
        return "—"
    return format_datetime(datetime.fromisoformat(iso_text), "MM-dd HH:mm", locale=LOCALES[lang])


def href(path: str, **query) -> str:
    """A site path with its query; values left out when None."""
    kept = {key: value for key, value in query.items() if value is not None}
    return path + ("?" + urlencode(kept) if kept else "")


def page(lang: str, body: Markup | str, *, csrf_token: str, css: str, script: str, here: str,
         query: str = "") -> str:
    """The whole document: the bar (home, language, log out), the search, then `body`.
    `here` is this page's path with its query minus `lang`, for the language switch."""
    other = "en" if lang == "zh" else "zh"
    switch = here + ("&" if "?" in here else "?") + urlencode({"lang": other})
    title, hint = escape(text("track_title", lang)), escape(text("track_search", lang))
    logout = (f'<form class="track-logout" method="post" action="/logout">'
              f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
              f'<button type="submit">{escape(text("logout", lang))}</button></form>')
    search = (f'<form class="track-search" method="get" action="/track" role="search">'
              f'<input type="hidden" name="lang" value="{lang}">'
              f'<input type="search" name="q" value="{escape(query)}" placeholder="{hint}" aria-label="{hint}" '
              f'autocomplete="off" autocapitalize="characters" enterkeyhint="search">'
              f'<button type="submit">{escape(text("track_search_go", lang))}</button></form>')
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,"><style>{Markup(css)}</style></head>
<body class="track">
<header class="track-bar"><a class="track-home" href="{escape(href('/track', lang=lang))}">{title}</a>
<a class="track-lang" href="{escape(switch)}" hreflang="{other}">{escape(text("track_lang_other", lang))}</a>
{logout}</header>
{search}
<main>{body}</main>
<script>{Markup(script)}</script>
</body></html>"""


def box_list(model: dict, lang: str) -> Markup:
    """The live part of "my boxes" (what the script swaps): the counts, the rows, the paging.
    `model`: {"rows", "counts", "total", "page", "pages", "per_page", "port_wide", "updated"}."""
    counts = "".join(
        f'<li class="count count-{group}"><b>{model["counts"][group]}</b> {escape(text(f"track_group_{group}", lang))}</li>'
        for group in GROUP_ORDER)
    parts = [f'<ul class="track-counts">{counts}</ul>']
    if not model["rows"]:
        parts.append(f'<p class="track-empty">{escape(text("track_none", lang))}</p>')
    else:
        first = (model["page"] - 1) * model["per_page"] + 1
        last = first + len(model["rows"]) - 1
        parts.append(f'<p class="track-showing">{words("track_showing", lang, total=model["total"], first=first, last=last)}</p>')
        parts.append('<ol class="track-list">' + "".join(box_row(row, lang) for row in model["rows"]) + "</ol>")
    parts.append(_paging(model, lang))
    parts.append(f'<p class="track-updated">{words("track_updated", lang, time=local_time(model["updated"], lang))}</p>')
    return Markup("".join(parts))


def box_row(row: dict, lang: str) -> str:
    action = row["action"]
    badge = f'<span class="badge badge-{action}">{words(f"track_badge_{action}", lang)}</span>' if action != "other" else ""
    star = (f'<span class="watch-mark" role="img" aria-label="{words("track_watched_mark", lang)}">★</span>'
            if row.get("watched") else "")
    ship = " ".join(str(part) for part in (row["vessel_name"], row["voyage"]) if part) or "—"
    return (f'<li class="track-row action-{action}"><a href="{escape(href("/track/box/" + row["number"], lang=lang))}">'
            f'<span class="num">{escape(row["number"])}</span>{star}{badge}'
            f'<span class="stage">{escape(stage_name(row["stage"], lang))} · '
            f'{words("track_since", lang, time=local_time(row["since"], lang))}</span>'
            f'<span class="ship">{escape(ship)}</span></a></li>')


def _paging(model: dict, lang: str) -> str:
    links = []
    if model["page"] > 1:
        previous = href("/track", lang=lang, page=model["page"] - 1)
        links.append(f'<a rel="prev" href="{escape(previous)}">{words("track_previous", lang)}</a>')
    if model["page"] < model["pages"]:
        following = href("/track", lang=lang, page=model["page"] + 1)
        label = words("track_more", lang, page=model["page"] + 1, pages=model["pages"])
        links.append(f'<a rel="next" class="more" href="{escape(following)}">{label}</a>')
    return f'<nav class="track-pages">{"".join(links)}</nav>' if links else ""


def my_boxes(model: dict, lang: str, live_src: str, search: dict | None = None, *, csrf_token: str = "") -> Markup:
    """The "my boxes" body: a search's answer when there was one, the toggle that watches all of
    the organisation's boxes (members: a manager's `org:*` would tell nothing), the live list."""
    title = text("track_port_wide" if model["port_wide"] else "track_title", lang)
    toggle = "" if model["port_wide"] else _org_toggle(model["watching_org"], lang, csrf_token)
    return Markup(f'{search_answer(search, lang) if search else ""}<h1>{escape(title)}</h1>{toggle}'
                  f'<section id="track-live" data-src="{escape(live_src)}" aria-live="polite">{box_list(model, lang)}</section>')


def search_answer(search: dict, lang: str) -> str:
    """Several hits (one already led straight to its page), or none with a "did you mean"."""
    if not search["hits"]:
        body = f'<p>{escape(text("track_not_found", lang, query=search["query"]))}</p>'
        suggestion = search.get("suggestion")
        if suggestion and suggestion["known"]:
            body += (f'<p>{escape(text("did_you_mean", lang))} <a href="{escape(href("/track/box/" + suggestion["number"], lang=lang))}">'
                     f'{escape(suggestion["number"])}</a>?</p>')
        return f'<section class="track-search-answer" role="status">{body}</section>'
    items = "".join(f'<li><a href="{escape(hit_href(hit, lang))}">{escape(hit["label"])}</a></li>' for hit in search["hits"])
    return (f'<section class="track-search-answer"><p>{escape(text("track_hits", lang, n=len(search["hits"])))}</p>'
            f'<ul class="track-hits">{items}</ul></section>')


def hit_href(hit: dict, lang: str) -> str:
    """A box or a declaration leads to the box's parcel page; a ship to its vessel page."""
    if hit["kind"] in ("container", "declaration"):
        return href("/track/box/" + hit["href"].rpartition("/")[2], lang=lang)
    return href(hit["href"], lang=lang)


def box_page(view: dict, steps: list[dict], vessel: dict | None, lang: str, watching: str | None = None,
             *, csrf_token: str = "") -> Markup:
    """The parcel page: where the box is, whether it is watched, next step, its steps as a
    vertical timeline, its ship. `watching`: as dashboard/track.box_model says."""
    flags = "".join(f'<span class="flag">{words(flag, lang)}</span>' for flag in ("held", "diverted") if view[flag])
    head = (back_link(lang) + f'<h1 class="box-number">{escape(view["number"])}</h1>'
            f'<p class="box-now">{words(view["direction"], lang) if view["direction"] else ""} · '
            f'<strong>{escape(stage_name(view["stage"], lang))}</strong> · '
            f'{words("track_since", lang, time=local_time(view["since"], lang))}{flags}</p>')
    watch = _box_watch(view["number"], watching, lang, csrf_token)
    return Markup(head + watch + _next_step(view, lang) + _steps(steps, lang) + _vessel(vessel, lang))


def back_link(lang: str) -> str:
    return f'<p class="track-back"><a href="{escape(href("/track", lang=lang))}">{words("track_back", lang)}</a></p>'


def _next_step(view: dict, lang: str) -> str:
    step = view.get("next")
    if not step:
        return f'<p class="next-step done">{escape(text("track_done", lang))}</p>'
    words = text("track_next", lang, step=text(f"event_{step['type']}", lang), party=text(f"party_{step['owner']}", lang))
    return f'<p class="next-step">{escape(words)}</p>'


def _steps(steps: list[dict], lang: str) -> str:
    items = []
    for step in steps:
        when = local_time(step["time"], lang) if step["time"] else text("track_step_pending", lang)
        current = ' aria-current="step"' if step["state"] == "current" else ""
        items.append(f'<li class="step {step["state"]}"{current}><span class="what">{words("track_step_" + step["step"], lang)}</span>'
                     f'<time{_datetime_attr(step["time"])}>{escape(when)}</time></li>')
    return f'<ol class="track-steps">{"".join(items)}</ol>'


def _datetime_attr(iso_text: str | None) -> str:
    return f' datetime="{escape(iso_text)}"' if iso_text else ""


def _vessel(vessel: dict | None, lang: str) -> str:
    if vessel is None:
        return ""
    facts = [text(f"status_{vessel['status']}", lang)]
    if vessel["berth"]:
        facts.append(text("track_berth", lang, berth=vessel["berth"]))
    if vessel["berthed"]:
        facts.append(text("track_berthed", lang, time=local_time(vessel["berthed"], lang)))
    elif vessel["eta"]:
        facts.append(text("track_eta", lang, time=local_time(vessel["eta"], lang)))
    name = " ".join(str(part) for part in (vessel["name"] or f"IMO {vessel['imo']}", vessel["voyage"]) if part)
    return (f'<section class="track-vessel"><h2>{escape(text("track_vessel", lang))}</h2>'
            f'<p class="ship">{escape(name)}</p><p>{escape(" · ".join(facts))}</p></section>')


def box_not_found(number: str, lang: str) -> Markup:
    """The same for a box the port has not seen and one the viewer may not see."""
    return Markup(back_link(lang) + f'<h1>{words("track_box_not_found", lang, number=number)}</h1>'
                  f'<p>{words("track_box_not_found_hint", lang)}</p>')


# -- watching and notices (docs/notifications.md) -------------------------------------------------
def post_button(action: str, label: str, csrf_token: str, kind: str) -> str:
    """A one-button form: works without a script, carries the CSRF token."""
    return (f'<form class="track-watch-form" method="post" action="{escape(action)}">'
            f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
            f'<button type="submit" class="{kind}">{label}</button></form>')


def _box_watch(number: str, watching: str | None, lang: str, csrf_token: str) -> str:
    base = "/track/box/" + number
    if watching == "box":
        note, button = words("track_watching", lang), post_button(
            href(base + "/unwatch", lang=lang), words("track_unwatch", lang), csrf_token, "unwatch")
    elif watching:  # through `org:*` or a declaration: stopped where it was started
        note, button = words(f"track_watching_{watching}", lang), ""
    else:
        note, button = words("track_watch_hint", lang), post_button(
            href(base + "/watch", lang=lang), words("track_watch", lang), csrf_token, "watch")
    return f'<section class="track-watch{" on" if watching else ""}"><p>{note}</p>{button}</section>'


def _org_toggle(watching: bool, lang: str, csrf_token: str) -> str:
    if watching:
        note, button = words("track_watching_all", lang), post_button(
            href("/track/org/unwatch", lang=lang), words("track_unwatch_all", lang), csrf_token, "unwatch")
    else:
        note, button = words("track_watch_all_hint", lang), post_button(
            href("/track/org/watch", lang=lang), words("track_watch_all", lang), csrf_token, "watch")
    return f'<section class="track-watch track-watch-org{" on" if watching else ""}"><p>{note}</p>{button}</section>'


def notices_strip(model: dict, lang: str) -> Markup:
    """The viewer's latest notices, newest first; the script prepends newer ones (aria-live).
    `model`: {"notices": [notice with `at` in the port's zone], "after": newest seq, "zone"}."""
    items = "".join(notice_item(notice, lang) for notice in model["notices"])
    empty = "" if items else f'<p class="track-notices-empty">{words("track_notices_none", lang)}</p>'
    return Markup(f'<section class="track-notices" id="track-notices" data-src="/api/v1/notices" '
                  f'data-after="{escape(model["after"])}" data-zone="{escape(model["zone"])}" '
                  f'aria-labelledby="track-notices-h">'
                  f'<h2 id="track-notices-h">{words("track_notices", lang)}</h2>'
                  f'<ol aria-live="polite">{items}</ol>{empty}</section>')


def notice_item(notice: dict, lang: str) -> str:
    """One notice: its time and title, a link to its box's (or ship's) page."""
    link = notice.get("link") or ""
    link = link if link.startswith("/") and not link.startswith("//") else "/track"  # this site's pages only
    title = (notice.get("title") or {}).get(lang) or ""
    return (f'<li><a href="{escape(href(link, lang=lang))}"><time{_datetime_attr(notice.get("at"))}>'
            f'{escape(local_time(notice.get("at"), lang))}</time> <span>{escape(title)}</span></a></li>')


def problem(*, text_key: str, lang: str) -> Markup:
    """A form that could not be done (an expired form, the store down): what to do next."""
    return Markup(back_link(lang) + f'<h1>{words(text_key, lang)}</h1>')
