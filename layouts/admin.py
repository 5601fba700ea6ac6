"""The task force's admin page (/admin) as plain HTML: organisations, their users and read keys,
and the forms that change them. A pure function of plain data; every value in it is escaped."""

from __future__ import annotations

from urllib.parse import urlencode

from markupsafe import escape

from layouts.i18n import text


def admin_page(lang: str, csrf_token: str, orgs: list[dict], kinds: tuple[str, ...], *,
               message: str | None = None, error: str | None = None, new_key: tuple[str, str] | None = None) -> str:
    """`orgs`: [{id, name, kind, sources: [..], users: [..], keys: n}]; `new_key`: (org id, key),
    shown this once."""
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

