"""The task force's admin page (/admin) as plain HTML: organisations, their users and read keys,
and the forms that change them. A pure function of plain data; every value in it is escaped."""

from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import escape

from layouts.i18n import text


def admin_page(lang: str, csrf_token: str, orgs: list[dict], kinds: tuple[str, ...], *,
               message: str | None = None, error: str | None = None, new_key: tuple[str, str] | None = None,
               channels_html: str = "") -> str:
    """`orgs`: [{id, name, kind, sources: [..], users: [..], keys: n}]; `new_key`: (org id, key),
    shown this once; `channels_html`: `channels_section`'s."""
    t = lambda key, **values: escape(text(key, lang, **values))  # noqa: E731
    other = "en" if lang == "zh" else "zh"
    notes = ""
    if message:
        notes += f'<p class="admin-message" role="status">{escape(message)}</p>'
    if error:
        notes += f'<p class="admin-problem" role="alert">{escape(error)}</p>'
    if new_key:
        notes += (f'<div class="admin-key" role="status"><p>{t("admin_key_once", org=new_key[0])}</p>'
                  f'<code>{escape(new_key[1])}</code><p>{t("admin_key_use")}</p></div>')
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{t("admin_title")}</title><link rel="stylesheet" href="/assets/portpulse.css"></head>
<body><main class="admin">
<nav><a href="/vessels?lang={lang}">{t("admin_back")}</a> ·
<a href="/admin?{escape(urlencode({"lang": other}))}">{"English" if other == "en" else "中文"}</a></nav>
<h1>{t("admin_title")}</h1>{notes}
<h2>{t("admin_orgs")}</h2>
{_org_table(lang, csrf_token, orgs, t)}
<h2>{t("admin_add_org")}</h2>
{_add_org_form(lang, csrf_token, kinds, t)}
<h2>{t("admin_add_user")}</h2>
{_add_user_form(lang, csrf_token, orgs, t)}
{channels_html}
</main></body></html>"""


def _form(action: str, lang: str, csrf_token: str, body: str, button: str, css: str = "") -> str:
    """A POST form with the CSRF token and the language it answers in."""
    return (f'<form method="post" action="{action}" class="{css}">'
            f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
            f'<input type="hidden" name="lang" value="{lang}">{body}'
            f'<button type="submit">{button}</button></form>')


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{escape(value)}">'


def _org_table(lang: str, csrf_token: str, orgs: list[dict], t) -> str:
    if not orgs:
        return f"<p>{t('admin_no_orgs')}</p>"
    head = "".join(f"<th>{t(key)}</th>" for key in ("admin_id", "admin_name", "admin_kind", "admin_sources",
                                                     "admin_users", "admin_keys", "admin_actions"))
    rows = "".join(_org_row(lang, csrf_token, org, t) for org in orgs)
    return f'<table class="admin-orgs"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _org_row(lang: str, csrf_token: str, org: dict, t) -> str:
    org_field = _hidden("org", org["id"])
    remove_user = lambda name: _form("/admin/users/remove", lang, csrf_token, _hidden("name", name),  # noqa: E731
                                     t("admin_remove_user"), "inline")
    users = "".join(f"<li>{escape(name)} {remove_user(name)}</li>" for name in org["users"])
    actions = (
        _form("/admin/keys", lang, csrf_token, org_field, t("admin_new_key"), "inline")
        + _form("/admin/keys/remove", lang, csrf_token, org_field, t("admin_remove_keys"), "inline")
        + _form("/admin/orgs/remove", lang, csrf_token, org_field
                + f'<label><input type="checkbox" name="confirm" value="1" required> {t("admin_confirm")}</label>',
                t("admin_remove_org"), "inline danger"))
    sources = ", ".join(org["sources"]) or "—"
    return (f'<tr><td><code>{escape(org["id"])}</code></td><td>{escape(org["name"])}</td>'
            f'<td>{t("org_kind_" + org["kind"])}</td><td>{escape(sources)}</td>'
            f'<td><ul>{users}</ul></td><td>{int(org["keys"])}</td><td>{actions}</td></tr>')


def _add_org_form(lang: str, csrf_token: str, kinds: tuple[str, ...], t) -> str:
    options = "".join(f'<option value="{escape(kind)}">{t("org_kind_" + kind)}</option>' for kind in kinds)
    body = (f'<label>{t("admin_id")} <input name="id" required maxlength="64" pattern="[a-z0-9][a-z0-9._\\-]*"></label>'
            f'<label>{t("admin_name")} <input name="name" required maxlength="200"></label>'
            f'<label>{t("admin_kind")} <select name="kind">{options}</select></label>'
            f'<label>{t("admin_sources")} <input name="sources" placeholder="{t("admin_sources_hint")}"></label>')
    return _form("/admin/orgs", lang, csrf_token, body, t("admin_add_org"), "admin-add")


def _add_user_form(lang: str, csrf_token: str, orgs: list[dict], t) -> str:
    options = "".join(f'<option value="{escape(org["id"])}">{escape(org["id"])} · {escape(org["name"])}</option>'
                      for org in orgs)
    body = (f'<label>{t("admin_user")} <input name="name" required maxlength="64" autocomplete="off"></label>'
            f'<label>{t("admin_org")} <select name="org" required>{options}</select></label>'
            f'<label>{t("admin_password")} <input name="password" type="password" required minlength="8" '
            f'autocomplete="new-password"></label>')
    return _form("/admin/users", lang, csrf_token, body, t("admin_add_user"), "admin-add")



def channels_section(lang: str, csrf_token: str, orgs: list[dict], channels: dict[str, list[dict]],
                     logs: dict[str, list[dict]]) -> str:
    """Each organisation's notification channels (as `public_view` shows them: no secrets), a form
    to add one, and each organisation's latest delivery attempts."""
    t = lambda key, **values: escape(text(key, lang, **values))  # noqa: E731
    rows = ""
    for org_id, found in sorted(channels.items()):
        for channel in found:
            target = channel.get("url") or ", ".join(channel.get("to", ()))
            remove = _form("/admin/channels/remove", lang, csrf_token, _hidden("org", org_id)
                           + _hidden("channel", channel["id"]), t("admin_remove_channel"), "inline")
            rows += (f'<tr><td><code>{escape(org_id)}</code></td><td><code>{escape(channel["id"])}</code></td>'
                     f'<td>{escape(channel["kind"])}</td><td>{escape(target)}</td>'
                     f'<td>{int(channel["digest_minutes"])}</td><td>{escape(channel["lang"])}</td><td>{remove}</td></tr>')
    head = "".join(f"<th>{t(key)}</th>" for key in ("admin_org", "admin_id", "admin_channel_kind",
                                                     "admin_channel_target", "admin_channel_digest",
                                                     "admin_channel_lang", "admin_actions"))
    table = (f'<table class="admin-channels"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
             if rows else f"<p>{t('admin_no_channels')}</p>")
    return (f'<h2>{t("admin_channels")}</h2>{table}<h3>{t("admin_add_channel")}</h3>'
            f'{_add_channel_form(lang, csrf_token, orgs, t)}'
            + "".join(_delivery_log(org_id, records, t) for org_id, records in sorted(logs.items()) if records))


def _add_channel_form(lang: str, csrf_token: str, orgs: list[dict], t) -> str:
    options = "".join(f'<option value="{escape(org["id"])}">{escape(org["id"])}</option>' for org in orgs)
    kinds = "".join(f'<option value="{kind}">{kind}</option>' for kind in ("webhook", "wecom", "dingtalk", "email"))
    body = (f'<label>{t("admin_org")} <select name="org" required>{options}</select></label>'
            f'<label>{t("admin_channel_kind")} <select name="kind">{kinds}</select></label>'
            f'<label>{t("admin_channel_url")} <input name="url" type="url" maxlength="2000"></label>'
            f'<label>{t("admin_channel_to")} <input name="to" maxlength="500"></label>'
            f'<label>{t("admin_channel_secret")} <input name="secret" autocomplete="off"></label>'
            f'<label>{t("admin_channel_digest")} '
            f'<input name="digest_minutes" type="number" min="0" value="0"></label>'
            f'<label>{t("admin_channel_lang")} <select name="channel_lang"><option value="zh">中文</option>'
            f'<option value="en">English</option></select></label>')
    return _form("/admin/channels", lang, csrf_token, body, t("admin_add_channel"), "admin-add")


def _delivery_log(org_id: str, records: list[dict], t) -> str:
    head = "".join(f"<th>{t(key)}</th>" for key in ("admin_log_at", "admin_channel_kind", "admin_log_notice",
                                                     "admin_log_status", "admin_log_error"))
    rows = "".join(f'<tr><td>{escape(r.get("at") or "")}</td><td>{escape(str(r.get("channel")))}</td>'
                   f'<td><code>{escape(str(r.get("notice")))}</code></td>'
                   f'<td>{escape(str(r.get("outcome")))} {escape(str(r.get("status") or ""))}</td>'
                   f'<td>{escape(r.get("error") or "")}</td></tr>' for r in records)
    return (f'<h3>{t("admin_delivery_log", org=org_id)}</h3>'
            f'<table class="admin-log"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
